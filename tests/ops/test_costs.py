"""AI cost (real PostgreSQL with the hub's schema) and Fargate preview cost (moto Cost Explorer,
one account per env through AssumeRole)."""

import json
import urllib.request
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ops.backends.container import BackendUrls, build_backends
from ops.costs import (
    CostWindow,
    ai_cost_today,
    ai_costs,
    cost_report,
    fargate_preview_cost,
    local_midnight,
)
from tests.fixtures.bot import ACCOUNTS
from tests.ops.test_executions import ago, create_hub_tables, insert_costs

TODAY = date(2025, 3, 10)


@pytest.fixture
async def backends(bot_config, pg_url, redis_url):
    await create_hub_tables(pg_url)
    built = build_backends(bot_config, BackendUrls(pg_url, pg_url, redis_url), retries=0)
    await built.open()
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def spend(pg_url, backends):
    await insert_costs(
        pg_url,
        [
            ("claude-sonnet-4", "int", Decimal("12.50"), ago(minutes=10)),
            ("claude-sonnet-4", "int", Decimal("7.50"), ago(minutes=50)),
            ("claude-sonnet-4", "stg", Decimal("3.000001"), ago(hours=5)),
            ("gpt-4.1", "prd", Decimal("1.25"), ago(minutes=20)),
            ("claude-haiku-4", "int", Decimal("40"), ago(days=3)),
        ],
    )
    return backends


def seed_cost_explorer(endpoint, account, daily_amounts, today=TODAY):
    """Queue one GetCostAndUsage answer for `account` (moto replays it for the same request)."""
    start = today - timedelta(days=len(daily_amounts))
    by_time = [
        {
            "TimePeriod": {
                "Start": (start + timedelta(days=n)).isoformat(),
                "End": (start + timedelta(days=n + 1)).isoformat(),
            },
            "Total": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}},
            "Groups": [],
            "Estimated": False,
        }
        for n, amount in enumerate(daily_amounts)
    ]
    body = {"account_id": account, "results": [{"ResultsByTime": by_time}]}
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


async def test_ai_cost_by_model_and_env_most_expensive_first(spend):
    costs = await ai_costs(spend.hub_db, CostWindow.last(timedelta(hours=24)))
    assert [(c.model, c.env, c.total_usd, c.calls) for c in costs.lines] == [
        ("claude-sonnet-4", "int", Decimal("20.000000"), 2),
        ("claude-sonnet-4", "stg", Decimal("3.000001"), 1),
        ("gpt-4.1", "prd", Decimal("1.250000"), 1),
    ]
    assert costs.total_usd == Decimal("24.250001") and costs.calls == 4


async def test_ai_cost_by_model_or_by_env(spend):
    by_model = await ai_costs(spend.hub_db, CostWindow.last(timedelta(hours=24)), "model")
    assert [(c.model, c.env, c.calls) for c in by_model.lines] == [
        ("claude-sonnet-4", None, 3),
        ("gpt-4.1", None, 1),
    ]
    by_env = await ai_costs(spend.hub_db, CostWindow.last(timedelta(days=7)), "env")
    assert [(c.model, c.env, c.total_usd) for c in by_env.lines] == [
        (None, "int", Decimal("60.000000")),
        (None, "stg", Decimal("3.000001")),
        (None, "prd", Decimal("1.250000")),
    ]


async def test_the_window_is_the_runbook_interval(spend):
    last_hour = await ai_costs(spend.hub_db, CostWindow.last(timedelta(hours=1)))
    assert last_hour.total_usd == Decimal("21.25") and last_hour.calls == 3


async def test_today_starts_at_local_midnight_of_the_configured_zone(pg_url, backends):
    now = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)  # 12:00 in Seoul, 23:00 (9th) in New York
    await insert_costs(
        pg_url,
        [
            ("m", "int", Decimal(1), datetime(2025, 3, 9, 14, 59, tzinfo=UTC)),  # 23:59 KST
            ("m", "int", Decimal(2), datetime(2025, 3, 9, 15, 1, tzinfo=UTC)),  # 00:01 KST
            ("m", "int", Decimal(4), datetime(2025, 3, 10, 2, 0, tzinfo=UTC)),
        ],
    )
    seoul = await ai_cost_today(backends.hub_db, "Asia/Seoul", now)
    assert (seoul.total_usd, seoul.calls) == (Decimal(6), 2)
    assert seoul.since == datetime(2025, 3, 9, 15, 0, tzinfo=UTC)
    new_york = await ai_cost_today(backends.hub_db, "America/New_York", now)
    assert (new_york.total_usd, new_york.calls) == (Decimal(7), 3)
    assert local_midnight(now, "America/New_York") == datetime(2025, 3, 9, 5, 0, tzinfo=UTC)


async def test_a_calendar_day_is_the_team_time_zones_day(pg_url, backends):
    now = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)  # 12:00 on the 10th in Seoul
    await insert_costs(
        pg_url,
        [
            ("m", "int", Decimal(1), datetime(2025, 3, 8, 14, 59, tzinfo=UTC)),  # 8th, 23:59 KST
            ("m", "int", Decimal(2), datetime(2025, 3, 8, 15, 0, tzinfo=UTC)),  # 9th, 00:00 KST
            ("m", "int", Decimal(4), datetime(2025, 3, 9, 14, 59, tzinfo=UTC)),  # 9th, 23:59 KST
            ("m", "int", Decimal(8), datetime(2025, 3, 9, 15, 0, tzinfo=UTC)),  # 10th, 00:00 KST
        ],
    )
    yesterday = CostWindow.calendar_day(date(2025, 3, 9), "Asia/Seoul", now)
    assert not yesterday.so_far and yesterday.utc_days == (date(2025, 3, 8), date(2025, 3, 10))
    assert (await ai_costs(backends.hub_db, yesterday)).total_usd == Decimal(6)
    today = CostWindow.calendar_day(date(2025, 3, 10), "Asia/Seoul", now)
    assert today.so_far and today.end == now
    assert (await ai_costs(backends.hub_db, today)).total_usd == Decimal(8)


async def test_fargate_preview_cost_is_asked_in_each_envs_own_account(aws_endpoint, backends):
    seed_cost_explorer(aws_endpoint, ACCOUNTS["stg"], ["5.00"] * 7)
    seed_cost_explorer(aws_endpoint, ACCOUNTS["prd"], ["1.10", "2.20"])

    stg = await fargate_preview_cost(backends, "stg", today=TODAY)
    prd = await fargate_preview_cost(backends, "prd", today=TODAY)
    int_ = await fargate_preview_cost(backends, "int", today=TODAY)

    assert (stg.account_id, stg.total_usd, len(stg.days)) == (ACCOUNTS["stg"], Decimal(35), 7)
    assert (prd.total_usd, prd.days[-1]) == (Decimal("3.30"), (date(2025, 3, 9), Decimal("2.20")))
    assert (stg.start, stg.end) == (date(2025, 3, 3), TODAY)
    assert int_.days == () and int_.total_usd == 0  # nothing seeded for int's account


async def test_fargate_preview_cost_keeps_only_the_days_it_asked_for(aws_endpoint, backends):
    """An answer holding more days than asked (the sandbox's 14, for the weekly digest) counts
    only the last 7."""
    seed_cost_explorer(aws_endpoint, ACCOUNTS["stg"], ["1.00"] * 7 + ["5.00"] * 7)
    stg = await fargate_preview_cost(backends, "stg", today=TODAY)
    assert (len(stg.days), stg.total_usd) == (7, Decimal(35))
    assert stg.days[0] == (date(2025, 3, 3), Decimal("5.00"))


async def test_cost_report_answers_with_what_it_got_when_aws_is_down(
    spend, bot_config, pg_url, redis_url
):
    broken_aws = bot_config.model_copy(
        update={"aws": bot_config.aws.model_copy(update={"endpoint_url": "http://127.0.0.1:1"})}
    )
    backends = build_backends(broken_aws, BackendUrls(pg_url, pg_url, redis_url), retries=0)
    await backends.open()
    try:
        report = await cost_report(backends, CostWindow.last(timedelta(hours=24)))
    finally:
        await backends.close()

    assert report.ai.value is not None and report.ai.value.calls == 4
    for env, part in report.fargate:
        assert part.failure is not None
        assert part.failure.backend == f"AWS {env} Cost Explorer"
        assert part.failure.reason == "cannot connect"


async def test_cost_report_names_the_hub_database_when_it_is_down(
    aws_endpoint, bot_config, redis_url
):
    seed_cost_explorer(aws_endpoint, ACCOUNTS["int"], ["2.00"])
    dead = "postgresql://postgres@127.0.0.1:1/hub"
    backends = build_backends(bot_config, BackendUrls(dead, dead, redis_url), retries=0)
    await backends.open()
    try:
        report = await cost_report(backends, CostWindow.last(timedelta(hours=1)))
    finally:
        await backends.close()

    assert report.ai.failure is not None and report.ai.failure.backend == "PostgreSQL (hub)"
    fargate = dict(report.fargate)
    assert all(part.ok for part in fargate.values())

"""`/rtb status | queues | queue | executions | costs`: renderer goldens, then signed slash
commands end to end against real Redis, PostgreSQL, moto and the fake clusters."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.app import create_runtime
from bot.settings import Settings
from handlers.render.hub import (
    render_costs,
    render_executions,
    render_queue,
    render_queues,
    render_status,
)
from ops.costs import AiCosts, CostLine, CostReport, CostWindow, DailyCost, FargateCost
from ops.executions import ErrorRate, ExecutionFailure, ExecutionGroup, ExecutionsReport
from ops.fanout import Failed, Part
from ops.queues import FailedJob, QueueCounts, QueueDetail, QueuesOverview
from ops.status import Indicator, LatencyP99, PreviewCounts, StatusReport
from tests.fixtures.aws import SHORT
from tests.fixtures.bot import answer_text, serving
from tests.golden import assert_golden, shown
from tests.ops.test_executions import table_names
from tests.ops.test_status import seed_world

TZ = "Asia/Seoul"
AT = datetime(2025, 3, 10, 5, 30, tzinfo=UTC)  # 14:30 in Seoul


# -- renderer goldens -------------------------------------------------------------------------


def counts(
    name, waiting=0, prioritized=0, delayed=0, active=0, failed=0, completed=0, paused=False
):
    return QueueCounts(name, waiting, prioritized, delayed, active, failed, completed, 0, 0, paused)


JIRA = counts("jira-queue", 38, 17, 4, 2, 6, 24_000)
REVIEW = counts("pr-review-queue", 3, paused=True, failed=1, completed=10)
PREVIEW = counts("preview-queue", completed=5)
OVERVIEW = QueuesOverview((JIRA, REVIEW, PREVIEW))


def status_report(**changes):
    base = dict(
        env=None,
        checked_at=AT,
        indicators=(
            Indicator("webhook_p99", 3.0, 4.21),
            Indicator("waiting_jobs", 50, 55),
            Indicator("error_rate", 5.0, 12.0),
            Indicator("ai_cost_today", 100.0, 120.5),
            Indicator("active_previews", 15, 4),
        ),
        latency=LatencyP99(4.21, AT - timedelta(minutes=5), 300),
        queues=OVERVIEW,
        error_rate=ErrorRate(timedelta(minutes=15), 50, 6),
        cost_today=DailyCost(datetime(2025, 3, 9, 15, tzinfo=UTC), Decimal("120.5"), 220),
        previews=PreviewCounts((("int", 2), ("stg", 1), ("prd", 1))),
    )
    return StatusReport(**{**base, **changes})


def test_render_status_golden():
    message = render_status(status_report(), TZ)
    assert_golden("hub_status", message)
    assert message.text == "rtb-ai-hub status: 4 red, 1 green, 0 unknown"
    for fact in (
        ":red_circle: *webhook-listener P99*  `4.21 s`  (threshold 3 s)",
        ":red_circle: *BullMQ waiting jobs (busiest queue)*  `55`  (threshold 50)",
        "jira-queue 55 · pr-review-queue 3 · preview-queue 0 · total 58",
        "Paused: `pr-review-queue`",
        ":red_circle: *workflow-engine error rate*  `12.0 %`",
        ":red_circle: *AI cost today*  `$120.50`  (threshold $100)",
        ":large_green_circle: *Active previews*  `4`  (threshold 15)",
    ):
        assert fact in shown(message)


def test_render_status_with_failed_sources_golden():
    cloudwatch = Failed("AWS int CloudWatch", "500 (HTTP 500)")
    hub = Failed("PostgreSQL (hub)", "cannot connect")
    report = status_report(
        indicators=(
            Indicator("webhook_p99", 3.0, None, (cloudwatch,)),
            Indicator("waiting_jobs", 50, 12),
            Indicator("error_rate", 5.0, None, (hub,)),
            Indicator("ai_cost_today", 100.0, None, (hub,)),
            Indicator("active_previews", 15, 3, (Failed("Kubernetes prd", "HTTP 500"),)),
        ),
        latency=None,
        queues=QueuesOverview((counts("jira-queue", 12),)),
        error_rate=None,
        cost_today=None,
        previews=PreviewCounts((("int", 2), ("stg", 1))),
    )
    message = render_status(report, TZ)
    assert_golden("hub_status_partial", message)
    assert "unknown: *AWS int CloudWatch*: 500 (HTTP 500)" in shown(message)
    assert "*Active previews*  `≥ 3`" in shown(message)  # a lower bound: prd was not counted
    assert "Not counted: *Kubernetes prd*: HTTP 500" in shown(message)
    assert message.text == "rtb-ai-hub status: 0 red, 1 green, 4 unknown"


def test_render_queues_golden():
    message = render_queues(OVERVIEW)
    assert_golden("hub_queues", message)
    rows = shown(message).split("```")[1].splitlines()[2:]
    assert [row.split()[:3] for row in rows] == [
        ["jira-queue", "55", "17"],
        ["pr-review-queue", "3", "0"],
        ["preview-queue", "0", "0"],
    ]
    assert message.text == "BullMQ queues: 3 queues, 58 waiting, 1 paused"


def test_render_queue_golden():
    jobs = (
        FailedJob("41", "jira-auto-dev", "Claude API 529 overloaded", 3, AT),
        FailedJob("40", "jira-auto-dev", "git push rejected:\n  non-fast-forward <main>", 1, None),
        FailedJob("39", "jira-auto-dev", "", 3, AT - timedelta(hours=2)),
    )
    message = render_queue(QueueDetail(JIRA, jobs, True), TZ)
    assert_golden("hub_queue", message)
    assert message.text == "Queue jira-queue: 55 waiting, 6 failed"
    assert "*Waiting*\n55 (17 prioritized)" in shown(message)
    failed = shown(message).split("*Newest failed jobs* (3 of 6)\n", 1)[1].splitlines()[:3]
    assert [line.split("`")[1] for line in failed] == ["41", "40", "39"]
    assert "non-fast-forward &lt;main&gt; (1 attempt, ?)" in failed[1]


def test_render_unwatched_queue_without_failures_golden():
    detail = QueueDetail(counts("billing-queue", 2, paused=True), (), False)
    message = render_queue(detail, TZ)
    assert_golden("hub_queue_unwatched", message)
    assert message.text == "Queue billing-queue: 2 waiting, 0 failed, paused"
    assert "Not in the watched queues (`hub.queues`); found in Redis." in shown(message)


def test_render_executions_golden():
    report = ExecutionsReport(
        timedelta(hours=24),
        None,
        None,
        (
            ExecutionGroup("jira-auto-dev", "completed", 812, 21_300.0, 44_000.0),
            ExecutionGroup("pr-review", "completed", 540, 11_050.5, 19_050.0),
            ExecutionGroup("jira-auto-dev", "failed", 31, 35_000.0, 58_500.0),
            ExecutionGroup("preview-deploy", "completed", 260, 26_400.0, 140_000.0),
            ExecutionGroup("jira-auto-dev", "running", 3, None, None),
            ExecutionGroup("incident-summary", "completed", 120, 640.0, 900.0),
        ),
        (
            ExecutionFailure(
                "jira-auto-dev",
                "PROJ-123",
                "int",
                AT,
                AT + timedelta(seconds=40),
                40_000,
                "Claude API 529 overloaded",
            ),
            ExecutionFailure(
                "preview-deploy",
                None,
                "prd",
                AT - timedelta(hours=1),
                None,
                None,
                "namespaces is forbidden: User <rtb-hub-sa> cannot create resource",
            ),
        ),
    )
    message = render_executions(report, TZ, "https://rtb-hub.internal/")
    assert_golden("hub_executions", message)
    assert message.text == "Workflow executions — last 24h: 1,766 runs"
    assert "*1,766 runs*: 1,732 completed, 31 failed (1.8 % of finished), 3 running" in shown(
        message
    )
    assert "03-10 14:30 `jira-auto-dev` PROJ-123 (int) — Claude API 529 overloaded" in shown(
        message
    )
    assert "<https://rtb-hub.internal/executions?status=failed|" in shown(message)


def test_render_executions_empty_with_hostile_filter_golden():
    report = ExecutionsReport(
        timedelta(hours=1), "failed", "x'; DROP TABLE ai_costs; -- `<@U123>`" + "A" * 300, (), ()
    )
    message = render_executions(report, TZ)
    assert_golden("hub_executions_empty", message)
    failed_only = replace(report, groups=(ExecutionGroup("pr-review", "failed", 3, 1.0, 2.0),))
    assert "% of finished" not in shown(render_executions(failed_only, TZ))  # 100 % says nothing
    assert message.text == "Workflow executions — last 1h: 0 runs"
    assert "<@U123>" not in shown(message) and "&lt;@U123&gt;" in shown(message)


def test_render_costs_golden():
    lines = (
        CostLine("claude-sonnet-4", "int", Decimal("45.123456"), 120),
        CostLine("claude-sonnet-4", "stg", Decimal("20.5"), 80),
        CostLine("gpt-4.1", "prd", Decimal("3.25"), 1_250),
    )
    days = tuple((date(2025, 3, d), Decimal("7.80")) for d in range(3, 10))
    today = CostWindow.calendar_day(date(2025, 3, 10), "Asia/Seoul", AT)
    report = CostReport(
        today,
        100.0,
        Part(value=AiCosts(today, None, lines)),
        (
            (
                "int",
                Part(
                    value=FargateCost(
                        "int", "111111111111", date(2025, 3, 3), date(2025, 3, 10), days
                    )
                ),
            ),
            (
                "stg",
                Part(
                    value=FargateCost(
                        "stg", "222222222222", date(2025, 3, 3), date(2025, 3, 10), ()
                    )
                ),
            ),
            (
                "prd",
                Part(failure=Failed("AWS prd Cost Explorer", "AccessDeniedException (HTTP 400)")),
            ),
        ),
    )
    message = render_costs(report, TZ)
    assert_golden("hub_costs", message)
    assert (
        message.text == "AI cost, today so far (2025-03-10, Asia/Seoul): $68.87"
    )  # 45.12+20.50+3.25
    for fact in (
        ":large_green_circle: *AI cost*  `$68.87`  (threshold $100/day) — 00:00–",
        "claude-sonnet-4 int      120       $45.12",
        "gpt-4.1 prd            1,250        $3.25",
        "*int* (111111111111) `$54.60` over 03-03 → 03-09 (UTC days), last day $7.80",
        "*prd* — unknown: *AWS prd Cost Explorer*: AccessDeniedException (HTTP 400)",
    ):
        assert fact in shown(message)


def test_render_costs_by_env_with_the_hub_database_down_golden():
    down = Failed("PostgreSQL (hub)", "cannot connect")
    report = CostReport(
        CostWindow.last(timedelta(days=7), AT),
        100.0,
        Part(failure=down),
        (
            (
                "int",
                Part(
                    value=FargateCost(
                        "int", "111111111111", date(2025, 3, 3), date(2025, 3, 10), ()
                    )
                ),
            ),
        ),
    )
    message = render_costs(report, TZ)
    assert_golden("hub_costs_partial", message)
    assert message.text == "AI cost, last 7d: unknown"  # never $0 when the database is down
    assert "*AI API cost* (`ai_costs`) — unknown: *PostgreSQL (hub)*: cannot connect" in shown(
        message
    )


def test_render_costs_by_model_golden():
    lines = (
        CostLine("claude-sonnet-4", None, Decimal("30"), 40),
        CostLine("gpt-4.1", None, Decimal("0.5"), 2),
    )
    last_hour = CostWindow.last(timedelta(hours=1), AT)
    report = CostReport(last_hour, 100.0, Part(value=AiCosts(last_hour, "model", lines)), ())
    message = render_costs(report, TZ)
    assert_golden("hub_costs_by_model", message)
    assert message.text == "AI cost, last 1h: $30.50"
    assert "claude-sonnet-4       40       $30.00" in shown(message)
    assert "total                 42       $30.50" in shown(message)
    assert "the $100/day threshold is per calendar day" in shown(message)  # not judged


def test_render_costs_of_a_past_day_over_the_threshold():
    day = CostWindow.calendar_day(date(2025, 3, 8), "Asia/Seoul", AT)
    lines = (CostLine("claude-sonnet-4", "int", Decimal("144.40"), 300),)
    message = render_costs(CostReport(day, 100.0, Part(value=AiCosts(day, None, lines)), ()), TZ)
    assert message.text == "AI cost, 2025-03-08 (Asia/Seoul): $144.40"
    assert ":red_circle: *AI cost*  `$144.40`  (threshold $100/day) — the whole day" in shown(
        message
    )


# -- end to end -------------------------------------------------------------------------------


@pytest.fixture
async def world(redis_url, pg_url, kube, aws_endpoint, runtime):
    await seed_world(redis_url, pg_url, kube, aws_endpoint)


async def test_status_end_to_end(slack, world):
    answer = await slack.ask("status")
    text = answer_text(answer)
    assert answer["response_type"] == "in_channel"
    assert "3 red, 1 green, 1 unknown" in text
    assert "*AWS int CloudWatch*: 500 (HTTP 500)" in text  # moto cannot compute p99
    assert "`55`  (threshold 50)" in text and "total 58" in text  # judged per queue
    assert "`12.0 %`" in text and "`$120.00`" in text
    assert "Paused: `pr-review-queue`" in text and "int 2 · stg 1 · prd 1" in text


async def test_status_for_one_env_and_with_a_failing_cluster(slack, world, kube):
    kube["prd"].inject_fault(
        method="GET", path_regex="^/api/v1/namespaces$", status=403, count=None
    )
    text = answer_text(await slack.ask("status prd"))
    assert "previews in prd" in text and "prd 1" not in text
    assert '"text": "rtb-ai-hub status · previews in prd"' in text  # the header
    assert "*Kubernetes prd*: HTTP 403 Forbidden" in text
    assert "`55`" in text  # the other indicators are still there


async def test_status_rejects_an_unknown_env(slack):
    text = answer_text(await slack.ask("status qa"))
    assert "`qa` is not a valid <env>: must be one of: int, stg, prd." in text
    assert "Usage: `/rtb status [<env>]`" in text


async def test_queues_end_to_end(slack, world):
    answer = await slack.ask("queues")
    text = answer_text(answer)
    assert answer["response_type"] == "in_channel"
    assert "jira-queue" in text and "pr-review-queue" in text
    assert "Paused:* `pr-review-queue`" in text and "58 waiting in total" in text


async def test_queue_end_to_end_and_bad_names(slack, world):
    text = answer_text(await slack.ask("queue jira-queue --failed 3"))
    assert (
        "Queue jira-queue" in text and "55 (17 prioritized)" in text and "No failed jobs." in text
    )
    assert "Did you mean `jira-queue`?" in answer_text(await slack.ask("queue jira-queu"))
    assert "is not a valid <name>" in answer_text(await slack.ask("queue 'x;FLUSHALL'"))
    assert "must be between 0 and 50" in answer_text(
        await slack.ask("queue jira-queue --failed 999")
    )


async def test_executions_end_to_end(slack, world):
    text = answer_text(await slack.ask("executions --status failed --since 1h"))
    assert "Workflow executions — last 1h" in text
    assert "Claude API 529 overloaded" in text and "*6 runs*" in text


async def test_executions_hostile_type_reaches_no_query_unescaped(slack, world, pg_url):
    text = answer_text(await slack.ask("""executions --type "x'; DROP TABLE ai_costs; --" """))
    assert "No executions" in text
    assert await table_names(pg_url) == ["ai_costs", "workflow_executions"]
    long_type = "executions --type " + "A" * 3_900
    assert "at most 200 characters" in answer_text(await slack.ask(long_type))
    assert "too long" in answer_text(await slack.ask("executions --type " + "A" * 10_000))


async def test_executions_bad_flags_are_usage_errors(slack):
    assert "must be one of: running, completed, failed" in answer_text(
        await slack.ask("executions --status broken")
    )
    assert "must be a duration like 30m" in answer_text(
        await slack.ask("executions --since forever")
    )


async def test_costs_end_to_end(slack, world):
    text = answer_text(await slack.ask("costs --since 1h --by model"))
    assert "Costs — last 1h" in text and "AI API cost by model" in text
    assert "claude-sonnet-4" in text and "$120.00" in text
    today = answer_text(await slack.ask("costs"))
    assert "Costs — today so far (" in today and "(threshold $100/day)" in today
    yesterday = answer_text(await slack.ask("costs --day yesterday --by env"))
    assert "Costs — 20" in yesterday and "so far" not in yesterday
    for env in ("int", "stg", "prd"):
        assert f"• *{env}* (" in text  # Cost Explorer answered in each account
    assert "must be one of: model, env" in answer_text(await slack.ask("costs --by team"))
    for line, said in (
        ("costs --day 2026-02-30", "must be today, yesterday or a date like"),
        ("costs --day tomorrow", "must be today, yesterday or a date like"),
        ("costs --day 2999-01-01", "has not happened yet"),
        ("costs --day 2001-01-01", "At most 90 days back"),
        ("costs --day yesterday --since 1h", "Use `--day` or `--since`, not both."),
    ):
        assert said in answer_text(await slack.ask(line)), line


# -- with a backend down ------------------------------------------------------------------------


@pytest.fixture
async def broken_slack(bot_settings, fake_slack):
    """A second bot whose Redis and hub PostgreSQL point at closed ports."""
    secrets = replace(
        bot_settings.secrets,
        redis_url="redis://127.0.0.1:1/0",
        hub_database_url="postgresql://postgres@127.0.0.1:1/hub",
    )
    runtime = create_runtime(Settings(bot_settings.config, secrets), retries=0)
    await runtime.start()
    try:
        async with serving(runtime, fake_slack) as driver:
            yield driver
    finally:
        await runtime.stop()


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_redis_and_hub_database_down_are_named_and_the_bot_keeps_answering(broken_slack):
    assert "*Redis* is not answering: cannot connect" in answer_text(
        await broken_slack.ask("queues")
    )
    hub_down = answer_text(await broken_slack.ask("executions"))
    assert "*PostgreSQL (hub)* is not answering" in hub_down
    status = answer_text(await broken_slack.ask("status"))
    assert "*Redis*: cannot connect" in status and "*PostgreSQL (hub)*:" in status
    assert "previews in every env" in status
    assert "/rtb help" in answer_text(await broken_slack.ask("help"))

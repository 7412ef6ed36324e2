"""The weekly digest's four sources against real servers, each number computed again here."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import psycopg
import redis.asyncio as aioredis
from bullmq import Queue

from ops.backends.container import BackendUrls, build_backends
from ops.weekly import assume_role, fargate, sampler, scaling, ttl
from ops.weekly.window import Week
from tests.fixtures.bot import ACCOUNTS
from tests.fixtures.weekly import (
    NOW,
    WEEK_END,
    WEEK_START,
    ce_day,
    cross_account_assume,
    deployer,
    engine_deployment,
    engine_scaled_object,
    insert_samples,
    seed_ce,
)
from tests.ops.test_previews import preview_namespace

WEEK = Week(WEEK_START, WEEK_END)


def test_the_week_is_the_seven_local_days_before_today():
    week = Week.before(NOW, "Asia/Seoul")
    assert (week.start, week.end) == (WEEK_START, WEEK_END)
    assert week.previous == Week(WEEK_START - timedelta(days=7), WEEK_START)
    assert week.minutes == 7 * 24 * 60


# -- Fargate cost per env ----------------------------------------------------------------------


async def test_fargate_this_week_against_the_week_before_per_account(
    weekly_backends, aws_endpoint, fake_aws
):
    first = date(2026, 2, 16)
    plans = {"int": ("1.10", "0.40"), "stg": ("2.00", "0.50"), "prd": ("0.30", "0.05")}
    for env, (cpu, memory) in plans.items():
        days = [ce_day(first + timedelta(days=n), (cpu, memory), other="9.99") for n in range(14)]
        days[10] = ce_day(first + timedelta(days=10), ("5.00", "1.00"))  # one dearer day
        seed_ce(aws_endpoint, ACCOUNTS[env], days)

    result = await fargate.fargate_week(weekly_backends, NOW)

    assert (result.start, result.end, result.failures) == (date(2026, 2, 23), NOW.date(), ())
    for env, (cpu, memory) in plans.items():
        one = next(e for e in result.envs if e.env == env)
        daily = Decimal(cpu) + Decimal(memory)
        assert one.account_id == ACCOUNTS[env]
        assert len(one.days) == 14
        assert one.week_before == daily * 7  # load balancer usage is not Fargate
        assert one.this_week == daily * 6 + Decimal("6.00")
        assert one.change_percent == float(
            (one.this_week - one.week_before) / one.week_before * 100
        )
    call = fake_aws.calls("GetCostAndUsage")[0]
    assert call.body["TimePeriod"] == {"Start": "2026-02-16", "End": "2026-03-02"}
    assert call.body["GroupBy"] == [{"Type": "DIMENSION", "Key": "USAGE_TYPE"}]
    assert call.body["Filter"] == {"Tags": {"Key": "env", "Values": ["preview"]}}
    assert {c.account for c in fake_aws.calls("GetCostAndUsage")} == set(ACCOUNTS.values())


async def test_fargate_names_the_account_that_failed(weekly_backends, fake_aws):
    fake_aws.inject_fault("GetCostAndUsage", account=ACCOUNTS["prd"], error="AccessDeniedException")
    result = await fargate.fargate_week(weekly_backends, NOW)
    assert [e.env for e in result.envs] == ["int", "stg"]
    assert [(f.backend, f.reason) for f in result.failures] == [
        ("AWS prd Cost Explorer", "AccessDeniedException (HTTP 400)")
    ]


# -- the sampler and the scaling history ---------------------------------------------------------


async def second_replica(config, pg_url, redis_url):
    """Another replica: its own clients, the same PostgreSQL, Redis and clusters."""
    other = build_backends(config, BackendUrls(pg_url, pg_url, redis_url), retries=0)
    await other.open()
    return other


async def test_sampler_reads_the_engine_and_records_each_minute_once_across_replicas(
    weekly_backends, kube, redis_url, pg_url
):
    kube["int"].apply(engine_deployment(3))
    kube["int"].apply(engine_scaled_object("3"))
    client = aioredis.Redis.from_url(redis_url)
    try:
        queue = Queue("jira-queue", {"connection": client, "prefix": "bull"})
        await queue.addBulk([{"name": "jira-auto-dev", "data": {}, "opts": {}}] * 4)
        await queue.add("urgent", {}, {"priority": 1})
    finally:
        await client.aclose()
    other = await second_replica(weekly_backends.config, pg_url, redis_url)
    try:
        moment = NOW + timedelta(seconds=17)
        outcomes = await asyncio.gather(
            sampler.sample_engine(weekly_backends, "replica-a", moment),
            sampler.sample_engine(other, "replica-b", moment),
        )
    finally:
        await other.close()

    assert sorted(o.recorded for o in outcomes) == [False, True]
    sample = outcomes[0].sample
    ready = kube["int"].get("deployments", "rtb-ai-hub", "workflow-engine")["status"]
    assert (sample.minute, sample.desired, sample.keda_paused) == (NOW, 3, True)
    assert sample.ready == int(ready.get("readyReplicas") or 0)
    assert (sample.active, sample.waiting, sample.idle) == (0, 5, False)
    async with await psycopg.AsyncConnection.connect(pg_url) as conn:
        rows = await (
            await conn.execute("SELECT minute, desired, sampled_by FROM rtb_bot.engine_samples")
        ).fetchall()
    winner = next(o for o in outcomes if o.recorded)
    assert rows == [(NOW, 3, "replica-a" if winner is outcomes[0] else "replica-b")]


async def test_sampler_records_unknown_as_null_and_prunes_old_minutes(
    weekly_backends, kube, pg_url
):
    """No workflow-engine in the cluster: the replicas are unknown, not zero."""
    await insert_samples(
        pg_url,
        [
            (NOW - timedelta(days=36), 1, 1, False, 0, 0),
            (NOW - timedelta(days=34), 1, 1, False, 0, 0),
        ],
    )
    outcome = await sampler.sample_engine(weekly_backends, "replica-a", NOW)
    assert outcome.recorded and outcome.pruned == 1
    assert (outcome.sample.desired, outcome.sample.ready, outcome.sample.idle) == (None, None, None)
    assert (outcome.sample.active, outcome.sample.waiting) == (0, 0)
    async with await psycopg.AsyncConnection.connect(pg_url) as conn:
        minutes = await (
            await conn.execute("SELECT minute FROM rtb_bot.engine_samples ORDER BY minute")
        ).fetchall()
    assert [m for (m,) in minutes] == [NOW - timedelta(days=34), NOW]


def week_of_samples():
    """A week of minutes: nights at 0 replicas, days at 2 with work, an idle hour at 3 each
    afternoon, KEDA paused Wednesday 10:00–11:00, and Sunday missing (the bot was down)."""
    rows = []
    for minute in range(6 * 24 * 60):
        at = WEEK_START + timedelta(minutes=minute)
        hour = (minute // 60) % 24  # local hours (the week starts at local midnight)
        day = minute // (24 * 60)
        if hour < 8:
            replicas, active, waiting = 0, 0, 0
        elif hour == 15:
            replicas, active, waiting = 3, 0, 0
        else:
            replicas, active, waiting = 2, 1, 2
        paused = day == 2 and hour == 10
        unknown_queues = day == 4 and hour == 16 and minute % 60 < 30  # Redis did not answer
        rows.append(
            (
                at,
                replicas,
                replicas,
                paused,
                None if unknown_queues else active,
                None if unknown_queues else waiting,
            )
        )
    return rows


async def test_scaling_history_counts_replica_hours_idle_time_and_changes(weekly_backends, pg_url):
    rows = week_of_samples()
    outside = [(WEEK_END + timedelta(minutes=5), 9, 9, False, 0, 0)]  # next week: not counted
    await insert_samples(pg_url, rows + outside)

    history = await scaling.scaling_history(weekly_backends, WEEK)

    known = [r for r in rows if r[4] is not None]
    idle = [r for r in known if r[1] > 0 and r[4] + r[5] == 0]
    assert history.minutes_in_week == 7 * 24 * 60
    assert (history.minutes_sampled, history.minutes_known) == (len(rows), len(known))
    assert history.replica_hours == sum(r[1] for r in known) / 60
    assert history.idle_replica_hours == sum(r[1] for r in idle) / 60 == 6 * 3.0
    assert history.idle_cost_usd == history.idle_replica_hours * 0.05
    assert history.paused_minutes == 60
    assert history.max_replicas == 3
    # each day: 0→2 at 08:00, 2→3 at 15:00, 3→2 at 16:00, 2→0 at midnight (not after the last)
    assert len(history.changes) == 6 * 4 - 1
    first = history.changes[0]
    assert (first.at, first.replicas_before, first.replicas_after) == (
        WEEK_START + timedelta(hours=8),
        0,
        2,
    )
    assert history.coverage == len(known) / (7 * 24 * 60)


async def test_postgresql_counts_the_week_as_the_python_reference_does(weekly_backends, pg_url):
    """The digest gets totals and changes from SQL; `summarize` is the same arithmetic over
    the samples: unknown replicas, unknown queues, KEDA pauses and gaps agree."""
    shapes = [
        (2, 1, 0, False),
        (2, 0, 0, False),  # idle
        (None, 0, 0, False),  # replicas unknown: not a change, not counted
        (3, 0, 0, True),  # 2 → 3 across the unknown minute, KEDA paused, idle
        (3, None, None, True),  # queues unknown
        (0, 0, 0, False),
        (1, 0, 4, False),
    ]
    rows = [
        (WEEK_START + timedelta(minutes=7 * n), d, d, p, a, w)
        for n, (d, a, w, p) in enumerate(shapes)
    ]
    await insert_samples(pg_url, rows)

    history = await scaling.scaling_history(weekly_backends, WEEK)

    samples = [sampler.EngineSample(*row) for row in rows]
    reference = scaling.summarize(samples, WEEK, history.deployment, history.replica_hour_usd)
    assert history == reference
    assert [(c.replicas_before, c.replicas_after) for c in history.changes] == [
        (2, 3),
        (3, 0),
        (0, 1),
    ]
    assert (history.replica_hours, history.idle_replica_hours) == (8 / 60, 5 / 60)


# -- the AssumeRole audit ----------------------------------------------------------------------


def seed_trail(fake_aws):
    this, before = WEEK_START + timedelta(days=2), WEEK_START - timedelta(days=3)
    for env in ("stg", "prd"):
        account = ACCOUNTS[env]
        for hours in range(5):  # the bot for UOPERATOR1, both weeks
            fake_aws.add_trail_event(
                account, cross_account_assume(env, this + timedelta(hours=hours))
            )
            fake_aws.add_trail_event(
                account, cross_account_assume(env, before + timedelta(hours=hours))
            )
    prd = ACCOUNTS["prd"]
    fake_aws.add_trail_event(  # the hub, both weeks; sessions differ, the role does not
        prd,
        cross_account_assume(
            "prd",
            before,
            role_id="AROA111111RTBHUBSA",
            session="botocore-session-1",
            source_identity=None,
        ),
    )
    for n, error in enumerate(("AccessDenied", "AccessDenied", None)):
        fake_aws.add_trail_event(
            prd,
            cross_account_assume(
                "prd",
                this + timedelta(minutes=n),
                role_id="AROA111111RTBHUBSA",
                session=f"botocore-session-{n + 2}",
                source_identity=None,
                error=error,
            ),
        )
    fake_aws.add_trail_event(  # a Slack user the bot never acted for before
        ACCOUNTS["stg"],
        cross_account_assume("stg", this, source_identity="UNEWCOMER", session="rtb-bot.UNEWCOMER"),
    )
    fake_aws.add_trail_event(  # a caller never seen before, refused
        prd,
        cross_account_assume(
            "prd",
            this,
            role_id="AROA111111CIRUNNER",
            session="ci",
            source_identity=None,
            error="ExpiredTokenException",
        ),
    )
    fake_aws.add_trail_event(  # another role: not audited
        prd, cross_account_assume("prd", this, role="arn:aws:iam::333333333333:role/other")
    )
    fake_aws.add_trail_event(  # after the week: not counted
        prd, cross_account_assume("prd", WEEK_END + timedelta(hours=1))
    )


async def test_assume_role_audit_counts_callers_failures_and_flags_newcomers(
    weekly_backends, fake_aws
):
    seed_trail(fake_aws)
    audit = await assume_role.assume_role_audit(weekly_backends, WEEK)

    assert audit.roles == (("stg", deployer("stg")), ("prd", deployer("prd")))
    assert (audit.calls, audit.failed) == (10 + 3 + 1 + 1, 3)
    assert audit.errors == (("AccessDenied", 2), ("ExpiredTokenException", 1))
    assert audit.baseline_known and audit.capped == () and audit.failures == ()
    int_account = ACCOUNTS["int"]
    summary = [
        (
            c.principal,
            c.source_identity,
            c.envs,
            c.calls,
            c.failed,
            c.new_principal,
            c.new_source_identity,
        )
        for c in audit.callers
    ]
    assert summary == [
        (f"{int_account}:AROA111111CIRUNNER", "", ("prd",), 1, 1, True, False),
        (f"{int_account}:AROA111111RTBOPSBOT", "UNEWCOMER", ("stg",), 1, 0, False, True),
        (f"{int_account}:AROA111111RTBOPSBOT", "UOPERATOR1", ("prd", "stg"), 10, 0, False, False),
        (f"{int_account}:AROA111111RTBHUBSA", "", ("prd",), 3, 2, False, False),
    ]
    windows = {
        (c.account, c.body["StartTime"], c.body["EndTime"]) for c in fake_aws.calls("LookupEvents")
    }
    assert len(windows) == 4  # stg and prd, this week and the week before


async def test_assume_role_audit_without_the_week_before_flags_nobody(weekly_backends, fake_aws):
    seed_trail(fake_aws)
    fake_aws.inject_fault("LookupEvents", account=ACCOUNTS["stg"], count=None)
    audit = await assume_role.assume_role_audit(weekly_backends, WEEK)
    assert not audit.baseline_known
    assert not any(c.flagged for c in audit.callers)
    assert [f.backend for f in audit.failures] == ["AWS stg cloudtrail", "AWS stg cloudtrail"]
    assert all(f.reason == "ThrottlingException (HTTP 400)" for f in audit.failures)
    assert audit.calls == 5 + 3 + 1  # prd only


# -- TTL expiry failures -------------------------------------------------------------------------


def cleanup_line(at, issue, env, error, msg="cleanupExpired: failed to delete preview namespace"):
    return {
        "level": "error",
        "time": int(at.timestamp() * 1000),
        "service": "workflow-engine",
        "env": env,
        "issueKey": issue,
        "msg": msg,
        "err": {"type": "Error", "message": error},
    }


async def test_ttl_failures_group_lines_by_preview_and_error_and_list_overdue_previews(
    weekly_backends, fake_aws, kube
):
    group = "/rtb-ai-hub/workflow-engine"
    day = WEEK_START + timedelta(days=1)
    lines = [
        cleanup_line(day, "PROJ-130", "int", "namespace has finalizers"),
        cleanup_line(day + timedelta(hours=1), "PROJ-130", "int", "namespace has finalizers"),
        cleanup_line(day + timedelta(hours=2), "PROJ-130", "int", "AccessDenied"),
        cleanup_line(day + timedelta(hours=3), "PROJ-77", "stg", "AccessDenied"),
        {**cleanup_line(day, "PROJ-9", "int", "x"), "level": "info", "msg": "cleanupExpired: ok"},
        cleanup_line(day, "PROJ-1", "int", "x", msg="unrelated error"),
        cleanup_line(WEEK_START - timedelta(hours=1), "PROJ-5", "int", "last week"),
    ]
    for line in lines:
        fake_aws.add_log_line(group, line)
    kube["int"].apply(preview_namespace("preview-proj-130", issue="PROJ-130"))
    overdue = preview_namespace("preview-proj-130", issue="PROJ-130")
    overdue["metadata"]["annotations"]["rtb.io/expires-at"] = "2026-02-27T03:00:00Z"
    kube["int"].apply(overdue)
    fresh = preview_namespace("preview-proj-140", issue="PROJ-140")
    fresh["metadata"]["annotations"]["rtb.io/expires-at"] = "2026-03-05T03:00:00Z"
    kube["stg"].apply(fresh)

    result = await ttl.ttl_failures(weekly_backends, WEEK, NOW)

    found = result.lines.value
    assert found is not None and found.complete and found.lines == 4
    assert [(e.env, e.issue_key, e.error, e.count) for e in found.errors] == [
        ("int", "PROJ-130", "namespace has finalizers", 2),
        ("int", "PROJ-130", "AccessDenied", 1),
        ("stg", "PROJ-77", "AccessDenied", 1),
    ]
    assert found.errors[0].first == day and found.errors[0].last == day + timedelta(hours=1)
    assert result.failures == ()
    assert [(p.env, p.issue_key) for p in result.outlived] == [("int", "PROJ-130")]
    query = fake_aws.calls("StartQuery")[0]
    assert query.account == ACCOUNTS["int"]
    assert (query.body["startTime"], query.body["endTime"]) == (
        int(WEEK_START.timestamp()),
        int(WEEK_END.timestamp()),
    )


async def test_ttl_failures_name_logs_insights_when_it_fails(weekly_backends, fake_aws):
    fake_aws.add_log_group("/rtb-ai-hub/workflow-engine")
    fake_aws.inject_fault("StartQuery", error="AccessDeniedException")
    result = await ttl.ttl_failures(weekly_backends, WEEK, NOW)
    assert result.lines.value is None
    assert [(f.backend, f.reason) for f in result.failures] == [
        ("AWS int logs", "AccessDeniedException (HTTP 400)")
    ]
    assert result.overdue.ok


def test_idle_is_unknown_when_a_source_is():
    sample = sampler.EngineSample(NOW, 2, 2, False, 0, 0)
    assert sample.idle is True
    assert replace(sample, active=None).idle is None
    assert replace(sample, desired=0).idle is False
    assert sampler.minute_of(datetime(2026, 3, 2, 9, 0, 59, 999, tzinfo=UTC)) == datetime(
        2026, 3, 2, 9, 0, tzinfo=UTC
    )


# -- the whole digest ----------------------------------------------------------------------------


async def test_each_source_down_is_a_named_item(
    kube, aws_endpoint, aws_env, fake_aws, pg_url, redis_url
):
    """Cost Explorer and CloudTrail refuse, Logs Insights refuses, the clusters answer 500,
    the bot's PostgreSQL is not there: the digest still comes, every item naming its source."""
    from handlers.render.weekly import UNREAD, render_weekly
    from ops.weekly.digest import build_weekly
    from tests.fixtures.weekly import weekly_config
    from tests.ops.test_executions import create_hub_tables

    await create_hub_tables(pg_url)
    for operation in ("GetCostAndUsage", "LookupEvents", "StartQuery"):
        fake_aws.inject_fault(operation, error="AccessDeniedException", count=None)
    fake_aws.add_log_group("/rtb-ai-hub/workflow-engine")
    for server in kube.values():
        server.inject_fault("GET", ".*", status=500, count=None)
    dead = "postgresql://postgres@127.0.0.1:1/bot"
    config = weekly_config(kube, aws_endpoint, fake_aws)
    backends = build_backends(config, BackendUrls(dead, pg_url, redis_url), retries=0)
    await backends.open()
    try:
        digest = await build_weekly(backends, NOW)
    finally:
        await backends.close()

    sections = [
        b["text"]["text"]
        for b in render_weekly(digest).main.blocks_json()
        if b["type"] == "section"
    ]
    assert [s.split("\n")[0] for s in sections] == [
        f"{UNREAD} *1. Fargate cost per env*",
        f"{UNREAD} *2. KEDA scaling and workflow-engine idle time*",
        f"{UNREAD} *3. Cross-account AssumeRole audit*",
        f"{UNREAD} *4. Preview TTL expiry failures*",
    ]
    assert "Not read: AWS prd Cost Explorer: AccessDeniedException (HTTP 400)" in sections[0]
    assert "Could not be read: PostgreSQL (bot): " in sections[1]  # refused, or the pool gave up
    assert "Not read: AWS stg cloudtrail: AccessDeniedException (HTTP 400)" in sections[2]
    assert "Not read: AWS int logs: AccessDeniedException (HTTP 400)" in sections[3]
    assert "Not read: kubernetes prd: HTTP 500" in sections[3]
    assert digest.ai_daily.ok  # the hub's PostgreSQL answered: the chart still has its AI line


async def test_a_hung_source_costs_its_timeout_and_is_named(weekly_backends, fake_aws):
    from ops.weekly.digest import build_weekly

    config = weekly_backends.config
    weekly_backends.config = config.model_copy(
        update={"weekly": config.weekly.model_copy(update={"source_seconds": 2.0})}
    )
    fake_aws.inject_fault("GetCostAndUsage", error=None, delay=4.0, count=None)
    digest = await build_weekly(weekly_backends, NOW)
    fargate = digest.fargate.value
    assert fargate is not None and fargate.envs == ()
    assert {(f.backend, f.reason) for f in fargate.failures} == {
        (f"AWS {env} Cost Explorer", "no answer within 1.6 s") for env in ("int", "stg", "prd")
    }
    assert digest.scaling.ok and digest.assume_role.ok and digest.ai_daily.ok

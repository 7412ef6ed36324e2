"""The sandbox's seeded week makes every weekly item show something real: the digest built
against a running SandboxStack, each number computed again here from the seed's own data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from handlers.render.weekly import UNREAD, render_weekly
from ops.backends.container import BackendUrls, build_backends
from ops.config import Config
from ops.weekly.digest import WeeklyDigest, build_weekly
from ops.weekly.window import Week
from sandbox.seed_aws import FARGATE_DAILY_USD, FARGATE_DAY_FACTORS, FARGATE_WEEK_BEFORE
from sandbox.seed_weekly import engine_samples, overdue_cleanup_times
from sandbox.stack import SandboxStack


@pytest.fixture
async def digest(stack: SandboxStack, aws_env: None) -> AsyncIterator[WeeklyDigest]:
    config = Config.model_validate(stack.config_data())
    urls = BackendUrls(
        stack.environ["DATABASE_URL"], stack.environ["HUB_DATABASE_URL"], stack.environ["REDIS_URL"]
    )
    backends = build_backends(config, urls, retries=0)
    await backends.open()
    try:
        assert stack.now is not None
        yield await build_weekly(backends, stack.now)
    finally:
        await backends.close()


def test_fargate_per_env_against_the_seeded_days(stack, digest):
    fargate = digest.fargate.value
    assert fargate is not None and fargate.failures == ()
    for env in fargate.envs:
        daily = FARGATE_DAILY_USD[env.env]
        this = sum(Decimal(f"{round(daily * f, 4):.4f}") for f in FARGATE_DAY_FACTORS)
        before = sum(
            Decimal(f"{round(daily * f * FARGATE_WEEK_BEFORE[env.env], 4):.4f}")
            for f in FARGATE_DAY_FACTORS
        )
        assert (env.this_week, env.week_before) == (this, before), env.env
    stg = next(e for e in fargate.envs if e.env == "stg")
    assert stg.change_percent is not None and round(stg.change_percent) == 43


def test_scaling_history_matches_the_seeded_samples(stack, digest):
    history = digest.scaling.value
    assert history is not None
    week = Week.before(stack.now, "Asia/Seoul")
    rows = [r for r in engine_samples(stack.now) if week.start <= r[0] < week.end]
    known = [r for r in rows if r[4] is not None]
    idle = [r for r in known if r[1] > 0 and r[4] + r[5] == 0]
    assert history.minutes_sampled == len(rows) == week.minutes
    assert history.minutes_known == len(known) == week.minutes - 40
    assert history.replica_hours == pytest.approx(sum(r[1] for r in known) / 60)
    assert history.idle_replica_hours == pytest.approx(sum(r[1] for r in idle) / 60)
    assert history.idle_replica_hours > 5 and len(history.changes) > 20
    assert history.paused_minutes == 60


def test_assume_role_audit_flags_the_newcomers(digest):
    audit = digest.assume_role.value
    assert audit is not None and audit.failures == () and audit.baseline_known
    flagged = {
        (c.principal.rsplit(":", 1)[-1], c.source_identity) for c in audit.callers if c.flagged
    }
    assert flagged == {("AROA111111CIDEPLOYER", ""), ("AROA111111RTBOPSBOT", "UOPERATOR2")}
    assert dict(audit.errors) == {"AccessDenied": 3}
    assert audit.calls == audit.failed + sum(c.calls - c.failed for c in audit.callers)


def test_ttl_failures_show_the_weeks_cleanup_errors_and_the_overdue_preview(stack, digest):
    ttl = digest.ttl.value
    assert ttl is not None and ttl.failures == ()
    lines = ttl.lines.value
    assert lines is not None
    week = Week.before(stack.now, "Asia/Seoul")
    overdue = sum(1 for at in overdue_cleanup_times(stack.now) if week.start <= at < week.end)
    expected = [("stg", "PROJ-96", 9), ("prd", "PROJ-88", 3), ("int", "PROJ-111", 1)]
    if overdue:  # the stack started between 00:10 and 04:10 in Seoul
        expected.append(("int", "PROJ-130", overdue))
    assert [(e.env, e.issue_key, e.count) for e in lines.errors] == sorted(
        expected, key=lambda e: (-e[2], e[0], e[1])
    )
    assert [(p.env, p.issue_key) for p in ttl.outlived] == [("int", "PROJ-130")]


def test_every_item_shows_something_and_the_chart_has_fourteen_days(digest):
    rendered = render_weekly(digest)
    sections = [b["text"]["text"] for b in rendered.main.blocks_json() if b["type"] == "section"]
    assert len(sections) == 4 and not any(s.startswith(UNREAD) for s in sections)
    assert digest.ai_daily.value is not None and len(digest.ai_daily.value.days) == 14
    assert sum(v for _, v in digest.ai_daily.value.days) > 0
    assert digest.week.end - digest.week.start == timedelta(days=7)


async def test_last_mondays_week_shows_something_in_every_item_too(stack, aws_env):
    """What the console's `/fire weekly-digest` posts: the week before last Monday 09:00."""
    from ops.schedule import due_period

    config = Config.model_validate(stack.config_data())
    monday = due_period("0 9 * * mon", config.timezone, stack.now, timedelta(days=8))
    assert monday is not None
    urls = BackendUrls(
        stack.environ["DATABASE_URL"], stack.environ["HUB_DATABASE_URL"], stack.environ["REDIS_URL"]
    )
    backends = build_backends(config, urls, retries=0)
    await backends.open()
    try:
        digest = await build_weekly(backends, stack.now, week_of=monday)
    finally:
        await backends.close()
    assert digest.week == Week.before(monday, config.timezone)
    assert digest.fargate.value is not None and len(digest.fargate.value.envs) == 3
    assert digest.fargate.value.this_week > 0 and digest.fargate.value.week_before > 0
    assert digest.scaling.value is not None
    assert digest.scaling.value.minutes_known >= digest.week.minutes - 40  # the Redis gap
    assert digest.assume_role.value is not None and digest.assume_role.value.calls > 0
    ttl = digest.ttl.value
    assert ttl is not None and ttl.lines.value is not None and ttl.lines.value.lines > 0
    rendered = render_weekly(digest)
    sections = [b["text"]["text"] for b in rendered.main.blocks_json() if b["type"] == "section"]
    assert not any(s.startswith(UNREAD) for s in sections)

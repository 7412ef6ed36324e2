"""workflow_executions reads against a real PostgreSQL holding the hub's schema."""

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ops.backends.db import Database
from ops.errors import BackendError
from ops.executions import error_rate, executions_report
from sandbox.seed_hub import hub_schema_sql

DAY = timedelta(hours=24)
HOSTILE = [
    "x'; DROP TABLE ai_costs; --",
    "x'; DROP TABLE workflow_executions; --",
    "' OR '1'='1",
    'pr-review" OR 1=1 --',
    "%s %(type)s {}",
    "pr-review\x00",
    "프리뷰-배포 🚀",
    "A" * 10_000,
]

# -- helpers shared by the hub-data tests (costs, status, handlers) ----------------------------


def ago(**delta):
    return datetime.now(UTC) - timedelta(**delta)


async def create_hub_tables(url):
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(hub_schema_sql())


async def insert_executions(url, rows):
    """rows: (workflow_type, status, started_at, duration_ms, error_message[, issue, env])."""
    sql = (
        "INSERT INTO workflow_executions (workflow_type, status, issue_key, env, started_at,"
        " finished_at, duration_ms, error_message) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for row in rows:
            wf, status, started, duration_ms, error = row[:5]
            issue, env = row[5:7] or ("PROJ-1", "int")
            finished = started + timedelta(milliseconds=duration_ms) if duration_ms else None
            await conn.execute(sql, (wf, status, issue, env, started, finished, duration_ms, error))


async def insert_costs(url, rows):
    """rows: (model, env, total_cost_usd, created_at)."""
    sql = (
        "INSERT INTO ai_costs (model, env, workflow_type, issue_key, input_tokens,"
        " output_tokens, total_cost_usd, created_at) VALUES (%s, %s, 'jira-auto-dev',"
        " 'PROJ-1', 1000, 100, %s, %s)"
    )
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for row in rows:
            await conn.execute(sql, row)


async def table_names(url):
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        return [row[0] for row in await cursor.fetchall()]


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
async def hub_db(pg_url):
    await create_hub_tables(pg_url)
    db = Database("PostgreSQL (hub)", pg_url, timeout=2)
    await db.open()
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
async def executions(pg_url, hub_db):
    rows = [("pr-review", "completed", ago(hours=2), 1000 * n, None) for n in range(1, 21)]
    rows += [
        ("jira-auto-dev", "failed", ago(hours=3), 30_000, "Claude API 529 overloaded"),
        ("jira-auto-dev", "failed", ago(minutes=30), 4_000, "git push rejected"),
        ("jira-auto-dev", "completed", ago(hours=1), 20_000, None),
        ("jira-auto-dev", "running", ago(minutes=2), None, None),
        ("jira-auto-dev", "failed", ago(days=3), 1_000, "too old to show"),
    ]
    await insert_executions(pg_url, rows)
    return hub_db


# -- tests ------------------------------------------------------------------------------------


async def test_runs_are_grouped_by_type_and_status_with_avg_and_p95(executions):
    report = await executions_report(executions, DAY)

    groups = {(g.workflow_type, g.status): g for g in report.groups}
    assert set(groups) == {
        ("pr-review", "completed"),
        ("jira-auto-dev", "failed"),
        ("jira-auto-dev", "completed"),
        ("jira-auto-dev", "running"),
    }
    review = groups["pr-review", "completed"]
    assert review.runs == 20 and review.avg_ms == 10_500
    assert review.p95_ms == pytest.approx(19_050)  # percentile_cont, interpolated
    assert groups["jira-auto-dev", "failed"].runs == 2  # the 3-day-old one is outside 24h
    assert groups["jira-auto-dev", "running"].avg_ms is None
    assert report.runs() == 24 and report.runs("failed") == 2


async def test_newest_failures_first(executions):
    report = await executions_report(executions, DAY, failure_limit=5)
    assert [f.error for f in report.failures] == [
        "git push rejected",
        "Claude API 529 overloaded",
    ]
    assert report.failures[0].duration_ms == 4_000 and report.failures[0].env == "int"


async def test_filters_by_status_and_type(executions):
    failed = await executions_report(executions, DAY, status="failed")
    assert [(g.workflow_type, g.status, g.runs) for g in failed.groups] == [
        ("jira-auto-dev", "failed", 2)
    ]
    review = await executions_report(executions, DAY, workflow_type="pr-review")
    assert [g.workflow_type for g in review.groups] == ["pr-review"] and review.failures == ()
    running = await executions_report(executions, DAY, status="running")
    assert running.failures == ()  # failures are listed only when failed runs are asked for


async def test_window_narrows_the_runs(executions):
    report = await executions_report(executions, timedelta(hours=1))
    assert report.runs() == 2  # the failure 30 min ago and the running one


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_type_filters_match_nothing_and_change_nothing(pg_url, executions, hostile):
    report = await executions_report(executions, DAY, workflow_type=hostile)
    assert report.groups == () and report.failures == ()
    assert await table_names(pg_url) == ["ai_costs", "workflow_executions"]
    assert (await executions_report(executions, DAY)).runs() == 24


async def test_error_rate_counts_runs_finished_in_the_window(pg_url, hub_db):
    rows = [("jira-auto-dev", "failed", ago(minutes=10), 5_000, "529")] * 6
    rows += [("pr-review", "completed", ago(minutes=12), 3_000, None)] * 44
    rows += [("jira-auto-dev", "running", ago(minutes=1), None, None)]
    rows += [("jira-auto-dev", "failed", ago(minutes=40), 5_000, "before the window")]
    await insert_executions(pg_url, rows)

    rate = await error_rate(hub_db, timedelta(minutes=15))

    assert (rate.finished, rate.failed) == (50, 6)
    assert rate.percent == pytest.approx(12.0)


async def test_error_rate_without_finished_runs_is_zero(hub_db):
    rate = await error_rate(hub_db, timedelta(minutes=15))
    assert (rate.finished, rate.percent) == (0, 0.0)


async def test_hub_database_down_names_it():
    db = Database("PostgreSQL (hub)", "postgresql://postgres@127.0.0.1:1/hub", timeout=1)
    await db.open()
    try:
        with pytest.raises(BackendError) as error:
            async with asyncio.timeout(60):  # a bound for a hang, not a measure
                await executions_report(db, DAY)
        assert error.value.backend == "PostgreSQL (hub)"
        assert error.value.reason in ("cannot connect", "no connection available (pool timeout)")
    finally:
        await db.close()

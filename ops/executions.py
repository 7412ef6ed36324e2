"""`workflow_executions` (the hub's table, read-only): by type and status, durations, failures.

Every filter is a query parameter; nothing a user types is ever formatted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from ops.backends.db import Database

Status = Literal["running", "completed", "failed"]
STATUSES: tuple[Status, ...] = ("running", "completed", "failed")
MAX_GROUPS = 100

_GROUPS_SQL = """
SELECT workflow_type, status, count(*) AS runs,
       avg(duration_ms)::float8 AS avg_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms
FROM workflow_executions
WHERE started_at > now() - %(since)s::interval
  AND (%(status)s::text IS NULL OR status = %(status)s::text)
  AND (%(type)s::text IS NULL OR workflow_type = %(type)s::text)
GROUP BY workflow_type, status
ORDER BY count(*) DESC, workflow_type, status
LIMIT %(limit)s
"""

_FAILURES_SQL = """
SELECT workflow_type, issue_key, env, started_at, finished_at, duration_ms, error_message
FROM workflow_executions
WHERE status = 'failed'
  AND started_at > now() - %(since)s::interval
  AND (%(type)s::text IS NULL OR workflow_type = %(type)s::text)
ORDER BY coalesce(finished_at, started_at) DESC
LIMIT %(limit)s
"""

# Runs that finished inside the window. The started_at bound (a day wider than the window,
# far longer than any workflow runs) lets PostgreSQL use the started_at index.
_ERROR_RATE_SQL = """
SELECT count(*) AS finished, count(*) FILTER (WHERE status = 'failed') AS failed
FROM workflow_executions
WHERE status IN ('completed', 'failed')
  AND finished_at > now() - %(window)s::interval
  AND started_at > now() - %(window)s::interval - interval '1 day'
"""


@dataclass(frozen=True)
class ExecutionGroup:
    workflow_type: str
    status: str
    runs: int
    avg_ms: float | None  # None when no run of the group has a duration (still running)
    p95_ms: float | None


@dataclass(frozen=True)
class ExecutionFailure:
    workflow_type: str
    issue_key: str | None
    env: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    error: str


@dataclass(frozen=True)
class ExecutionsReport:
    since: timedelta
    status: Status | None
    workflow_type: str | None
    groups: tuple[ExecutionGroup, ...]
    failures: tuple[ExecutionFailure, ...]  # newest first

    def runs(self, status: Status | None = None) -> int:
        return sum(g.runs for g in self.groups if status is None or g.status == status)


@dataclass(frozen=True)
class ErrorRate:
    window: timedelta
    finished: int
    failed: int

    @property
    def percent(self) -> float:
        """Failed share of the runs that finished in the window; 0 when none finished."""
        return 100.0 * self.failed / self.finished if self.finished else 0.0


async def executions_report(
    db: Database,
    since: timedelta,
    *,
    status: Status | None = None,
    workflow_type: str | None = None,
    failure_limit: int = 5,
) -> ExecutionsReport:
    """Runs started within `since`, grouped by type and status, plus the newest failures."""
    if workflow_type is not None and not _storable(workflow_type):
        return ExecutionsReport(since, status, workflow_type, (), ())
    params: dict[str, Any] = {
        "since": since,
        "status": status,
        "type": workflow_type,
        "limit": MAX_GROUPS,
    }
    groups = await db.fetch(_GROUPS_SQL, params)
    failures: list[dict[str, Any]] = []
    if status in (None, "failed") and failure_limit > 0:
        failures = await db.fetch(_FAILURES_SQL, {**params, "limit": failure_limit})
    return ExecutionsReport(
        since,
        status,
        workflow_type,
        tuple(_group(row) for row in groups),
        tuple(_failure(row) for row in failures),
    )


async def error_rate(db: Database, window: timedelta) -> ErrorRate:
    """The workflow-engine error rate of runbook §3.1: failed / finished within `window`."""
    row = await db.fetch_one(_ERROR_RATE_SQL, {"window": window})
    assert row is not None  # an aggregate always returns one row
    return ErrorRate(window, int(row["finished"]), int(row["failed"]))


def _storable(text: str) -> bool:
    """PostgreSQL text cannot hold NUL, so a filter containing one matches no row."""
    return "\x00" not in text


def _group(row: dict[str, Any]) -> ExecutionGroup:
    return ExecutionGroup(
        workflow_type=row["workflow_type"],
        status=row["status"],
        runs=int(row["runs"]),
        avg_ms=_float(row["avg_ms"]),
        p95_ms=_float(row["p95_ms"]),
    )


def _failure(row: dict[str, Any]) -> ExecutionFailure:
    return ExecutionFailure(
        workflow_type=row["workflow_type"],
        issue_key=row["issue_key"],
        env=row["env"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        duration_ms=row["duration_ms"],
        error=row["error_message"] or "",
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# -- runs per type: the last window against the usual rate (runbook §5.3 "AI cost spike") ----

# The runbook's "which workflow type runs too often" query, with the baseline beside it: runs
# started within `recent`, and runs started in the `baseline` before that.
_TYPE_RATES_SQL = """
SELECT workflow_type,
       count(*) FILTER (WHERE started_at > now() - %(recent)s::interval) AS recent_runs,
       count(*) FILTER (WHERE started_at <= now() - %(recent)s::interval) AS earlier_runs,
       (avg(duration_ms) FILTER (WHERE started_at > now() - %(recent)s::interval))::float8
           AS recent_avg_ms
FROM workflow_executions
WHERE started_at > now() - %(recent)s::interval - %(baseline)s::interval
GROUP BY workflow_type
ORDER BY recent_runs DESC, earlier_runs DESC, workflow_type
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class TypeRate:
    workflow_type: str
    recent_runs: int  # started within the recent window
    usual_runs: float  # runs per recent window, averaged over the baseline before it
    recent_avg_ms: float | None

    @property
    def ratio(self) -> float | None:
        """How many times the usual rate; None when the type never ran in the baseline."""
        return self.recent_runs / self.usual_runs if self.usual_runs else None


@dataclass(frozen=True)
class TypeRates:
    recent: timedelta
    baseline: timedelta
    rates: tuple[TypeRate, ...]  # most recent runs first


async def type_rates(
    db: Database,
    recent: timedelta = timedelta(hours=1),
    baseline: timedelta = timedelta(days=7),
) -> TypeRates:
    """Runs per workflow type within `recent`, beside the usual rate over `baseline` before it."""
    rows = await db.fetch(
        _TYPE_RATES_SQL, {"recent": recent, "baseline": baseline, "limit": MAX_GROUPS}
    )
    share = recent / baseline
    rates = tuple(
        TypeRate(
            workflow_type=row["workflow_type"],
            recent_runs=int(row["recent_runs"]),
            usual_runs=int(row["earlier_runs"]) * share,
            recent_avg_ms=_float(row["recent_avg_ms"]),
        )
        for row in rows
    )
    return TypeRates(recent, baseline, rates)

"""Preview TTL expiry failures (runbook §6.2): the week's `cleanupExpired()` error lines and
the previews still present past their TTL.

The lines come from one Logs Insights query over workflow-engine's group (in int, the
observability account): error-level lines whose msg names cleanupExpired, grouped here by
preview (env, issue key) and error (the Pino `err.message`, else the msg). The query's text is
a constant. At most MAX_LINES lines are read (newest first); the item says when that cut the
week short.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.backends.container import Backends
from ops.fanout import Failed, Part, gather_parts
from ops.logs import QUERY_ENV, group_arn, log_group, parse_row, run_query
from ops.previews import Preview, PreviewReport, list_previews
from ops.weekly.window import Week, inner_seconds

MAX_LINES = 10000  # Logs Insights' own limit per query
CLEANUP_FUNCTION = "cleanupExpired"
QUERY = (
    "fields @timestamp, msg, issueKey, env, err.message\n"  # internal: a Logs Insights query
    f'| filter msg like "{CLEANUP_FUNCTION}" and level = "error"\n'
    "| sort @timestamp desc\n"
    f"| limit {MAX_LINES}"
)
LOGS = f"AWS {QUERY_ENV} logs"
CLUSTERS = "Kubernetes (previews)"


@dataclass(frozen=True)
class CleanupError:
    env: str  # "" when the line did not say
    issue_key: str  # "" when the line did not say
    error: str
    count: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class CleanupLines:
    errors: tuple[CleanupError, ...]  # most lines first
    lines: int
    complete: bool  # False: the query was still running at the deadline, or MAX_LINES cut it


@dataclass(frozen=True)
class TtlFailures:
    week: Week
    log_group: str
    lines: Part[CleanupLines]
    overdue: Part[PreviewReport]  # previews present past their TTL: `.cleanup_failures`

    @property
    def outlived(self) -> tuple[Preview, ...]:
        report = self.overdue.value
        return report.cleanup_failures if report is not None else ()

    @property
    def overdue_envs(self) -> tuple[str, ...]:
        """The envs whose previews were listed: `outlived` covers these only."""
        report = self.overdue.value
        if report is None:
            return ()
        failed = {f.env for f in report.failures}
        return tuple(env for env in report.envs if env not in failed)

    @property
    def overdue_unread(self) -> tuple[str, ...]:
        report = self.overdue.value
        return () if report is None else tuple(f.env for f in report.failures)

    @property
    def failures(self) -> tuple[Failed, ...]:
        failed = [p.failure for p in (self.lines, self.overdue) if p.failure is not None]
        report = self.overdue.value
        if report is not None:
            failed += [Failed(f.backend, f.reason, f.details) for f in report.failures]
        return tuple(failed)


async def ttl_failures(backends: Backends, week: Week, now: datetime) -> TtlFailures:
    timeout = inner_seconds(backends.config)
    sources: dict[str, Awaitable[Any]] = {
        LOGS: cleanup_lines(backends, week, timeout),
        CLUSTERS: list_previews(backends, tuple(backends.config.environments), now=now),
    }
    parts = await gather_parts(sources, timeout)
    group = log_group("workflow-engine", None)
    return TtlFailures(week, group, parts[LOGS], parts[CLUSTERS])


async def cleanup_lines(backends: Backends, week: Week, wait: float) -> CleanupLines:
    arn = group_arn(backends, log_group("workflow-engine", None), QUERY_ENV)
    answer, complete = await run_query(backends, arn, week.start, week.end, QUERY, wait * 0.9)
    rows = [parse_row(row) for row in answer.get("results") or []]
    messages = [_error_message(row) for row in answer.get("results") or []]
    groups: dict[tuple[str, str, str], list[datetime | None]] = {}
    for line, error in zip(rows, messages, strict=True):
        groups.setdefault((line.env, line.issue_key, error or line.msg), []).append(line.time)
    errors = [_cleanup_error(key, times) for key, times in groups.items()]
    errors.sort(key=lambda e: (-e.count, e.env, e.issue_key, e.error))
    return CleanupLines(tuple(errors), len(rows), complete and len(rows) < MAX_LINES)


def _error_message(row: list[dict[str, str]]) -> str:
    return next((str(c.get("value", "")) for c in row if c.get("field") == "err.message"), "")


def _cleanup_error(key: tuple[str, str, str], times: list[datetime | None]) -> CleanupError:
    known = [t for t in times if t is not None]
    env, issue, error = key
    return CleanupError(
        env, issue, error, len(times), min(known, default=None), max(known, default=None)
    )

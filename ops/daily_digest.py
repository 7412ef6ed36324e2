"""The daily checklist (runbook §6.1) as data: previews, failed jobs, yesterday's AI cost.

Every source is asked at once, each within `timeouts.backend_seconds` (`ops.fanout`): the hub
API and the cluster of each env, Redis (BullMQ), the hub's PostgreSQL. A source that fails
leaves its numbers out and is named in its item (`Item.failures`); an item whose sources all
failed says only that. Nothing here raises for a backend: the digest is always built.

Windows: "since yesterday" is the 24 hours before the digest's scheduled time; "yesterday's
cost" is the previous calendar day in `config.timezone`, compared with the average of the 7
days before it. Previews cleaned up since yesterday are the ones the previous daily digest saw
that are gone now (the bot remembers each digest's list with its run); without a previous
digest that number is unknown, not zero.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from ops.backends.container import Backends
from ops.backends.db import Database
from ops.config import EnvName
from ops.costs import HUB_DB, local_midnight
from ops.fanout import Failed, Part, gather_parts
from ops.previews import Preview, PreviewReport, list_previews
from ops.queues import bull_queues, queue_counts
from ops.timestamps import parse_time

REDIS_NAME = "Redis"
ItemKey = Literal["previews", "failed_jobs", "ai_cost"]
ITEMS: tuple[ItemKey, ...] = ("previews", "failed_jobs", "ai_cost")
Mark = Literal["ok", "attention", "unknown"]
WINDOW = timedelta(hours=24)
EXPIRY_WINDOW = timedelta(hours=24)
AVERAGE_DAYS = 7
FAILED_SCAN = 500  # newest failed jobs read per queue to count the new ones and their reasons
TOP_REASONS = 3
REASON_LENGTH = 80

_FAILED_EXECUTIONS_SQL = """
SELECT workflow_type, count(*) AS failed
FROM workflow_executions
WHERE status = 'failed' AND started_at >= %(since)s AND started_at < %(until)s
GROUP BY workflow_type ORDER BY count(*) DESC, workflow_type
"""
_DAILY_TOTALS_SQL = """
SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, sum(total_cost_usd) AS total
FROM ai_costs WHERE created_at >= %(start)s AND created_at < %(end)s
GROUP BY 1 ORDER BY 1
"""
# The day by model and by env in one scan; `by` names the grouping of each row.
_DAY_BREAKDOWN_SQL = """
SELECT CASE WHEN GROUPING(model) = 0 THEN 'model' ELSE 'env' END AS by,
       coalesce(model, env) AS name, sum(total_cost_usd) AS total, count(*) AS calls
FROM ai_costs WHERE created_at >= %(start)s AND created_at < %(end)s
GROUP BY GROUPING SETS ((model), (env))
"""


@dataclass(frozen=True)
class EnvPreviews:
    env: EnvName
    active: int
    created: int  # created in the last 24 h
    hub_listed: int | None  # what GET /api/previews lists (None: the hub API was not read)


@dataclass(frozen=True)
class PreviewsItem:
    envs: tuple[EnvPreviews, ...]  # envs whose cluster answered
    expiring: tuple[Preview, ...]  # TTL ends within 24 h
    expired_present: tuple[Preview, ...]  # past TTL and still there: cleanupExpired() failed
    cleaned_up: tuple[str, ...] | None  # env/id gone since the previous digest; None: unknown
    present: tuple[str, ...]  # env/id seen now (remembered for tomorrow's cleaned_up)
    failures: tuple[Failed, ...]

    @property
    def mark(self) -> Mark:
        if not self.envs:
            return "unknown"
        return "attention" if self.expired_present else ("unknown" if self.failures else "ok")


@dataclass(frozen=True)
class QueueFailures:
    queue: str
    total: int
    new: int  # failed in the window (counted over the newest FAILED_SCAN)
    new_at_least: bool  # every scanned job was new: there may be more


@dataclass(frozen=True)
class FailedJobsItem:
    queues: tuple[QueueFailures, ...] | None  # None: Redis could not be read
    reasons: tuple[tuple[str, int], ...]  # top failure reasons of the new ones ("": none recorded)
    executions: tuple[tuple[str, int], ...] | None  # (workflow_type, failed); None: not read
    failures: tuple[Failed, ...]

    @property
    def mark(self) -> Mark:
        if self.queues is None and self.executions is None:
            return "unknown"
        new = sum(q.new for q in self.queues or ())
        failed_runs = sum(n for _, n in self.executions or ())
        if new or failed_runs:
            return "attention"
        return "unknown" if self.failures else "ok"


@dataclass(frozen=True)
class CostLine:
    name: str
    total_usd: Decimal
    calls: int


@dataclass(frozen=True)
class AiCostItem:
    day: str  # ISO date of the local calendar day
    total_usd: Decimal | None  # None: not read
    threshold_usd: Decimal
    by_model: tuple[CostLine, ...]
    by_env: tuple[CostLine, ...]
    average_usd: Decimal | None  # the 7 days before; None when none of them had any cost
    failures: tuple[Failed, ...]

    @property
    def over_threshold(self) -> bool:
        return self.total_usd is not None and self.total_usd > self.threshold_usd

    @property
    def mark(self) -> Mark:
        if self.total_usd is None:
            return "unknown"
        return "attention" if self.over_threshold else "ok"


@dataclass(frozen=True)
class DailyDigest:
    scheduled_for: datetime  # the period's fire time (or now, on demand)
    timezone: str
    previews: PreviewsItem
    failed_jobs: FailedJobsItem
    ai_cost: AiCostItem

    def mark(self, item: ItemKey) -> Mark:
        found: PreviewsItem | FailedJobsItem | AiCostItem = getattr(self, item)
        return found.mark


async def build_daily_digest(
    backends: Backends, at: datetime, previous_present: Sequence[str] | None = None
) -> DailyDigest:
    """The digest as of `at`. `previous_present`: the previews the previous digest saw."""
    config = backends.config
    envs = tuple(config.environments)
    since = at - WINDOW
    calls: dict[str, Awaitable[Any]] = {
        **{_kube(env): list_previews(backends, (env,), now=at) for env in envs},
        REDIS_NAME: _queue_failures(backends, since),
        f"{HUB_DB}: workflow_executions": _failed_executions(backends.hub_db, since, at),
        f"{HUB_DB}: ai_costs": _ai_cost(backends.hub_db, at, config.timezone),
    }
    for env in envs:
        if backends.hub_api.configured(env):
            calls[_hub_api(env)] = backends.hub_api.list_previews(env)
    parts = await gather_parts(calls, config.timeouts.fanout_seconds)
    threshold = Decimal(str(config.thresholds.ai_cost_daily_usd))
    return DailyDigest(
        at,
        config.timezone,
        _previews_item(parts, envs, at, previous_present),
        _failed_jobs_item(parts),
        _ai_cost_item(parts, threshold),
    )


HUB_API = "hub API"  # a name: the hub's own HTTP API, as the runbook calls it


def _hub_api(env: EnvName) -> str:
    return f"{HUB_API} {env}"


def _kube(env: EnvName) -> str:
    return f"Kubernetes {env}"


# -- previews ---------------------------------------------------------------------------------


def _previews_item(
    parts: Mapping[str, Part[Any]],
    envs: tuple[EnvName, ...],
    at: datetime,
    previous: Sequence[str] | None,
) -> PreviewsItem:
    failures: list[Failed] = []
    live: list[Preview] = []
    expired: list[Preview] = []
    answered: list[EnvName] = []
    for env in envs:
        part: Part[PreviewReport] = parts[_kube(env)]
        report = part.value
        if report is None or report.failures:
            failures += [part.failure] if part.failure else []
            envs_failed = report.failures if report else ()
            failures += [Failed(f.backend, f.reason, f.details) for f in envs_failed]
            continue
        answered.append(env)
        live += [p for p in report.previews if not p.terminating]
        expired += report.cleanup_failures
    failures += [p.failure for n, p in parts.items() if n.startswith(HUB_API) and p.failure]
    if not answered:
        return PreviewsItem((), (), (), None, (), tuple(failures))
    rows = tuple(_env_row(env, live, parts.get(_hub_api(env)), at) for env in answered)
    present = tuple(sorted(f"{p.env}/{p.issue_key}" for p in live))
    cleaned = None
    if previous is not None:
        cleaned = tuple(sorted(set(previous) - set(present) - set(_unread(previous, answered))))
    return PreviewsItem(
        rows,
        tuple(p for p in live if p.expires_at and at < p.expires_at <= at + EXPIRY_WINDOW),
        tuple(expired),
        cleaned,
        present,
        tuple(failures),
    )


def _unread(previous: Sequence[str], answered: Sequence[EnvName]) -> list[str]:
    """Previews of envs that did not answer now: not known to be gone."""
    return [p for p in previous if p.split("/", 1)[0] not in answered]


def _env_row(
    env: EnvName, live: Sequence[Preview], hub: Part[Any] | None, at: datetime
) -> EnvPreviews:
    mine = [p for p in live if p.env == env]
    created = {p.issue_key for p in mine if p.created_at and p.created_at >= at - WINDOW}
    listed = None
    if hub is not None and hub.ok and hub.value is not None:
        listed = len(hub.value)
        for entry in hub.value:
            created_at = parse_time(str(entry.get("createdAt") or ""))
            if created_at and created_at >= at - WINDOW:
                created.add(str(entry.get("id")))
    return EnvPreviews(env, len(mine), len(created), listed)


# -- failed jobs ------------------------------------------------------------------------------


async def _queue_failures(
    backends: Backends, since: datetime
) -> tuple[tuple[QueueFailures, ...], tuple[tuple[str, int], ...]]:
    """Every queue at once, its counts and newest failed jobs together (one round trip)."""
    queues = bull_queues(backends)
    names = backends.config.hub.queues
    counted = await asyncio.gather(
        *(
            asyncio.gather(queue_counts(queues, n), queues.newest_failed(n, FAILED_SCAN))
            for n in names
        )
    )
    found: list[QueueFailures] = []
    reasons: Counter[str] = Counter()
    for name, (counts, newest) in zip(names, counted, strict=True):
        new = [j for j in newest if (j.finished_on_ms or j.timestamp_ms) >= _ms(since)]
        reasons.update(_reason(j.failed_reason) for j in new)
        found.append(QueueFailures(name, counts.failed, len(new), len(new) == FAILED_SCAN))
    return tuple(found), tuple(reasons.most_common(TOP_REASONS))


def _reason(text: str) -> str:
    """A failure reason to group by: its first line, numbers kept (HTTP 529 ≠ 502), clipped;
    "" for a job that recorded none (the renderer says so in the reader's language)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= REASON_LENGTH else first[: REASON_LENGTH - 1] + "…"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


async def _failed_executions(
    db: Database, since: datetime, until: datetime
) -> tuple[tuple[str, int], ...]:
    rows = await db.fetch(_FAILED_EXECUTIONS_SQL, {"since": since, "until": until})
    return tuple((str(r["workflow_type"]), int(r["failed"])) for r in rows)


def _failed_jobs_item(parts: Mapping[str, Part[Any]]) -> FailedJobsItem:
    redis = parts[REDIS_NAME]
    runs = parts[f"{HUB_DB}: workflow_executions"]
    failures = tuple(p.failure for p in (redis, runs) if p.failure is not None)
    queues, reasons = redis.value if redis.value is not None else (None, ())
    return FailedJobsItem(queues, reasons, runs.value, failures)


# -- AI cost ----------------------------------------------------------------------------------


async def _ai_cost(db: Database, at: datetime, timezone: str) -> dict[str, Any]:
    end = local_midnight(at, timezone)  # today 00:00: yesterday ends here
    start = local_midnight(end - timedelta(hours=12), timezone)
    first = local_midnight(start - timedelta(days=AVERAGE_DAYS) + timedelta(hours=12), timezone)
    totals, lines = await asyncio.gather(  # two pooled connections: one round trip
        db.fetch(_DAILY_TOTALS_SQL, {"tz": timezone, "start": first, "end": start}),
        db.fetch(_DAY_BREAKDOWN_SQL, {"start": start, "end": end}),
    )
    return {"day": start.date().isoformat(), "history": totals, "lines": lines}


def _ai_cost_item(parts: Mapping[str, Part[Any]], threshold: Decimal) -> AiCostItem:
    part = parts[f"{HUB_DB}: ai_costs"]
    if part.value is None:
        failures = (part.failure,) if part.failure else ()
        return AiCostItem("", None, threshold, (), (), None, failures)
    lines: list[dict[str, Any]] = part.value["lines"]
    history: list[dict[str, Any]] = part.value["history"]
    total = sum((Decimal(r["total"]) for r in lines if r["by"] == "model"), Decimal(0))
    average = (
        sum((Decimal(r["total"]) for r in history), Decimal(0)) / AVERAGE_DAYS if history else None
    )
    return AiCostItem(
        part.value["day"],
        total,
        threshold,
        _grouped(lines, "model"),
        _grouped(lines, "env"),
        average,
        (),
    )


def _grouped(lines: Sequence[dict[str, Any]], by: str) -> tuple[CostLine, ...]:
    """The rows PostgreSQL grouped `by` model or env, the most expensive first."""
    found = [
        CostLine(str(row["name"]), Decimal(row["total"]), int(row["calls"]))
        for row in lines
        if row["by"] == by
    ]
    return tuple(sorted(found, key=lambda line: (-line.total_usd, line.name)))

"""Scheduled jobs: when a job runs, which period a run belongs to, and the claim that makes
exactly one replica run each period.

Every replica runs the same scheduler. Before a job does anything visible it claims its
(job, period) row in `rtb_bot.job_claims` with one `INSERT … ON CONFLICT DO NOTHING`: the
replica whose insert lands runs the job, every other replica (and any later attempt at the
same period: a catch-up, a second `/fire`) finds the row and does nothing. No leader, no lock
held across the run. The same row records how the run ended, for `/rtb schedules`.

A period is named by the cron fire time it stands for (ISO 8601 in the configured time zone,
e.g. `2026-12-03T09:00:00+09:00`), so a replica that fires late, or catches up after a restart,
claims the same key as one that fired on time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from ops.backends.db import Database
from ops.outbox import as_json

Clock = Callable[[], datetime]
Outcome = Literal["done", "failed"]
MAX_CATCH_UP_STEPS = 10_000  # a per-minute job over a 7-day grace: bounded walk
SEARCH_WINDOWS = (timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=366))


def utc_now() -> datetime:
    return datetime.now(UTC)


def cron_trigger(cron: str, timezone: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))


def next_fire(cron: str, timezone: str, after: datetime) -> datetime | None:
    """The first fire time strictly after `after`."""
    trigger = cron_trigger(cron, timezone)
    found: datetime | None = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    return found


def due_period(cron: str, timezone: str, now: datetime, grace: timedelta) -> datetime | None:
    """The newest fire time in (now - grace, now]: the period a run at `now` belongs to, or
    None when the last fire time is older than the grace period (too late to catch up).

    The walk looks back through widening windows (an hour, a day, …, the grace period), so a
    per-minute job asked with the console's 8-day grace finds this minute, not the minute
    MAX_CATCH_UP_STEPS after the start of the grace period."""
    trigger = cron_trigger(cron, timezone)
    windows = [window for window in SEARCH_WINDOWS if window < grace] + [grace]
    for window in windows:
        latest = _newest_fire(trigger, now, window)
        if latest is not None:
            return latest
    return None


def _newest_fire(trigger: CronTrigger, now: datetime, window: timedelta) -> datetime | None:
    latest: datetime | None = None
    candidate: datetime | None = trigger.get_next_fire_time(None, now - window)
    for _ in range(MAX_CATCH_UP_STEPS):
        if candidate is None or candidate > now:
            break
        if candidate > now - window:
            latest = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(microseconds=1))
    return latest


def period_key(fire_time: datetime, timezone: str) -> str:
    return fire_time.astimezone(ZoneInfo(timezone)).isoformat()


@dataclass(frozen=True)
class JobRun:
    """The newest claimed run of a job."""

    job: str
    period: str
    replica: str
    claimed_at: datetime
    finished_at: datetime | None
    outcome: Outcome | None  # None: still running, or its replica stopped before the end
    detail: dict[str, Any] = field(default_factory=dict)


class JobClaims:
    """The claims table, seen from one replica."""

    def __init__(self, db: Database, replica: str, clock: Clock = utc_now) -> None:
        self.db = db
        self.replica = replica
        self.clock = clock

    async def claim(self, job: str, period: str, scheduled_for: datetime) -> bool:
        """True when this replica won the (job, period) slot; False when it was taken."""
        inserted = await self.db.execute(
            "INSERT INTO rtb_bot.job_claims (job, period, claimed_by, claimed_at, scheduled_for)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (job, period) DO NOTHING",
            (job, period, self.replica, self.clock(), scheduled_for),
        )
        return inserted == 1

    async def finish(self, job: str, period: str, outcome: Outcome, detail: dict[str, Any]) -> None:
        await self.db.execute(
            "UPDATE rtb_bot.job_claims SET finished_at = %s, outcome = %s, detail = %s::jsonb"
            " WHERE job = %s AND period = %s AND claimed_by = %s",
            (self.clock(), outcome, as_json(detail), job, period, self.replica),
        )

    async def claimed_by(self, job: str, period: str) -> str | None:
        row = await self.db.fetch_one(
            "SELECT claimed_by FROM rtb_bot.job_claims WHERE job = %s AND period = %s",
            (job, period),
        )
        return None if row is None else str(row["claimed_by"])

    async def previous_detail(self, job: str, before: datetime) -> dict[str, Any] | None:
        """What the newest finished run of `job` scheduled before `before` recorded."""
        row = await self.db.fetch_one(
            "SELECT detail FROM rtb_bot.job_claims WHERE job = %s AND scheduled_for < %s"
            " AND outcome = 'done' ORDER BY scheduled_for DESC LIMIT 1",
            (job, before),
        )
        return None if row is None else dict(row["detail"] or {})

    async def prune(self, job: str, before: datetime) -> int:
        """Forget `job`'s claims scheduled before `before` (a per-minute job claims 1,440 rows
        a day); returns how many went."""
        return await self.db.execute(
            "DELETE FROM rtb_bot.job_claims WHERE job = %s AND scheduled_for < %s", (job, before)
        )

    async def last_runs(self) -> dict[str, JobRun]:
        """The newest claimed run of every job that ever ran."""
        rows = await self.db.fetch(
            "SELECT DISTINCT ON (job) job, period, claimed_by, claimed_at, finished_at, outcome,"
            " detail FROM rtb_bot.job_claims ORDER BY job, claimed_at DESC"
        )
        return {row["job"]: _run(row) for row in rows}


def _run(row: dict[str, Any]) -> JobRun:
    return JobRun(
        job=row["job"],
        period=row["period"],
        replica=row["claimed_by"],
        claimed_at=row["claimed_at"],
        finished_at=row["finished_at"],
        outcome=row["outcome"],
        detail=dict(row["detail"] or {}),
    )

"""KEDA scaling history and workflow-engine idle time over a week, from the sampler's rows.

A sample stands for its minute: replica-hours are the sum of desired replicas over the known
minutes / 60 (desired, not ready: Fargate bills a pod from its start, and a cold start takes
a minute or more); idle replica-hours count the minutes with replicas up while BullMQ had
nothing active or waiting. Minutes without a sample (the bot was down) or with a source that
did not answer are left out and counted, so the digest can say how much of the week it saw.

PostgreSQL does the counting (`_TOTALS`, and `_CHANGES` with `lag()`): a week is 10,080
samples, and reading them into Python left ~4 MB in the worker for good (bench/
digest_weekly.py, the allocator's high-water mark); the digest now receives one row of totals
and one row per scaling change. `summarize` is the same arithmetic over samples in Python: the
reference the SQL is tested against, and how renderer tests build a history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ops.backends.container import Backends
from ops.weekly.sampler import EngineSample
from ops.weekly.window import Week

MINUTES_PER_HOUR = 60
_KNOWN = "desired IS NOT NULL AND active IS NOT NULL AND waiting IS NOT NULL"
_TOTALS = f"""
SELECT count(*) AS sampled, count(*) FILTER (WHERE {_KNOWN}) AS known,
       coalesce(sum(desired) FILTER (WHERE {_KNOWN}), 0) AS replica_minutes,
       coalesce(sum(desired) FILTER (WHERE desired > 0 AND active + waiting = 0), 0)
           AS idle_minutes,
       count(*) FILTER (WHERE keda_paused) AS paused_minutes, max(desired) AS max_replicas
FROM rtb_bot.engine_samples WHERE minute >= %(start)s AND minute < %(end)s
"""
_CHANGES = """
SELECT minute, before, desired AS after, keda_paused FROM (
    SELECT minute, desired, keda_paused, lag(desired) OVER (ORDER BY minute) AS before
    FROM rtb_bot.engine_samples
    WHERE minute >= %(start)s AND minute < %(end)s AND desired IS NOT NULL
) known WHERE desired <> before ORDER BY minute
"""


@dataclass(frozen=True)
class ScalingChange:
    at: datetime
    replicas_before: int
    replicas_after: int
    keda_paused: bool | None  # at the change


@dataclass(frozen=True)
class ScalingHistory:
    week: Week
    deployment: str
    minutes_in_week: int
    minutes_sampled: int  # rows in the week
    minutes_known: int  # rows whose replicas and queue counts are both known
    changes: tuple[ScalingChange, ...]  # oldest first
    replica_hours: float
    idle_replica_hours: float
    idle_cost_usd: float
    replica_hour_usd: float
    paused_minutes: int  # KEDA paused (the paused-replicas annotation)
    max_replicas: int | None

    @property
    def coverage(self) -> float:
        """Share of the week's minutes the digest knows (0–1)."""
        return self.minutes_known / self.minutes_in_week if self.minutes_in_week else 0.0


async def scaling_history(backends: Backends, week: Week) -> ScalingHistory:
    window = {"start": week.start, "end": week.end}
    totals, changes = await asyncio.gather(  # two pooled connections: one round trip
        backends.db.fetch_one(_TOTALS, window), backends.db.fetch(_CHANGES, window)
    )
    assert totals is not None  # an aggregate always returns one row
    weekly = backends.config.weekly
    idle_hours = int(totals["idle_minutes"]) / MINUTES_PER_HOUR
    return ScalingHistory(
        week=week,
        deployment=weekly.engine_deployment,
        minutes_in_week=week.minutes,
        minutes_sampled=int(totals["sampled"]),
        minutes_known=int(totals["known"]),
        changes=tuple(
            ScalingChange(row["minute"], row["before"], row["after"], row["keda_paused"])
            for row in changes
        ),
        replica_hours=int(totals["replica_minutes"]) / MINUTES_PER_HOUR,
        idle_replica_hours=idle_hours,
        idle_cost_usd=idle_hours * weekly.replica_hour_usd,
        replica_hour_usd=weekly.replica_hour_usd,
        paused_minutes=int(totals["paused_minutes"]),
        max_replicas=totals["max_replicas"],
    )


def summarize(
    samples: Sequence[EngineSample], week: Week, deployment: str, replica_hour_usd: float
) -> ScalingHistory:
    """Pure: the week's numbers from its samples (oldest first), as `scaling_history` has
    PostgreSQL compute them."""
    known = [s for s in samples if s.idle is not None]
    replica_minutes = sum(s.desired or 0 for s in known)
    idle_minutes = sum(s.desired or 0 for s in known if s.idle)
    idle_hours = idle_minutes / MINUTES_PER_HOUR
    sized = [s.desired for s in samples if s.desired is not None]
    return ScalingHistory(
        week=week,
        deployment=deployment,
        minutes_in_week=week.minutes,
        minutes_sampled=len(samples),
        minutes_known=len(known),
        changes=tuple(scaling_changes(samples)),
        replica_hours=replica_minutes / MINUTES_PER_HOUR,
        idle_replica_hours=idle_hours,
        idle_cost_usd=idle_hours * replica_hour_usd,
        replica_hour_usd=replica_hour_usd,
        paused_minutes=sum(1 for s in samples if s.keda_paused),
        max_replicas=max(sized) if sized else None,
    )


def scaling_changes(samples: Sequence[EngineSample]) -> list[ScalingChange]:
    """Every change of desired replicas between two consecutive known samples."""
    changes: list[ScalingChange] = []
    previous: int | None = None
    for sample in samples:
        if sample.desired is None:
            continue
        if previous is not None and sample.desired != previous:
            changes.append(
                ScalingChange(sample.minute, previous, sample.desired, sample.keda_paused)
            )
        previous = sample.desired
    return changes

"""KEDA scaling history and workflow-engine idle time over a week, from the sampler's rows.

A sample stands for its minute: replica-hours are the sum of desired replicas over the known
minutes / 60 (desired, not ready: Fargate bills a pod from its start, and a cold start takes
a minute or more); idle replica-hours count the minutes with replicas up while BullMQ had
nothing active or waiting. Minutes without a sample (the bot was down) or with a source that
did not answer are left out and counted, so the digest can say how much of the week it saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ops.backends.container import Backends
from ops.weekly.sampler import EngineSample
from ops.weekly.window import Week

MINUTES_PER_HOUR = 60
_SELECT = """
SELECT minute, desired, ready, keda_paused, active, waiting FROM rtb_bot.engine_samples
WHERE minute >= %(start)s AND minute < %(end)s ORDER BY minute
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
    rows = await backends.db.fetch(_SELECT, {"start": week.start, "end": week.end})
    samples = [EngineSample(**row) for row in rows]
    weekly = backends.config.weekly
    return summarize(samples, week, weekly.engine_deployment, weekly.replica_hour_usd)


def summarize(
    samples: Sequence[EngineSample], week: Week, deployment: str, replica_hour_usd: float
) -> ScalingHistory:
    """Pure: the week's numbers from its samples (oldest first)."""
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

"""workflow-engine, sampled once a minute across every replica (runbook §6.2, KEDA history).

Each replica reads the deployment (desired/ready replicas), its ScaledObject (paused or not)
and BullMQ (active, waiting) at once, then INSERTs the minute's row with ON CONFLICT (minute)
DO NOTHING: that INSERT is the claim, so the minute is recorded once however many replicas
sample it, and no replica has to lead. The replica whose row landed prunes what is older than
`weekly.sample_retention_days`. A source that does not answer is NULL in the row (unknown,
never zero): the digest counts only the minutes it knows.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.backends.container import Backends
from ops.config import EnvName
from ops.fanout import gather_parts
from ops.kube_objects import Deployment, ScaledObject, listed, mapping
from ops.queues import QueuesOverview, all_queue_counts, bull_queues
from ops.rollouts.keda import KEDA_GROUP, KEDA_VERSION, SCALED_OBJECTS

ENGINE_ENV: EnvName = "int"  # the hub runs in int (stg/prd are preview clusters)
_INSERT = """
INSERT INTO rtb_bot.engine_samples
    (minute, desired, ready, keda_paused, active, waiting, sampled_by)
VALUES (%(minute)s, %(desired)s, %(ready)s, %(keda_paused)s, %(active)s, %(waiting)s, %(by)s)
ON CONFLICT (minute) DO NOTHING
"""
_PRUNE = "DELETE FROM rtb_bot.engine_samples WHERE minute < %(before)s"
_NEWEST = """
SELECT minute, desired, ready, keda_paused, active, waiting, sampled_by, sampled_at
FROM rtb_bot.engine_samples ORDER BY minute DESC LIMIT 1
"""


@dataclass(frozen=True)
class EngineSample:
    minute: datetime
    desired: int | None  # None: that source did not answer
    ready: int | None
    keda_paused: bool | None  # None: unknown, or no ScaledObject drives the deployment
    active: int | None
    waiting: int | None

    @property
    def idle(self) -> bool | None:
        """Replicas up while nothing was active or waiting; None when either side is unknown."""
        if self.desired is None or self.active is None or self.waiting is None:
            return None
        return self.desired > 0 and self.active + self.waiting == 0


@dataclass(frozen=True)
class SampleOutcome:
    sample: EngineSample
    recorded: bool  # False: another replica had already recorded this minute
    pruned: int


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


async def read_engine(backends: Backends, minute: datetime) -> EngineSample:
    """The three sources at once, each within the backend timeout."""
    config = backends.config
    namespace, name = config.hub.namespace, config.weekly.engine_deployment
    sources: dict[str, Awaitable[Any]] = {
        "deployment": backends.kube.get_json(
            ENGINE_ENV, f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
        ),
        "keda": _keda_paused(backends, namespace, name),
        "queues": all_queue_counts(bull_queues(backends), config.hub.queues),
    }
    parts = await gather_parts(sources, config.timeouts.backend_seconds)
    read = parts["deployment"].value
    deployment = None if read is None else Deployment.of(mapping(read))
    paused: bool | None = parts["keda"].value
    queues: QueuesOverview | None = parts["queues"].value
    return EngineSample(
        minute=minute,
        desired=None if deployment is None else deployment.replicas,
        ready=None if deployment is None else deployment.ready,
        keda_paused=paused,
        active=None if queues is None else sum(q.active for q in queues.queues),
        waiting=None if queues is None else queues.pending,
    )


async def sample_engine(
    backends: Backends, replica: str, now: datetime | None = None
) -> SampleOutcome:
    """Read workflow-engine now and record the minute unless another replica already has."""
    minute = minute_of(now or datetime.now(UTC))
    sample = await read_engine(backends, minute)
    recorded = await backends.db.execute(_INSERT, _row(sample, replica)) == 1
    pruned = 0
    if recorded:
        days = backends.config.weekly.sample_retention_days
        pruned = await backends.db.execute(_PRUNE, {"before": minute - timedelta(days=days)})
    return SampleOutcome(sample, recorded, pruned)


async def _keda_paused(backends: Backends, namespace: str, deployment: str) -> bool | None:
    """Whether the ScaledObject driving `deployment` is paused; None when none drives it."""
    path = f"/apis/{KEDA_GROUP}/{KEDA_VERSION}/namespaces/{namespace}/{SCALED_OBJECTS}"
    scaled = (
        ScaledObject.of(item) for item in listed(await backends.kube.get_json(ENGINE_ENV, path))
    )
    found = next((s for s in scaled if s.scales(deployment)), None)
    return None if found is None else found.paused_replicas is not None


@dataclass(frozen=True)
class RecordedSample:
    sample: EngineSample
    sampled_by: str  # the replica whose INSERT won the minute
    sampled_at: datetime


async def newest_sample(backends: Backends) -> RecordedSample | None:
    """The newest recorded minute (for `/rtb schedules`), None before the first."""
    row = await backends.db.fetch_one(_NEWEST)
    if row is None:
        return None
    by, at = row.pop("sampled_by"), row.pop("sampled_at")
    return RecordedSample(EngineSample(**row), str(by), at)


def _row(sample: EngineSample, replica: str) -> dict[str, Any]:
    return {
        "minute": sample.minute,
        "desired": sample.desired,
        "ready": sample.ready,
        "keda_paused": sample.keda_paused,
        "active": sample.active,
        "waiting": sample.waiting,
        "by": replica,
    }

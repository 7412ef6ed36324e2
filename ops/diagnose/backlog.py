"""`/rtb diagnose backlog`: why BullMQ jobs pile up (§5.3)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from ops import executions
from ops.backends.container import Backends
from ops.backends.db import Database
from ops.config import Config
from ops.diagnose.causes import (
    Conclusion,
    EngineDown,
    KedaPaused,
    KedaUndercounts,
    NoBacklog,
    Overloaded,
    QueuePaused,
    RunsFailing,
)
from ops.diagnose.common import (
    ENGINE,
    HUB_ENV,
    KEDA_GROUP,
    KEDA_PAUSED,
    KEDA_PLURAL,
    KEDA_VERSION,
    MAX_LINES_NAMED,
    RECENT,
    Diagnosis,
    Notes,
    Obj,
    gather,
)
from ops.diagnose.findings import (
    CheckKind,
    CheckState,
    ErrorRateFacts,
    FailedRunsFacts,
    KedaFacts,
    PausedFacts,
    QueueLoad,
    ReplicaFacts,
    ReplicaVerdict,
    Uncounted,
    WaitingFacts,
)
from ops.fanout import Part
from ops.queues import QueuesOverview, all_queue_counts, bull_queues
from ops.rollouts.status import RolloutStatus, rollout_status
from ops.suggestions import suggest

SCALE_ENGINE = suggest("scale", HUB_ENV, ENGINE, "3")  # more hands for the jobs waiting
FAILED_RUNS = suggest("executions", status="failed", since="1h")


@dataclass(frozen=True)
class _HubRuns:
    rate: executions.ErrorRate
    failed: executions.ExecutionsReport  # failed runs of the last hour


@dataclass(frozen=True)
class ScaledObject:
    name: str
    min_replicas: int | None
    max_replicas: int | None
    paused: bool
    ready: bool | None  # its Ready condition; None when not reported
    active: bool | None
    redis_lists: tuple[str, ...]  # lists its redis triggers count (bull:<queue>:wait)


async def diagnose_backlog(backends: Backends) -> Diagnosis:
    """Why BullMQ jobs pile up: counts and paused queues, failed runs and the error rate,
    workflow-engine's replicas and its KEDA ScaledObject (read only)."""
    config = backends.config
    parts = await gather(
        config,
        {
            "Redis": all_queue_counts(bull_queues(backends), config.hub.queues),
            "PostgreSQL (hub)": _hub_runs(backends.hub_db, config),
            f"kubernetes {HUB_ENV} deployment": rollout_status(
                backends, HUB_ENV, config.hub.namespace, ENGINE
            ),
            f"kubernetes {HUB_ENV} KEDA": _scaled_object(backends),
        },
    )
    notes = Notes()
    queues: Part[QueuesOverview] = parts["Redis"]
    _queue_checks(notes, queues, config)
    _runs_checks(notes, parts["PostgreSQL (hub)"], config)
    overview = queues.value
    backlog = overview.pending if overview is not None else None
    engine = parts[f"kubernetes {HUB_ENV} deployment"]
    engine_ok = _engine_replicas_check(notes, engine, backlog)
    _keda_check(notes, parts[f"kubernetes {HUB_ENV} KEDA"], overview, config)
    if overview and backlog is not None and backlog > config.thresholds.waiting_jobs and engine_ok:
        busiest = max(overview.queues, key=lambda q: q.pending).name
        notes.cause(5, Overloaded(backlog), SCALE_ENGINE, suggest("queue", busiest))
    notes.commands.append(FAILED_RUNS)
    limit = config.thresholds.waiting_jobs
    otherwise: Conclusion = notes.inconclusive()
    if backlog is not None and backlog <= limit:
        otherwise = NoBacklog(backlog, limit)
    return notes.diagnosis("backlog", otherwise, suggest("queues"))


async def _hub_runs(db: Database, config: Config) -> _HubRuns:
    window = timedelta(minutes=config.hub.error_rate_window_minutes)
    rate, failed = await asyncio.gather(
        executions.error_rate(db, window),
        executions.executions_report(db, RECENT, status="failed", failure_limit=1),
    )
    return _HubRuns(rate, failed)


async def _scaled_object(backends: Backends) -> ScaledObject | None:
    """The KEDA ScaledObject whose target is workflow-engine, or None."""
    answer = await backends.kube.call(
        HUB_ENV,
        "custom",
        "list_namespaced_custom_object",
        namespace=backends.config.hub.namespace,
        group=KEDA_GROUP,
        version=KEDA_VERSION,
        plural=KEDA_PLURAL,
    )
    for item in answer.get("items") or []:
        target = ((item.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
        if target == ENGINE:
            return scaled_object(item)
    return None


def scaled_object(item: Obj) -> ScaledObject:
    meta, spec = item.get("metadata") or {}, item.get("spec") or {}
    conditions = {
        c.get("type"): c.get("status") for c in (item.get("status") or {}).get("conditions") or []
    }
    annotations = meta.get("annotations") or {}
    lists = tuple(
        str((t.get("metadata") or {}).get("listName"))
        for t in spec.get("triggers") or []
        if t.get("type") == "redis" and (t.get("metadata") or {}).get("listName")
    )
    return ScaledObject(
        name=str(meta.get("name", "?")),
        min_replicas=spec.get("minReplicaCount"),
        max_replicas=spec.get("maxReplicaCount"),
        paused=any(k in annotations for k in KEDA_PAUSED),
        ready=_condition(conditions.get("Ready")),
        active=_condition(conditions.get("Active")),
        redis_lists=lists,
    )


def _condition(status: object) -> bool | None:
    return None if status is None else status == "True"


def _queue_checks(notes: Notes, part: Part[QueuesOverview], config: Config) -> None:
    if part.value is None:
        notes.unknown(CheckKind.WAITING_JOBS, part.failure)
        notes.unknown(CheckKind.PAUSED_QUEUES, part.failure)
        return
    overview, limit = part.value, config.thresholds.waiting_jobs
    busy = sorted(overview.queues, key=lambda q: -q.pending)
    shown = tuple(QueueLoad(q.name, q.pending, q.prioritized) for q in busy[:6])
    state: CheckState = "fail" if overview.pending > limit else "ok"
    notes.check(CheckKind.WAITING_JOBS, state, WaitingFacts(overview.pending, limit, shown))
    paused = tuple(QueueLoad(q.name, q.pending) for q in overview.queues if q.paused)
    stuck = [q for q in paused if q.pending]
    state = "fail" if stuck else "warn" if paused else "ok"
    notes.check(CheckKind.PAUSED_QUEUES, state, PausedFacts(paused))
    for q in stuck:
        resume = suggest("queue resume", q.name)  # a name: the command's verb
        notes.cause(0, QueuePaused(q.name, q.pending), resume)


def _runs_checks(notes: Notes, part: Part[_HubRuns], config: Config) -> None:
    if part.value is None:
        notes.unknown(CheckKind.ERROR_RATE, part.failure)
        notes.unknown(CheckKind.FAILED_RUNS, part.failure)
        return
    rate, failed = part.value.rate, part.value.failed
    limit = config.thresholds.error_rate_percent
    window = config.hub.error_rate_window_minutes
    spiking = rate.percent > limit
    facts = ErrorRateFacts(rate.percent, rate.failed, rate.finished, window, limit)
    notes.check(CheckKind.ERROR_RATE, "fail" if spiking else "ok", facts)
    by_type = [g for g in failed.groups if g.status == "failed"]
    total = sum(g.runs for g in by_type)
    newest = failed.failures[0].error if failed.failures else ""
    named = tuple((g.workflow_type, g.runs) for g in by_type[:MAX_LINES_NAMED])
    notes.check(
        CheckKind.FAILED_RUNS, "warn" if total else "ok", FailedRunsFacts(total, named, newest)
    )
    if total and spiking:
        cause = RunsFailing(rate.percent, window, limit, by_type[0].workflow_type, newest)
        notes.cause(2, cause, FAILED_RUNS)


def _engine_replicas_check(notes: Notes, part: Part[RolloutStatus], backlog: int | None) -> bool:
    """The check; True when workflow-engine runs as it should. At 0 replicas with nothing
    waiting it is idle (KEDA scales it up when jobs arrive), not down."""
    if part.value is None:
        notes.unknown(CheckKind.ENGINE_REPLICAS, part.failure)
        return False
    status = part.value
    verdict = (
        (ReplicaVerdict.IDLE if backlog == 0 else ReplicaVerdict.SCALED_TO_ZERO)
        if status.desired == 0
        else ReplicaVerdict.NO_READY
        if status.ready == 0
        else ReplicaVerdict.RUNNING
    )
    facts = ReplicaFacts(verdict, status.ready, status.desired, status.available, status.state)
    healthy = status.ready >= status.desired and status.state == "complete"
    state: CheckState = {
        ReplicaVerdict.IDLE: "ok",
        ReplicaVerdict.SCALED_TO_ZERO: "fail",
        ReplicaVerdict.NO_READY: "fail",
        ReplicaVerdict.RUNNING: "ok" if healthy else "warn",
    }[verdict]
    notes.check(CheckKind.ENGINE_REPLICAS, state, facts)
    if verdict is ReplicaVerdict.SCALED_TO_ZERO:
        notes.cause(1, EngineDown(0), SCALE_ENGINE)
    elif verdict is ReplicaVerdict.NO_READY:
        notes.cause(
            1,
            EngineDown(status.desired),
            suggest("rollout-status", HUB_ENV, ENGINE),
            suggest("logs", HUB_ENV, ENGINE, since="30m"),
        )
    return verdict in (ReplicaVerdict.IDLE, ReplicaVerdict.RUNNING)


def _keda_check(
    notes: Notes, part: Part[ScaledObject | None], queues: QueuesOverview | None, config: Config
) -> None:
    if part.failure is not None:
        notes.unknown(CheckKind.KEDA, part.failure)
        return
    scaled = part.value
    if scaled is None:
        notes.check(CheckKind.KEDA, "warn", KedaFacts(""))
        return
    state: CheckState = "ok" if scaled.ready is not False else "fail"
    if scaled.paused:
        state = "warn" if state == "ok" else state
        notes.cause(3, KedaPaused(), SCALE_ENGINE)
    missed = _uncounted(scaled, queues, config.hub.queue_prefix)
    if missed:
        state = "warn" if state == "ok" else state
        notes.cause(4, KedaUndercounts(missed), SCALE_ENGINE)
    facts = KedaFacts(
        scaled.name,
        scaled.min_replicas,
        scaled.max_replicas,
        scaled.ready,
        scaled.active,
        scaled.paused,
        missed,
    )
    notes.check(CheckKind.KEDA, state, facts)


def _uncounted(
    scaled: ScaledObject, queues: QueuesOverview | None, prefix: str
) -> Uncounted | None:
    """A redis trigger on `<prefix>:<queue>:wait` misses BullMQ 6's prioritized zset."""
    if queues is None:
        return None
    by_name = {q.name: q for q in queues.queues}
    for listed in scaled.redis_lists:
        head, _, tail = listed.rpartition(":")
        queue = by_name.get(head.removeprefix(f"{prefix}:"))
        if tail == "wait" and queue is not None and queue.prioritized:
            return Uncounted(listed, queue.waiting, queue.prioritized)
    return None

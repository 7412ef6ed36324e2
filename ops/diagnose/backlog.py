"""`/rtb diagnose backlog`: why BullMQ jobs pile up (§5.3)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from ops import executions
from ops.backends.container import Backends
from ops.backends.db import Database
from ops.config import Config
from ops.diagnose.common import (
    ENGINE,
    HUB_ENV,
    KEDA_GROUP,
    KEDA_PAUSED,
    KEDA_PLURAL,
    KEDA_VERSION,
    MAX_LINES_NAMED,
    RECENT,
    CheckState,
    Diagnosis,
    Notes,
    Obj,
    gather,
    inconclusive,
    one_line,
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
        notes.cause(
            5,
            f"Load: {backlog:,} jobs waiting while {ENGINE} is healthy: more work than replicas",
            SCALE_ENGINE,
            suggest("queue", busiest),
        )
    notes.commands.append(FAILED_RUNS)
    limit = config.thresholds.waiting_jobs
    if backlog is not None and backlog <= limit:
        otherwise = f"No backlog: {backlog:,} jobs waiting, within the threshold of {limit:,}."
    else:
        otherwise = inconclusive(notes)
    return notes.diagnosis("BullMQ backlog", otherwise, suggest("queues"))


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
        notes.unknown("BullMQ waiting jobs", part.failure)
        notes.unknown("Paused queues", part.failure)
        return
    overview, limit = part.value, config.thresholds.waiting_jobs
    busy = sorted(overview.queues, key=lambda q: -q.pending)
    shown = [
        f"{q.name} {q.pending:,}" + (f" ({q.prioritized:,} prioritized)" if q.prioritized else "")
        for q in busy[:6]
    ]
    finding = f"{overview.pending:,} waiting (threshold {limit:,}): " + " · ".join(
        shown or ["no queues"]
    )
    notes.check("BullMQ waiting jobs", "fail" if overview.pending > limit else "ok", finding + ".")
    paused = [q for q in overview.queues if q.paused]
    if not paused:
        notes.check("Paused queues", "ok", "None paused.")
        return
    stuck = [q for q in paused if q.pending]
    facts = [f"{q.name} paused with {q.pending:,} waiting" for q in paused]
    notes.check("Paused queues", "fail" if stuck else "warn", "; ".join(facts) + ".")
    for q in stuck:
        notes.cause(
            0,
            f"{q.name} is paused with {q.pending:,} jobs waiting",
            suggest("queue resume", q.name),
        )


def _runs_checks(notes: Notes, part: Part[_HubRuns], config: Config) -> None:
    if part.value is None:
        notes.unknown(f"{ENGINE} error rate", part.failure)
        notes.unknown("Failed runs, last hour", part.failure)
        return
    rate, failed = part.value.rate, part.value.failed
    limit = config.thresholds.error_rate_percent
    window = config.hub.error_rate_window_minutes
    finding = (
        f"{rate.percent:.1f} % ({rate.failed:,} of {rate.finished:,} runs that finished in "
        f"{window} min; threshold {limit:g} %)."
    )
    spiking = rate.percent > limit
    notes.check(f"{ENGINE} error rate", "fail" if spiking else "ok", finding)
    by_type = [g for g in failed.groups if g.status == "failed"]
    total = sum(g.runs for g in by_type)
    if not total:
        notes.check("Failed runs, last hour", "ok", "None failed in the last hour.")
        return
    types = " · ".join(f"{g.workflow_type} {g.runs:,}" for g in by_type[:MAX_LINES_NAMED])
    newest = failed.failures[0].error if failed.failures else ""
    finding = f"{total:,} failed: {types}" + (f"; newest: {one_line(newest)}" if newest else "")
    notes.check("Failed runs, last hour", "warn", finding + ".")
    if spiking:
        mostly = f", mostly {by_type[0].workflow_type}" + (
            f" ({one_line(newest, 80)})" if newest else ""
        )
        notes.cause(
            2,
            f"{ENGINE} runs are failing: {rate.percent:.1f} % in {window} min (threshold "
            f"{limit:g} %){mostly}; failed jobs retry and pile up",
            FAILED_RUNS,
        )


def _engine_replicas_check(notes: Notes, part: Part[RolloutStatus], backlog: int | None) -> bool:
    """The check; True when workflow-engine runs as it should. At 0 replicas with nothing
    waiting it is idle (KEDA scales it up when jobs arrive), not down."""
    name = f"{ENGINE} in {HUB_ENV}"
    if part.value is None:
        notes.unknown(name, part.failure)
        return False
    status = part.value
    finding = (
        f"{status.ready} of {status.desired} replicas ready ({status.available} available), "
        f"rollout {status.state}."
    )
    if status.desired == 0 and backlog == 0:
        notes.check(name, "ok", f"Scaled to 0 while idle: {finding}")
        return True
    if status.desired == 0:
        notes.check(name, "fail", f"Scaled to 0: {finding}")
        notes.cause(1, f"{ENGINE} is scaled to 0 in {HUB_ENV}: nothing takes jobs", SCALE_ENGINE)
        return False
    if status.ready == 0:
        notes.check(name, "fail", f"No ready replica: {finding}")
        notes.cause(
            1,
            f"{ENGINE} has no ready replica in {HUB_ENV} (0 of {status.desired})",
            suggest("rollout-status", HUB_ENV, ENGINE),
            suggest("logs", HUB_ENV, ENGINE, since="30m"),
        )
        return False
    healthy = status.ready >= status.desired and status.state == "complete"
    notes.check(name, "ok" if healthy else "warn", finding)
    return True


def _keda_check(
    notes: Notes, part: Part[ScaledObject | None], queues: QueuesOverview | None, config: Config
) -> None:
    name = "KEDA ScaledObject"
    if part.failure is not None:
        notes.unknown(name, part.failure)
        return
    scaled = part.value
    if scaled is None:
        notes.check(name, "warn", f"None targets {ENGINE}: it is not autoscaled.")
        return
    facts = [f"{scaled.name}: {scaled.min_replicas}–{scaled.max_replicas} replicas"]
    facts += [f"Ready {_yes(scaled.ready)}", f"Active {_yes(scaled.active)}"]
    state: CheckState = "ok" if scaled.ready is not False else "fail"
    if scaled.paused:
        facts.append("autoscaling paused")
        state = "warn" if state == "ok" else state
        notes.cause(3, f"KEDA autoscaling of {ENGINE} is paused", SCALE_ENGINE)
    missed = _uncounted(scaled, queues, config.hub.queue_prefix)
    if missed:
        listed, wait, prioritized = missed
        facts.append(
            f"its redis trigger counts only {listed} ({wait:,}), not {prioritized:,} prioritized"
        )
        state = "warn" if state == "ok" else state
        notes.cause(
            4,
            f"KEDA counts only {listed} ({wait:,} jobs), not the {prioritized:,} prioritized "
            "ones: it scales for fewer jobs than are waiting",
            SCALE_ENGINE,
        )
    notes.check(name, state, ", ".join(facts) + ".")


def _yes(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "NO"


def _uncounted(
    scaled: ScaledObject, queues: QueuesOverview | None, prefix: str
) -> tuple[str, int, int] | None:
    """A redis trigger on `<prefix>:<queue>:wait` misses BullMQ 6's prioritized zset."""
    if queues is None:
        return None
    by_name = {q.name: q for q in queues.queues}
    for listed in scaled.redis_lists:
        head, _, tail = listed.rpartition(":")
        queue = by_name.get(head.removeprefix(f"{prefix}:"))
        if tail == "wait" and queue is not None and queue.prioritized:
            return listed, queue.waiting, queue.prioritized
    return None


# == costs: "AI 비용 이상 증가" ====================================================================

# The runbook's ai_costs query (last hour by model and env) with the usual rate beside it.

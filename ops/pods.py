"""Pods as `kubectl get pods` shows them, plus start duration and how the last run ended.

Slack-agnostic: the words a user reads are in handlers/render/cluster.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ops.backends.container import Backends
from ops.config import EnvName
from ops.kube_objects import Condition, ContainerStatus, Json, Pod, listed
from ops.label_selectors import check_label_selector
from ops.timestamps import now_utc

OOM_KILLED = "OOMKilled"
CRASH_LOOP = "CrashLoopBackOff"


@dataclass(frozen=True)
class Termination:
    """How a container's run ended: its current state or, when running again, its last one."""

    container: str
    reason: str  # OOMKilled, Error, Completed, …
    exit_code: int | None
    finished_at: datetime | None


@dataclass(frozen=True)
class PodSummary:
    name: str
    namespace: str
    phase: str  # Pending, Running, Succeeded, Failed, Unknown, or Terminating when deleted
    ready: int  # ready containers
    containers: int
    restarts: int
    created_at: datetime | None
    start_seconds: float | None  # creationTimestamp → Ready condition; None while not Ready
    slow_start: bool  # start_seconds above the Fargate cold-start threshold
    waiting_reason: str | None  # CrashLoopBackOff, ImagePullBackOff, ContainerCreating, …
    last_termination: Termination | None

    @property
    def oom_killed(self) -> bool:
        return self.last_termination is not None and self.last_termination.reason == OOM_KILLED

    @property
    def crash_looping(self) -> bool:
        return self.waiting_reason == CRASH_LOOP

    @property
    def healthy(self) -> bool:
        if self.oom_killed or self.crash_looping:
            return False
        return self.phase == "Succeeded" or (
            self.phase == "Running" and self.ready == self.containers
        )


@dataclass(frozen=True)
class PodList:
    env: EnvName
    namespace: str
    selector: str | None
    pods: tuple[PodSummary, ...]
    checked_at: datetime
    slow_start_seconds: float


def summarize_pod(item: Json, slow_start_seconds: float) -> PodSummary:
    """What `kubectl get pods` shows, plus start duration and the last termination reason."""
    pod = Pod.of(item)
    start = _start_seconds(pod.meta.created_at, pod.ready_condition)
    return PodSummary(
        name=pod.name,
        namespace=pod.meta.namespace,
        phase="Terminating" if pod.meta.deleting else pod.phase,
        ready=sum(1 for s in pod.statuses if s.ready),
        containers=len(pod.containers or pod.statuses),
        restarts=sum(s.restart_count for s in pod.statuses),
        created_at=pod.meta.created_at,
        start_seconds=start,
        slow_start=start is not None and start > slow_start_seconds,
        waiting_reason=_waiting_reason(pod.statuses),
        last_termination=_last_termination(pod.statuses),
    )


def _start_seconds(created: datetime | None, ready: Condition | None) -> float | None:
    if created is None or ready is None or ready.status != "True":
        return None
    if ready.last_transition is None:
        return None
    return max(0.0, (ready.last_transition - created).total_seconds())


def _waiting_reason(statuses: tuple[ContainerStatus, ...]) -> str | None:
    named = [s.waiting_reason for s in statuses if s.waiting_reason]
    return CRASH_LOOP if CRASH_LOOP in named else (named[0] if named else None)


def _last_termination(statuses: tuple[ContainerStatus, ...]) -> Termination | None:
    """An OOMKilled run wins (the runbook alerts on it at once), then the newest one."""
    ended = [
        Termination(status.name, run.reason, run.exit_code, run.finished_at)
        for status in statuses
        for run in (status.terminated, status.last_terminated)
        if run is not None
    ]
    if not ended:
        return None
    oom = [t for t in ended if t.reason == OOM_KILLED]
    oldest = datetime.min.replace(tzinfo=UTC)
    return (oom or sorted(ended, key=lambda t: t.finished_at or oldest, reverse=True))[0]


async def list_pods(
    backends: Backends, env: EnvName, namespace: str, selector: str | None = None
) -> PodList:
    checked = check_label_selector(selector) if selector else None
    answer = await backends.kube.call(
        env, "core", "list_namespaced_pod", namespace=namespace, label_selector=checked
    )
    threshold = backends.config.thresholds.pod_start_seconds
    pods = sorted((summarize_pod(p, threshold) for p in listed(answer)), key=lambda p: p.name)
    return PodList(env, namespace, selector, tuple(pods), now_utc(), threshold)

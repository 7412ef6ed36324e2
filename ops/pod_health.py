"""What a pod's status says that deserves an alert: OOMKilled restarts and slow starts.

Pure functions of one pod as the API returns it (a JSON dict, from a list or a watch event),
so the watcher, the tests and the renderers share one reading of it:
- `oom_kills`: every container whose last *or* current termination reason is `OOMKilled`,
  with its restart count (the alert's identity: one alert per restart) and memory limit;
- `slow_start`: a Ready pod whose Ready came more than the threshold after its creation, with
  where the time went, from the pod's own timestamps (see `start_phases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.kube_objects import ContainerStatus, Json, Pod, Terminated
from ops.timestamps import parse_time

OOM_KILLED = "OOMKilled"


@dataclass(frozen=True)
class PodRef:
    namespace: str
    name: str
    uid: str
    created: datetime | None


@dataclass(frozen=True)
class OomKill:
    pod: PodRef
    container: str
    restart_count: int
    memory_limit: str | None  # as the spec says it ("512Mi"); None: no limit set
    finished_at: datetime | None  # when the killed run ended (None: the status did not say)


@dataclass(frozen=True)
class StartPhase:
    name: str  # scheduling | node | image_pull | readiness (worded by the renderer)
    seconds: float


@dataclass(frozen=True)
class SlowStart:
    pod: PodRef
    ready_at: datetime
    seconds: float  # creation → Ready
    phases: tuple[StartPhase, ...]


def pod_ref(pod: Json) -> PodRef:
    return _ref(Pod.of(pod))


def _ref(pod: Pod) -> PodRef:
    meta = pod.meta
    return PodRef(meta.namespace, meta.name, meta.uid, meta.created_at)


def _oom_termination(status: ContainerStatus) -> Terminated | None:
    runs = (status.terminated, status.last_terminated)
    return next((run for run in runs if run is not None and run.reason == OOM_KILLED), None)


def oom_kills(item: Json) -> list[OomKill]:
    pod = Pod.of(item)
    ref = _ref(pod)
    limits = {c.name: c.memory_limit for c in pod.containers}
    kills = []
    for status in pod.statuses:
        terminated = _oom_termination(status)
        if terminated is None:
            continue
        kills.append(
            OomKill(
                ref,
                status.name,
                status.restart_count,
                limits.get(status.name),
                terminated.finished_at,
            )
        )
    return kills


def _condition_times(pod: Pod) -> dict[str, datetime]:
    return {
        c.type: c.last_transition
        for c in pod.conditions
        if c.status == "True" and c.last_transition is not None
    }


def _containers_started(pod: Pod) -> datetime | None:
    known = [s.started_at for s in pod.statuses if s.started_at is not None]
    return max(known) if known else None


def start_phases(item: Json) -> tuple[StartPhase, ...]:
    """Creation → PodScheduled (scheduling), → status.startTime (node: on Fargate, a node is
    provisioned for the pod), → the containers running (image pull and start, after the init
    containers), → Ready (readiness probes). A phase whose timestamps are missing is left out."""
    return _phases(Pod.of(item))


def _phases(pod: Pod) -> tuple[StartPhase, ...]:
    times = _condition_times(pod)
    marks: list[tuple[str, datetime | None]] = [
        ("created", pod.meta.created_at),
        ("scheduling", times.get("PodScheduled")),
        ("node", pod.start_time),
        ("image_pull", _containers_started(pod)),
        ("readiness", times.get("Ready")),
    ]
    phases, last = [], marks[0][1]
    for name, moment in marks[1:]:
        if moment is None or last is None:
            continue
        phases.append(StartPhase(name, max(0.0, (moment - last).total_seconds())))
        last = moment
    return tuple(phases)


def slow_start(item: Json, threshold_seconds: float) -> SlowStart | None:
    pod = Pod.of(item)
    ref = _ref(pod)
    ready_at = _condition_times(pod).get("Ready")
    if ref.created is None or ready_at is None:
        return None
    seconds = (ready_at - ref.created).total_seconds()
    if seconds <= threshold_seconds:
        return None
    return SlowStart(ref, ready_at, seconds, _phases(pod))


@dataclass(frozen=True)
class OomAlert:
    """What an OOMKilled alert says: the newest kill of a container, and how many kills of it
    were folded into the alert since it was opened (`pod_watch.fold_minutes`)."""

    env: str
    issue_key: str | None  # the preview's, from its namespace's label
    namespace: str
    pod: str
    container: str
    memory_limit: str | None
    restart_count: int
    killed_at: datetime | None
    kills: int = 1
    first_at: datetime | None = None  # when the alert was opened

    def facts(self) -> dict[str, Any]:
        """The JSON kept with an open alert, to render it again when a kill is folded in."""
        return {
            "env": self.env,
            "issue_key": self.issue_key,
            "namespace": self.namespace,
            "pod": self.pod,
            "container": self.container,
            "memory_limit": self.memory_limit,
            "restart_count": self.restart_count,
            "killed_at": self.killed_at.isoformat() if self.killed_at else None,
        }

    @classmethod
    def from_facts(cls, facts: dict[str, Any], kills: int, first_at: datetime) -> OomAlert:
        return cls(
            str(facts["env"]),
            facts.get("issue_key"),
            str(facts["namespace"]),
            str(facts["pod"]),
            str(facts["container"]),
            facts.get("memory_limit"),
            int(facts["restart_count"]),
            parse_time(facts.get("killed_at")),
            kills,
            first_at,
        )


@dataclass(frozen=True)
class SlowStartAlert:
    env: str
    issue_key: str | None
    start: SlowStart
    threshold_seconds: float

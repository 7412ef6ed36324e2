"""Typed views of the Kubernetes objects the bot reads: Deployment, ReplicaSet, Pod, Namespace,
ScaledObject.

Each view is built once from the JSON the API server sent (`Pod.of(item)`), and every missing
or null field is settled there, in one place: the rest of ops/ reads attributes, not
`(obj.get("spec") or {}).get(...)` chains. A view keeps what the bot reads; the few that are
written back whole (a rollback PUTs the Deployment it read) keep the object they came from in
`raw`, untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ops.timestamps import parse_time

Json = Mapping[str, Any]  # one object as the API server sent it (already parsed JSON)

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
PAUSED_REPLICAS = "autoscaling.keda.sh/paused-replicas"
HASH_LABEL = "pod-template-hash"


def mapping(value: object) -> Json:
    """`value` when it is an object, else an empty one (a field the server left out or null)."""
    return value if isinstance(value, Mapping) else {}


def items(value: object) -> list[Json]:
    """The objects of a list field (or of a List's `items`), skipping anything else."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def listed(answer: object) -> list[Json]:
    """The `items` of a List answer."""
    return items(mapping(answer).get("items"))


def _strings(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping(value).items() if v is not None}


def _int(value: object, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class Meta:
    name: str
    namespace: str
    uid: str
    resource_version: str
    generation: int
    created_at: datetime | None
    deleting: bool  # deletionTimestamp set: Terminating
    labels: dict[str, str]
    annotations: dict[str, str]
    owner_uids: tuple[str, ...]

    @classmethod
    def of(cls, obj: Json) -> Meta:
        meta = mapping(obj.get("metadata"))
        return cls(
            name=str(meta.get("name") or "?"),
            namespace=str(meta.get("namespace") or ""),
            uid=str(meta.get("uid") or ""),
            resource_version=str(meta.get("resourceVersion") or ""),
            generation=_int(meta.get("generation")),
            created_at=parse_time(meta.get("creationTimestamp")),
            deleting=bool(meta.get("deletionTimestamp")),
            labels=_strings(meta.get("labels")),
            annotations=_strings(meta.get("annotations")),
            owner_uids=tuple(str(o.get("uid")) for o in items(meta.get("ownerReferences"))),
        )


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    memory_limit: str | None = None  # as the spec says it ("512Mi"); None: no limit set


def containers(pod_spec: object) -> tuple[Container, ...]:
    return tuple(_container(c) for c in items(mapping(pod_spec).get("containers")))


def _container(obj: Json) -> Container:
    limit = mapping(mapping(obj.get("resources")).get("limits")).get("memory")
    return Container(
        str(obj.get("name") or "?"),
        str(obj.get("image") or "?"),
        None if limit is None else str(limit),
    )


def images(template: object) -> dict[str, str]:
    """Container name → image of a pod template."""
    return {c.name: c.image for c in containers(mapping(template).get("spec"))}


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str | None
    message: str | None
    last_transition: datetime | None

    @classmethod
    def of(cls, obj: Json) -> Condition:
        return cls(
            type=str(obj.get("type") or ""),
            status=str(obj.get("status") or ""),
            reason=obj.get("reason") or None,
            message=obj.get("message") or None,
            last_transition=parse_time(obj.get("lastTransitionTime")),
        )


def _conditions(status: Json) -> tuple[Condition, ...]:
    return tuple(Condition.of(c) for c in items(status.get("conditions")))


def _condition(conditions: tuple[Condition, ...], kind: str) -> Condition | None:
    return next((c for c in conditions if c.type == kind), None)


# -- Deployment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    meta: Meta
    replicas: int  # spec.replicas (the API's default is 1)
    paused: bool
    match_labels: dict[str, str]
    template: Json  # the pod template, as sent
    observed_generation: int
    updated: int
    ready: int
    available: int
    total: int  # status.replicas: every pod, old ReplicaSets included
    progressing: Condition | None
    raw: Json = field(repr=False)

    @classmethod
    def of(cls, obj: Json) -> Deployment:
        spec, status = mapping(obj.get("spec")), mapping(obj.get("status"))
        return cls(
            meta=Meta.of(obj),
            replicas=_int(spec.get("replicas"), 1),
            paused=bool(spec.get("paused")),
            match_labels=_strings(mapping(spec.get("selector")).get("matchLabels")),
            template=mapping(spec.get("template")),
            observed_generation=_int(status.get("observedGeneration")),
            updated=_int(status.get("updatedReplicas")),
            ready=_int(status.get("readyReplicas")),
            available=_int(status.get("availableReplicas")),
            total=_int(status.get("replicas")),
            progressing=_condition(_conditions(status), "Progressing"),
            raw=obj,
        )

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def revision(self) -> str | None:
        return self.meta.annotations.get(REVISION)

    @property
    def revision_number(self) -> int | None:
        value = self.revision or ""
        return int(value) if value.isdigit() else None

    @property
    def images(self) -> dict[str, str]:
        return images(self.template)


# -- ReplicaSet ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaSet:
    meta: Meta
    template: Json
    pods: int  # status.replicas: what it runs now

    @classmethod
    def of(cls, obj: Json) -> ReplicaSet:
        return cls(
            meta=Meta.of(obj),
            template=mapping(mapping(obj.get("spec")).get("template")),
            pods=_int(mapping(obj.get("status")).get("replicas")),
        )

    @property
    def revision(self) -> str | None:
        return self.meta.annotations.get(REVISION)

    @property
    def change_cause(self) -> str | None:
        return self.meta.annotations.get(CHANGE_CAUSE)

    def owned_by(self, uid: str) -> bool:
        return bool(uid) and uid in self.meta.owner_uids


# -- Pod -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terminated:
    reason: str  # OOMKilled, Error, Completed, …
    exit_code: int | None
    finished_at: datetime | None

    @classmethod
    def of(cls, state: object) -> Terminated | None:
        terminated = mapping(state).get("terminated")
        if not terminated:
            return None
        body = mapping(terminated)
        code = body.get("exitCode")
        return cls(
            reason=str(body.get("reason") or "Unknown"),
            exit_code=code if isinstance(code, int) else None,
            finished_at=parse_time(body.get("finishedAt")),
        )


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    ready: bool
    restart_count: int
    waiting_reason: str | None
    started_at: datetime | None  # state.running.startedAt: None unless running
    terminated: Terminated | None  # the current state
    last_terminated: Terminated | None  # lastState: the previous run

    @classmethod
    def of(cls, obj: Json) -> ContainerStatus:
        state = mapping(obj.get("state"))
        return cls(
            name=str(obj.get("name") or "?"),
            ready=bool(obj.get("ready")),
            restart_count=_int(obj.get("restartCount")),
            waiting_reason=mapping(state.get("waiting")).get("reason") or None,
            started_at=parse_time(mapping(state.get("running")).get("startedAt")),
            terminated=Terminated.of(state),
            last_terminated=Terminated.of(obj.get("lastState")),
        )


@dataclass(frozen=True)
class Pod:
    meta: Meta
    phase: str
    containers: tuple[Container, ...]  # spec.containers
    statuses: tuple[ContainerStatus, ...]
    conditions: tuple[Condition, ...]
    start_time: datetime | None  # status.startTime: the pod was bound to a node (Fargate: one made)

    @classmethod
    def of(cls, obj: Json) -> Pod:
        status = mapping(obj.get("status"))
        return cls(
            meta=Meta.of(obj),
            phase=str(status.get("phase") or "Unknown"),
            containers=containers(obj.get("spec")),
            statuses=tuple(ContainerStatus.of(s) for s in items(status.get("containerStatuses"))),
            conditions=_conditions(status),
            start_time=parse_time(status.get("startTime")),
        )

    @property
    def ready_condition(self) -> Condition | None:
        return _condition(self.conditions, "Ready")

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def container_names(self) -> list[str]:
        return [c.name for c in self.containers]

    @property
    def default_container(self) -> str | None:
        return self.meta.annotations.get(DEFAULT_CONTAINER)

    def status_of(self, container: str) -> ContainerStatus | None:
        return next((s for s in self.statuses if s.name == container), None)


def newest(pods: list[Pod]) -> Pod:
    oldest = datetime.min.replace(tzinfo=UTC)
    return max(pods, key=lambda p: p.meta.created_at or oldest)


# -- Namespace, ScaledObject -----------------------------------------------------------------


@dataclass(frozen=True)
class Namespace:
    meta: Meta
    phase: str  # Active, Terminating

    @classmethod
    def of(cls, obj: Json) -> Namespace:
        return cls(Meta.of(obj), str(mapping(obj.get("status")).get("phase") or "Active"))

    @property
    def name(self) -> str:
        return self.meta.name


@dataclass(frozen=True)
class ScaledObject:
    """A KEDA ScaledObject: what it scales and whether KEDA is paused on it."""

    name: str
    target_kind: str
    target_name: str | None
    paused_replicas: str | None  # the annotation's value when KEDA is paused

    @classmethod
    def of(cls, obj: Json) -> ScaledObject:
        ref = mapping(mapping(obj.get("spec")).get("scaleTargetRef"))
        meta = Meta.of(obj)
        return cls(
            name=meta.name,
            target_kind=str(ref.get("kind") or "Deployment"),
            target_name=ref.get("name"),
            paused_replicas=meta.annotations.get(PAUSED_REPLICAS),
        )

    def scales(self, deployment: str) -> bool:
        return self.target_name == deployment and self.target_kind == "Deployment"

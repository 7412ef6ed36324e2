"""What a change's card says, as data: the state a mutation reads, what it will leave, and why
the requester must confirm. No words here: `handlers/render/change_facts.py` words each kind in
the reader's language.

A `Fact` is a small frozen dataclass of names and numbers. It is stored as such (an approval
row's change, a drift's "was"/"now": `as_data`, read back by `fact_from_data`); rows written
before facts existed hold the English text instead, which is read back as that text and shown
as written (it cannot be parsed back into data, and rewriting stored rows would change what
the lead approved).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

FACT_KINDS: dict[str, type[Fact]] = {}


@dataclass(frozen=True)
class Fact:
    """One kind of fact; `kind` is its stored name (unique, checked at import)."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind in FACT_KINDS:
            raise TypeError(f"two facts named {cls.kind!r}")
        FACT_KINDS[cls.kind] = cls

    def as_data(self) -> dict[str, Any]:
        return {"kind": self.kind, **{f.name: _plain(getattr(self, f.name)) for f in _fields(self)}}


Said = Fact | str
"""A fact, or the text an older stored row was written with (shown as written)."""


def said_as_data(said: Said) -> Any:
    return said if isinstance(said, str) else said.as_data()


def fact_from_data(data: Any) -> Said:
    """A stored fact back (`as_data`), or an older row's text as it is."""
    if not isinstance(data, Mapping) or data.get("kind") not in FACT_KINDS:
        return str(data)
    cls = FACT_KINDS[str(data["kind"])]
    values = {f.name: _typed(data.get(f.name)) for f in _fields(cls) if f.name in data}
    return cls(**values)


def _fields(fact: Fact | type[Fact]) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(fact)


def _plain(value: Any) -> Any:
    if isinstance(value, Fact):
        return value.as_data()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, Mapping) and value.get("kind") in FACT_KINDS:
        return fact_from_data(value)
    if isinstance(value, list):
        return tuple(_typed(v) for v in value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


# -- BullMQ queues (approvals/queue_mutations.py) ---------------------------------------------


@dataclass(frozen=True)
class QueueState(Fact):
    """Paused or running, with the count the change acts on (waiting, or failed)."""

    kind: ClassVar[str] = "queue.state"
    paused: bool
    waiting: int | None = None
    failed: int | None = None


@dataclass(frozen=True)
class QueueRunning(Fact):
    kind: ClassVar[str] = "queue.running"


@dataclass(frozen=True)
class QueuePausedKeeping(Fact):
    """After a pause: the waiting jobs stay queued."""

    kind: ClassVar[str] = "queue.paused_keeping"
    waiting: int


@dataclass(frozen=True)
class QueuePaused(Fact):
    kind: ClassVar[str] = "queue.paused"
    waiting: int


@dataclass(frozen=True)
class QueueResumed(Fact):
    """After a resume: workers take jobs again."""

    kind: ClassVar[str] = "queue.resumed"


@dataclass(frozen=True)
class FailedJobs(Fact):
    kind: ClassVar[str] = "queue.failed"
    failed: int


@dataclass(frozen=True)
class FailedRetried(Fact):
    """After a retry: `retried` of `failed` (all of them when equal); `paused`: they wait."""

    kind: ClassVar[str] = "queue.retried"
    retried: int
    failed: int
    paused: bool = False


# -- deployments and KEDA (approvals/workload_mutations.py) -----------------------------------


@dataclass(frozen=True)
class Replicas(Fact):
    """A deployment's replicas, its images (container → image; none: not shown) and KEDA's hold
    on it (`scaled_object` None: no ScaledObject; `keda_paused_at` None: KEDA autoscales)."""

    kind: ClassVar[str] = "workload.replicas"
    count: int | None
    images: Mapping[str, str] = field(default_factory=dict)
    scaled_object: str | None = None
    keda_paused_at: int | None = None


@dataclass(frozen=True)
class ScaledTo(Fact):
    """After a scale: `count` replicas, KEDA's ScaledObject (if any) paused at that count."""

    kind: ClassVar[str] = "workload.scaled_to"
    count: int
    scaled_object: str | None = None


@dataclass(frozen=True)
class KedaPaused(Fact):
    kind: ClassVar[str] = "keda.paused"
    paused_at: int


@dataclass(frozen=True)
class KedaResumed(Fact):
    kind: ClassVar[str] = "keda.resumed"
    scaled_object: str


@dataclass(frozen=True)
class ScaleToZero(Fact):
    """A confirmation: the deployment serves nothing until it is scaled up again."""

    kind: ClassVar[str] = "confirm.scale_to_zero"
    deployment: str


@dataclass(frozen=True)
class AboveMaxReplicas(Fact):
    """A confirmation: more replicas than `hub.max_replicas`."""

    kind: ClassVar[str] = "confirm.above_max_replicas"
    replicas: int
    most: int


# -- rollouts (approvals/rollout_mutations.py, approvals/emergency_rollback.py) ----------------


@dataclass(frozen=True)
class Revision(Fact):
    """A deployment's revision and its images (`deployment`: named, in a change of several)."""

    kind: ClassVar[str] = "rollout.revision"
    number: int | None
    images: Mapping[str, str] = field(default_factory=dict)
    deployment: str | None = None


@dataclass(frozen=True)
class ImageAt(Fact):
    """One container's image at a revision (set-image's state)."""

    kind: ClassVar[str] = "rollout.image_at"
    revision: int | None
    container: str
    image: str


@dataclass(frozen=True)
class ContainerImage(Fact):
    kind: ClassVar[str] = "rollout.container_image"
    container: str
    image: str


@dataclass(frozen=True)
class PartState(Fact):
    """One deployment of a change of several: `state` is its own fact."""

    kind: ClassVar[str] = "part.state"
    deployment: str
    state: Fact


@dataclass(frozen=True)
class PartRefused(Fact):
    """A deployment of a change of several that cannot be changed: the refusal as stored
    (`UserError.as_data`, or an older state's text)."""

    kind: ClassVar[str] = "part.refused"
    deployment: str
    refusal: Any


@dataclass(frozen=True)
class PartUnchanged(Fact):
    kind: ClassVar[str] = "part.unchanged"
    deployment: str


@dataclass(frozen=True)
class Parts(Fact):
    """A change of several deployments, one fact each."""

    kind: ClassVar[str] = "parts"
    parts: tuple[Fact, ...]


@dataclass(frozen=True)
class EmergencyRollbackAtOnce(Fact):
    """A confirmation: the runbook's emergency rollback rolls these back together."""

    kind: ClassVar[str] = "confirm.emergency_rollback"
    deployments: tuple[str, ...]


# -- preview namespaces (approvals/preview_mutations.py, approvals/preview_cleanups.py) -------


@dataclass(frozen=True)
class PreviewExists(Fact):
    kind: ClassVar[str] = "preview.exists"
    namespace: str
    exists: bool


@dataclass(frozen=True)
class NoPreview(Fact):
    kind: ClassVar[str] = "preview.none"


@dataclass(frozen=True)
class PreviewToCreate(Fact):
    """A preview to be created, expiring `ttl_seconds` after its creation."""

    kind: ClassVar[str] = "preview.to_create"
    namespace: str
    issue_key: str
    ttl_seconds: int


@dataclass(frozen=True)
class PreviewState(Fact):
    """A preview namespace, its issue (None: unknown) and its expiry (ISO 8601 UTC; None:
    none)."""

    kind: ClassVar[str] = "preview.state"
    namespace: str
    issue_key: str | None
    expires_at: str | None


@dataclass(frozen=True)
class PreviewDeleted(Fact):
    kind: ClassVar[str] = "preview.deleted"


@dataclass(frozen=True)
class ExpiredPreviews(Fact):
    kind: ClassVar[str] = "preview.expired"
    namespaces: tuple[str, ...]


@dataclass(frozen=True)
class CleanedUp(Fact):
    """How a cleanup will remove them: the hub's cleanupExpired() or direct deletes."""

    kind: ClassVar[str] = "preview.cleaned_up"
    by_hub: bool

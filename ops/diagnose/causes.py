"""Why a playbook thinks things went wrong, as data: one small value per kind of cause (the
sentence `handlers/render/diagnose_causes.py` writes), and the conclusion when none was found."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ops.diagnose.findings import Check, PodTrouble, RoleRef, Uncounted

# -- causes: one value per kind of sentence ------------------------------------------------------


@dataclass(frozen=True)
class NoPods:
    env: str
    namespace: str


@dataclass(frozen=True)
class PodsFailing:
    trouble: PodTrouble  # OOM_KILLED, CRASH_LOOP, IMAGE_PULL or SLOW_START
    env: str
    namespace: str
    pods: tuple[str, ...]
    slow_seconds: float


@dataclass(frozen=True)
class EngineFailed:
    key: str
    message: str


@dataclass(frozen=True)
class RoleDenied:
    caller: str
    target: RoleRef
    code: str
    count: int


@dataclass(frozen=True)
class AccessDenied:
    envs: tuple[str, ...]
    account: str


@dataclass(frozen=True)
class Overloaded:
    waiting: int


@dataclass(frozen=True)
class QueuePaused:
    queue: str
    waiting: int


@dataclass(frozen=True)
class RunsFailing:
    percent: float
    window_minutes: int
    limit: float
    mostly: str  # the workflow type failing most
    newest_error: str


@dataclass(frozen=True)
class EngineDown:
    desired: int  # 0: scaled to 0; else none of them ready


@dataclass(frozen=True)
class KedaPaused:
    pass


@dataclass(frozen=True)
class KedaUndercounts:
    uncounted: Uncounted


@dataclass(frozen=True)
class CostSpike:
    model: str
    env: str
    recent_usd: Decimal
    ratio: float | None  # None: none in the previous 7 days


@dataclass(frozen=True)
class RunsSpike:
    workflow_type: str
    recent_runs: int
    usual_runs: float


@dataclass(frozen=True)
class OverBudgetToday:
    total_usd: Decimal
    limit_usd: Decimal
    spiked: bool  # a spike was found too (then this is not "no spike, but …")


Cause = (
    NoPods
    | PodsFailing
    | EngineFailed
    | RoleDenied
    | AccessDenied
    | Overloaded
    | QueuePaused
    | RunsFailing
    | EngineDown
    | KedaPaused
    | KedaUndercounts
    | CostSpike
    | RunsSpike
    | OverBudgetToday
)


# -- conclusions: what is said when no cause was found -------------------------------------------


@dataclass(frozen=True)
class PreviewHealthy:
    envs: tuple[str, ...]


@dataclass(frozen=True)
class NothingFound:
    key: str


@dataclass(frozen=True)
class NoBacklog:
    waiting: int
    limit: int


@dataclass(frozen=True)
class CostsCalm:
    pass


@dataclass(frozen=True)
class Inconclusive:
    """`unknown`: the checks that could not be made; `partial`: nothing wrong in what answered."""

    unknown: tuple[Check, ...] = ()
    partial: bool = False


Conclusion = PreviewHealthy | NothingFound | NoBacklog | CostsCalm | Inconclusive

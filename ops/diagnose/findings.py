"""What a playbook found, as data: each check's kind, subject, state and facts.

No words here: `handlers/render/diagnose*.py` words them in the reader's language. A check is
its kind (what was looked at), the subject that names it (an env, a namespace, an issue key),
a state and the facts it read; a source that did not answer is `Unanswered` with the failure.
The causes and conclusions drawn from the checks are in `ops/diagnose/causes.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from ops.executions import TypeRate
from ops.fanout import Failed

CheckState = Literal["ok", "warn", "fail", "unknown"]


class CheckKind(StrEnum):
    NAMESPACE = "namespace"
    PODS = "pods"
    ENGINE_LOG = "engine_log"
    ASSUME_ROLE = "assume_role"
    NAMESPACE_ACCESS = "namespace_access"
    WAITING_JOBS = "waiting_jobs"
    PAUSED_QUEUES = "paused_queues"
    ERROR_RATE = "error_rate"
    FAILED_RUNS = "failed_runs"
    ENGINE_REPLICAS = "engine_replicas"
    KEDA = "keda"
    COST_HOUR = "cost_hour"
    COST_BY_MODEL = "cost_by_model"
    RUNS_BY_TYPE = "runs_by_type"
    COST_TODAY = "cost_today"


@dataclass(frozen=True)
class Subject:
    """What a check's name says it is about (empty where the kind names it alone)."""

    env: str = ""
    namespace: str = ""
    key: str = ""
    account: str = ""  # a service account's short name; "" when no review answered


# -- facts of each kind of check ------------------------------------------------------------


@dataclass(frozen=True)
class Unanswered:
    failure: Failed | None  # None: the part gave no reason


@dataclass(frozen=True)
class NamespaceFacts:
    found: tuple[tuple[str, bool], ...]  # (env, being deleted)
    missing: tuple[str, ...]
    failed: tuple[Failed, ...]


class PodTrouble(StrEnum):
    OOM_KILLED = "oom_killed"
    CRASH_LOOP = "crash_loop"
    IMAGE_PULL = "image_pull"
    SLOW_START = "slow_start"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True)
class PodProblem:
    trouble: PodTrouble
    pod: str
    restarts: int = 0
    reason: str = ""  # the waiting reason or the phase (Kubernetes' own words)
    start_seconds: float = 0.0
    ready: int = 0
    containers: int = 0


@dataclass(frozen=True)
class PodsFacts:
    healthy: int
    total: int  # 0: no pods at all
    problems: tuple[PodProblem, ...]
    slow_seconds: float  # the Fargate cold-start threshold


@dataclass(frozen=True)
class EngineLogFacts:
    key: str
    read: int  # lines read from the end of the log
    mentions: int  # of which name the key
    errors: int
    newest_level: Literal["error", "warning", "line"]
    newest_at: datetime | None
    newest_message: str  # the log's own text, shown as is


@dataclass(frozen=True)
class RoleRef:
    """An IAM role; `env` when its account is one of the config's envs, `arn` otherwise."""

    role: str = ""
    env: str = ""
    arn: str = ""


@dataclass(frozen=True)
class RoleFailures:
    caller: str  # a role's or a user's name; "" when CloudTrail did not say
    target: RoleRef
    code: str
    count: int
    newest_at: datetime | None
    trail_env: str
    about_key: str  # the issue key when a session name carries it, else ""


@dataclass(frozen=True)
class TrailFacts:
    read_envs: tuple[str, ...]
    read: int  # events read
    failures: tuple[RoleFailures, ...]
    gaps: tuple[Failed, ...]  # accounts not read


@dataclass(frozen=True)
class EnvAccess:
    env: str
    allowed: bool | None  # None: the review did not answer
    failure: Failed | None = None  # why it did not answer


@dataclass(frozen=True)
class AccessFacts:
    envs: tuple[EnvAccess, ...]


@dataclass(frozen=True)
class QueueLoad:
    name: str
    pending: int
    prioritized: int = 0


@dataclass(frozen=True)
class WaitingFacts:
    pending: int
    limit: int
    busiest: tuple[QueueLoad, ...]


@dataclass(frozen=True)
class PausedFacts:
    queues: tuple[QueueLoad, ...]  # empty: none paused


@dataclass(frozen=True)
class ErrorRateFacts:
    percent: float
    failed: int
    finished: int
    window_minutes: int
    limit: float


@dataclass(frozen=True)
class FailedRunsFacts:
    total: int  # 0: none failed
    by_type: tuple[tuple[str, int], ...]
    newest_error: str


class ReplicaVerdict(StrEnum):
    RUNNING = "running"
    IDLE = "idle"  # scaled to 0 with nothing waiting
    SCALED_TO_ZERO = "scaled_to_zero"
    NO_READY = "no_ready"


@dataclass(frozen=True)
class ReplicaFacts:
    verdict: ReplicaVerdict
    ready: int
    desired: int
    available: int
    rollout: str  # complete, progressing, failed, paused, unobserved


@dataclass(frozen=True)
class Uncounted:
    """A KEDA redis trigger on a `wait` list misses BullMQ 6's prioritized jobs."""

    listed: str
    waiting: int
    prioritized: int


@dataclass(frozen=True)
class KedaFacts:
    name: str  # "" when no ScaledObject targets workflow-engine
    min_replicas: int | None = None
    max_replicas: int | None = None
    ready: bool | None = None
    active: bool | None = None
    paused: bool = False
    uncounted: Uncounted | None = None


@dataclass(frozen=True)
class CostRate:
    model: str
    env: str
    recent_usd: Decimal
    recent_calls: int
    usual_usd: Decimal  # per recent window, averaged over the baseline before it

    spike: bool  # far more than usual (see `ops.diagnose.costs`)

    @property
    def ratio(self) -> float | None:
        return float(self.recent_usd / self.usual_usd) if self.usual_usd else None


@dataclass(frozen=True)
class CostHourFacts:
    recent_usd: Decimal
    calls: int
    usual_usd: Decimal
    ratio: float | None  # None: nothing usually


@dataclass(frozen=True)
class CostByModelFacts:
    rates: tuple[CostRate, ...]  # the busiest with calls in the window; empty: no calls


@dataclass(frozen=True)
class RunsByTypeFacts:
    rates: tuple[TypeRate, ...]  # empty: no runs


@dataclass(frozen=True)
class CostTodayFacts:
    total_usd: Decimal
    since: datetime | None
    timezone: str
    calls: int
    limit_usd: Decimal


Facts = (
    Unanswered
    | NamespaceFacts
    | PodsFacts
    | EngineLogFacts
    | TrailFacts
    | AccessFacts
    | WaitingFacts
    | PausedFacts
    | ErrorRateFacts
    | FailedRunsFacts
    | ReplicaFacts
    | KedaFacts
    | CostHourFacts
    | CostByModelFacts
    | RunsByTypeFacts
    | CostTodayFacts
)


@dataclass(frozen=True)
class Check:
    """One thing a playbook looked at, and what it found."""

    kind: CheckKind
    state: CheckState
    facts: Facts
    about: Subject = Subject()

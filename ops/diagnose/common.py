"""What every playbook shares: the diagnosis, notes that collect checks and causes."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from ops.config import Config, EnvName
from ops.diagnose.causes import (
    Cause,
    Conclusion,
    Inconclusive,
)
from ops.diagnose.findings import (
    Check,
    CheckKind,
    CheckState,
    Facts,
    Subject,
    Unanswered,
)
from ops.errors import Invalid, Problem
from ops.fanout import Failed, Part, gather_parts
from ops.suggestions import Suggestion

Obj = dict[str, Any]

HUB_ENV: EnvName = "int"  # where the hub itself (workflow-engine, its Redis and DB) runs
ENGINE = "workflow-engine"
ENGINE_LOG_LINES = 1000
TRAIL_WINDOW = timedelta(hours=24)
RECENT = timedelta(hours=1)
BASELINE = timedelta(days=7)
SPIKE_RATIO = 3.0  # "a spike": at least this many times the usual rate …
MIN_SPIKE_USD = Decimal(5)  # … and at least this much money in the last hour
MIN_SPIKE_RUNS = 5  # … or this many runs
TODAY_WARN_SHARE = Decimal("0.8")  # AI cost today above 80 % of the threshold: a warning
MAX_CAUSES = 2
MAX_COMMANDS = 4
MAX_LINES_NAMED = 3
PART_MARGIN_SECONDS = 1.0
KEDA_GROUP, KEDA_VERSION, KEDA_PLURAL = "keda.sh", "v1alpha1", "scaledobjects"
KEDA_PAUSED = ("autoscaling.keda.sh/paused-replicas", "autoscaling.keda.sh/paused")
IMAGE_PULL = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName"})

_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9]{0,19}-[1-9][0-9]{0,8}$")


Playbook = Literal["preview", "backlog", "costs"]


@dataclass(frozen=True)
class Diagnosis:
    playbook: Playbook
    key: str  # the preview's issue key; "" for the other playbooks
    checks: tuple[Check, ...]
    causes: tuple[Cause, ...]  # most likely first; empty: see `conclusion`
    conclusion: Conclusion | None  # what is said when no cause was found
    next_commands: tuple[Suggestion, ...]  # most useful first
    checked_at: datetime


def issue_key(text: str) -> str:
    """A Jira issue key (PROJ-123; any case in, upper case out): a command-table parser."""
    key = text.strip().upper()
    if not _ISSUE_KEY.match(key):
        raise Invalid(Problem.ISSUE_KEY_SHAPE)
    return key


def preview_namespace(key: str) -> str:
    """`PROJ-123` → `preview-proj-123` (namespace names are lowercase; the label keeps the key)."""
    return f"preview-{key.lower()}"


# -- collecting checks, causes and next steps -------------------------------------------------


@dataclass
class Notes:
    """What a playbook found so far; causes are ranked (lower = more likely)."""

    checks: list[Check] = field(default_factory=list)
    causes: list[tuple[int, Cause, tuple[Suggestion, ...]]] = field(default_factory=list)
    commands: list[Suggestion] = field(default_factory=list)  # worth running whatever the cause

    def check(
        self, kind: CheckKind, state: CheckState, facts: Facts, about: Subject = Subject()
    ) -> None:
        self.checks.append(Check(kind, state, facts, about))

    def unknown(self, kind: CheckKind, failure: Failed | None, about: Subject = Subject()) -> None:
        self.check(kind, "unknown", Unanswered(failure), about)

    def cause(self, rank: int, cause: Cause, *commands: Suggestion) -> None:
        self.causes.append((rank, cause, commands))

    def inconclusive(self) -> Inconclusive:
        return Inconclusive(tuple(c for c in self.checks if c.state == "unknown"))

    def diagnosis(
        self, playbook: Playbook, otherwise: Conclusion, *commands: Suggestion, key: str = ""
    ) -> Diagnosis:
        """`otherwise` (and `commands`) when no cause was found."""
        ranked = sorted(self.causes, key=lambda c: c[0])  # stable: equal ranks keep their order
        causes = tuple(cause for _, cause, _ in ranked[:MAX_CAUSES])
        steps = [c for _, _, cs in ranked for c in cs] + self.commands
        if not causes:
            steps = [*commands, *steps]
        return Diagnosis(
            playbook=playbook,
            key=key,
            checks=tuple(self.checks),
            causes=causes,
            conclusion=None if causes else otherwise,
            next_commands=tuple(dict.fromkeys(steps))[:MAX_COMMANDS],
            checked_at=datetime.now(UTC),
        )


async def gather(config: Config, parts: dict[str, Awaitable[Any]]) -> dict[str, Part[Any]]:
    """Every backend call inside a part has its own timeout, and the CloudTrail part is itself
    a fan-out bounded by `fanout_seconds`: the margin lets such an inner bound fire first and
    name the account or the call that was slow."""
    return await gather_parts(parts, config.timeouts.fanout_seconds + PART_MARGIN_SECONDS)

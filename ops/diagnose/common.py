"""What every playbook shares: checks, the diagnosis, notes that collect causes."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ops.config import Config, EnvName
from ops.fanout import Failed, Part, gather_parts
from ops.suggestions import Suggestion

CheckState = Literal["ok", "warn", "fail", "unknown"]
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


@dataclass(frozen=True)
class Check:
    """One thing a playbook looked at, and what it found."""

    name: str
    state: CheckState
    finding: str


@dataclass(frozen=True)
class Diagnosis:
    title: str
    checks: tuple[Check, ...]
    likely_cause: str
    next_commands: tuple[Suggestion, ...]  # most useful first
    checked_at: datetime


def issue_key(text: str) -> str:
    """A Jira issue key (PROJ-123; any case in, upper case out): a command-table parser."""
    key = text.strip().upper()
    if not _ISSUE_KEY.match(key):
        raise ValueError("must be a Jira issue key like PROJ-123")
    return key


def preview_namespace(key: str) -> str:
    """`PROJ-123` → `preview-proj-123` (namespace names are lowercase; the label keeps the key)."""
    return f"preview-{key.lower()}"


# -- collecting checks, causes and next steps -------------------------------------------------


@dataclass
class Notes:
    """What a playbook found so far; causes are ranked (lower = more likely)."""

    checks: list[Check] = field(default_factory=list)
    causes: list[tuple[int, str, tuple[Suggestion, ...]]] = field(default_factory=list)
    commands: list[Suggestion] = field(default_factory=list)  # worth running whatever the cause

    def check(self, name: str, state: CheckState, finding: str) -> None:
        self.checks.append(Check(name, state, finding))

    def unknown(self, name: str, failure: Failed | None) -> None:
        reason = f"{failure.backend}: {failure.reason}" if failure else "no answer"
        self.check(name, "unknown", f"Could not check ({reason}).")

    def cause(self, rank: int, text: str, *commands: Suggestion) -> None:
        self.causes.append((rank, text, commands))

    def diagnosis(self, title: str, otherwise: str, *commands: Suggestion) -> Diagnosis:
        """`otherwise` (and `commands`) when no cause was found."""
        ranked = sorted(self.causes, key=lambda c: c[0])  # stable: equal ranks keep their order
        texts = [text for _, text, _ in ranked[:MAX_CAUSES]]
        steps = [c for _, _, cs in ranked for c in cs] + self.commands
        if not texts:
            texts, steps = [otherwise], [*commands, *steps]
        return Diagnosis(
            title=title,
            checks=tuple(self.checks),
            likely_cause="; ".join(texts),
            next_commands=tuple(dict.fromkeys(steps))[:MAX_COMMANDS],
            checked_at=datetime.now(UTC),
        )


async def gather(config: Config, parts: dict[str, Awaitable[Any]]) -> dict[str, Part[Any]]:
    """Every backend call inside a part has its own timeout, and the CloudTrail part is itself
    a fan-out bounded by `fanout_seconds`: the margin lets such an inner bound fire first and
    name the account or the call that was slow."""
    return await gather_parts(parts, config.timeouts.fanout_seconds + PART_MARGIN_SECONDS)


def envs_text(names: Sequence[str], last: str = "and") -> str:
    """int · "int and stg" · "int, stg and prd" (`last`: "or" after a negation)."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def clock(moment: datetime | None, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M") if moment else "?"


def usd(amount: Decimal | float) -> str:
    return f"${amount:,.2f}"


def times(ratio: float) -> str:
    return f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# == preview: "Preview 환경이 생성되지 않는 경우" ================================================


def inconclusive(notes: Notes) -> str:
    unknown = [c.name for c in notes.checks if c.state == "unknown"]
    if not unknown:
        return "Inconclusive: no check points at a cause."
    return f"Inconclusive: could not check {envs_text(unknown)}."

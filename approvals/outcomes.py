"""What the gate answers; the handler layer renders each kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from approvals.facts import Said
from approvals.mutations import Change, MutationSpec
from approvals.policy import Decision
from approvals.requests import ApprovalRequest

RunStatus = Literal["succeeded", "failed", "unknown"]
# What became of a result after the change ran: written now, kept in the spool to be written when
# the bot's database is back (approvals.recording), or only in the bot's log (the disk refused
# it too).
Recording = Literal["recorded", "spooled", "logged"]


@dataclass(frozen=True)
class RunResult:
    """How a change went. `result` is plain JSON (stored with the request)."""

    status: RunStatus
    result: dict[str, Any] = field(default_factory=dict)


# -- submit(): a mutation at the gate -------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    spec: MutationSpec
    decision: Decision


@dataclass(frozen=True)
class Ran:
    """Allowed by the policy and run at once."""

    spec: MutationSpec
    decision: Decision
    change: Change
    run: RunResult
    recording: Recording = "recorded"


@dataclass(frozen=True)
class ReasonNeeded:
    """Needs approval; the requester must give a reason first (the modal carries `token`)."""

    spec: MutationSpec
    decision: Decision
    change: Change
    token: str


@dataclass(frozen=True)
class ConfirmNeeded:
    """Allowed, but the requester must confirm first (`why`); the buttons carry `token`."""

    spec: MutationSpec
    decision: Decision
    change: Change
    token: str
    why: Said  # a fact (approvals/facts.py): scaling to 0, an emergency rollback


@dataclass(frozen=True)
class ApprovalRequested:
    spec: MutationSpec
    decision: Decision
    request: ApprovalRequest


GateOutcome = Refused | Ran | ReasonNeeded | ConfirmNeeded | ApprovalRequested


def combined_run(parts: tuple[MutationSpec, ...], runs: list[RunResult]) -> RunResult:
    """One result for a change made of parts: succeeded only when every part did; `unknown`
    when any part may or may not have been applied. Each part's own result is kept."""
    statuses = {run.status for run in runs}
    status: RunStatus = (
        "unknown" if "unknown" in statuses else "failed" if "failed" in statuses else "succeeded"
    )
    results = [
        {"target": str(part.target), "status": run.status, **run.result}
        for part, run in zip(parts, runs, strict=True)
    ]
    return RunResult(status, {"parts": results})


# -- approve() / reject() / cancel(): a decision on a request ------------------------------


@dataclass(frozen=True)
class DecisionRefused:
    """Nothing changed; `code` says why (approvals.decisions.RefusalCode; the renderer words it).

    `request` is the request as it stands, when the id was known."""

    code: str
    request: ApprovalRequest | None = None


@dataclass(frozen=True)
class VoteCounted:
    """An approval counted, more leads still needed."""

    request: ApprovalRequest


@dataclass(frozen=True)
class Decided:
    """The request moved: rejected, cancelled, or approved and run (see request.status)."""

    request: ApprovalRequest


DecisionOutcome = DecisionRefused | VoteCounted | Decided

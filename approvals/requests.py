"""Approval requests as data: what the card, the lists and the executor read."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from approvals.mutations import Change
from approvals.sql import Row
from ops.config import EnvName

Status = Literal[
    "pending",
    "approved",
    "executing",
    "succeeded",
    "failed",
    "rejected",
    "expired",
    "cancelled",
    "unknown",
]
FINAL: frozenset[Status] = frozenset(
    {"succeeded", "failed", "rejected", "expired", "cancelled", "unknown"}
)
# No 0/O, 1/I/L: ids are read aloud and typed back (`/rtb cancel AR-7K3Q9`).
ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ID_LENGTH = 5


def new_request_id() -> str:
    return "AR-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def looks_like_request_id(text: str) -> bool:
    body = text.upper().removeprefix("AR-")
    return (
        text.upper().startswith("AR-")
        and len(body) == ID_LENGTH
        and all(c in ID_ALPHABET for c in body)
    )


@dataclass(frozen=True)
class CardRef:
    channel: str
    ts: str


@dataclass(frozen=True)
class Escalated:
    """A pending request no lead acted on in time (approvals/escalation.py): when, the leads
    DMed, the on-call lead named in the page, and the page's outcome (None: no page yet, or
    PagerDuty is not configured: `paging` False)."""

    at: datetime
    leads: tuple[str, ...]
    oncall: str | None
    paging: bool
    page_outcome: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any] | None) -> Escalated | None:
        if not row:
            return None
        return cls(
            at=datetime.fromisoformat(str(row["escalated_at"])),
            leads=tuple(row.get("leads") or ()),
            oncall=row.get("oncall"),
            paging=bool(row.get("page_wanted")),
            page_outcome=row.get("page_outcome"),
        )


@dataclass(frozen=True)
class ApprovalRequest:
    id: str
    action: str
    mutation: str
    env: EnvName
    target: str
    params: dict[str, Any]
    digest: str
    preflight: dict[str, Any]
    change: Change
    requester: str
    reason: str
    channel: str | None
    status: Status
    required_approvals: int
    created_at: datetime
    expires_at: datetime
    approvers: tuple[str, ...] = ()
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str | None = None
    executing_since: datetime | None = None
    finished_at: datetime | None = None
    cards: tuple[CardRef, ...] = ()
    result: dict[str, Any] = field(default_factory=dict)
    digest_key: str | None = None  # the HMAC key of `digest` (None: stored before the keys)
    escalation: Escalated | None = None  # escalated to the leads (and paged), when it was

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def approver(self) -> str | None:
        """For the Actor of the execution: every approving lead."""
        return "+".join(self.approvers) or None

    @classmethod
    def from_row(cls, row: Row) -> ApprovalRequest:
        return cls(
            id=row["id"],
            action=row["action"],
            mutation=row["mutation"],
            env=row["env"],
            target=row["target"],
            params=row["params"],
            digest=row["digest"],
            preflight=row["preflight"],
            change=Change.from_data(row["change"]),
            requester=row["requester"],
            reason=row["reason"],
            channel=row["channel"],
            status=row["status"],
            required_approvals=row["required_approvals"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            approvers=tuple(row.get("approvers") or ()),
            decided_at=row["decided_at"],
            decided_by=row["decided_by"],
            decision_note=row["decision_note"],
            executing_since=row["executing_since"],
            finished_at=row["finished_at"],
            cards=tuple(CardRef(c["channel"], c["ts"]) for c in row["cards"] or ()),
            result=row["result"] or {},
            digest_key=row.get("digest_key"),
            escalation=Escalated.from_json(row.get("escalation")),
        )


@dataclass(frozen=True)
class Draft:
    """A change waiting for its reason (the modal)."""

    token: str
    mutation: str
    env: EnvName
    params: dict[str, Any]
    requester: str
    channel: str | None

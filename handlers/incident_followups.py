"""An approval asked from an incident card, followed into the incident's timeline: the request
made (once the reason was given), then who approved or rejected it and what the change did.

Called by the approval side (handlers.approval_actions, handlers.approvals) after each step; a
request that did not come from a card is left alone. A failure here is logged and never touches
the approval's own answer: the request, its card and its audit trail are the record of the
change, the timeline only points at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from approvals.outcomes import ApprovalRequested, Decided, DecisionOutcome, GateOutcome
from approvals.requests import ApprovalRequest
from handlers.context import Deps
from handlers.incident_records import record, store_of
from ops.incident_links import draft_digest, incident_linked
from ops.incidents import EventKind

log = structlog.get_logger(__name__)


async def request_made(deps: Deps, token: str, outcome: GateOutcome | None) -> None:
    """The reason form of a card's action was submitted and a request made."""
    if not isinstance(outcome, ApprovalRequested) or deps.push is None:
        return
    request = outcome.request
    detail = {"type": "approval", "request": request.id, "decision": "requested"}
    await _follow(deps, "draft", draft_digest(token), request.requester, detail)


async def request_decided(deps: Deps, outcome: DecisionOutcome) -> None:
    """A lead approved (and the change ran) or rejected it; or the requester cancelled it."""
    if not isinstance(outcome, Decided) or deps.push is None:
        return
    request = outcome.request
    detail = decided_detail(request)
    await _follow(deps, "request", request.id, detail.get("by"), detail)


async def request_escalated(deps: Deps, request: ApprovalRequest, leads: Sequence[str]) -> None:
    """Nobody decided in time and the leads were DMed (and the on-call paged): the incident
    the request came from says so in its timeline ("Escalated to @lead1, @lead2")."""
    detail = {"type": "approval", "request": request.id, "to": list(leads)}
    await _follow(deps, "request", request.id, None, detail, kind="escalated")


def decided_detail(request: ApprovalRequest) -> dict[str, Any]:
    decision = request.status if request.status in ("rejected", "cancelled") else "approved"
    detail: dict[str, Any] = {"type": "approval", "request": request.id, "decision": decision}
    by = request.decided_by or (request.approvers[-1] if request.approvers else None)
    if by:
        detail["by"] = by
    if decision == "approved":
        detail["status"] = request.status
    return detail


async def _follow(
    deps: Deps,
    field: str,
    value: str,
    actor: str | None,
    detail: dict[str, Any],
    *,
    kind: EventKind = "action",
) -> None:
    try:
        incident_id = await incident_linked(deps.backends.db, field, value)
        if incident_id is None:
            return
        store = store_of(deps)
        incident = await store.get(incident_id)
        if incident is None:
            return
        event = await store.add_event(incident_id, kind, actor, detail)
        await record(deps, incident, event)
    except Exception:
        log.exception("could not follow an approval into its incident", request=detail["request"])

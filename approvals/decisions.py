"""Approve, reject, cancel: who may, when, and the one conditional UPDATE that decides.

The clicker always comes from the signed Slack payload (the handler passes `user.id`); a button
only carries a request id, and any id goes through every check below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from approvals.events import request_event
from approvals.execution import run_approved
from approvals.housekeeping import expire_due
from approvals.outcomes import Decided, DecisionOutcome, DecisionRefused, VoteCounted
from approvals.requests import ApprovalRequest, looks_like_request_id
from approvals.services import GateServices
from approvals.sql import Connection
from approvals.store import Transition

RefusalCode = Literal[
    "unknown_request",  # no such id
    "busy",  # another click on this request is being processed right now
    "not_lead",  # only leads approve / reject
    "self_approval",  # the requester cannot approve their own request
    "not_pending",  # already decided (see request.status)
    "expired",
    "already_voted",
    "not_requester",  # only the requester cancels
]


async def approve(
    services: GateServices, request_id: str, lead: str, correlation_id: str
) -> DecisionOutcome:
    if not looks_like_request_id(request_id):
        return DecisionRefused("unknown_request")
    async with services.store.lease(request_id.upper()) as conn:
        if conn is None:
            return DecisionRefused("busy")
        outcome = await _approve_leased(services, conn, request_id.upper(), lead, correlation_id)
    if isinstance(outcome, VoteCounted):
        await services.notifier.update_card(outcome.request)
    elif isinstance(outcome, Decided):
        await services.notifier.post_outcome(outcome.request)
        await services.notifier.update_card(outcome.request)
    elif outcome.code == "expired" and outcome.request is not None:
        await _close_expired(services)
    return outcome


async def _approve_leased(
    services: GateServices, conn: Connection, request_id: str, lead: str, correlation_id: str
) -> DecisionOutcome:
    request = await services.store.get(request_id, conn)
    if request is None:
        return DecisionRefused("unknown_request")
    code = await _approval_refusal(services, request, lead)
    if code is not None:
        event = request_event(request, lead, "refused", correlation_id, refused=code)
        await services.audit.append(event, conn)
        return DecisionRefused(code, request)
    voted = await services.store.vote(
        conn, request.id, lead, lambda r: request_event(r, lead, _vote_outcome(r), correlation_id)
    )
    if voted is None or voted.status not in ("pending", "approved"):
        # Decided (or expired) between the checks above and the vote: refused, and audited.
        latest = await services.store.get(request.id, conn) or request
        late: RefusalCode = "expired" if latest.status == "pending" else "not_pending"
        await _audit_refusal(services, latest, lead, late, correlation_id)
        return DecisionRefused(late, latest)
    if voted.status == "pending":
        return VoteCounted(voted)
    return Decided(await run_approved(services, conn, voted, correlation_id))


def _vote_outcome(request: ApprovalRequest) -> str:
    return "approved" if request.status == "approved" else "vote"


async def _approval_refusal(
    services: GateServices, request: ApprovalRequest, lead: str
) -> RefusalCode | None:
    if lead == request.requester:
        return "self_approval"
    if await services.roles.role_of(lead) != "lead":
        return "not_lead"
    if request.status != "pending":
        return "not_pending"
    if request.expires_at <= datetime.now(UTC):
        return "expired"
    if lead in request.approvers:
        return "already_voted"
    return None


async def reject(
    services: GateServices, request_id: str, lead: str, note: str | None, correlation_id: str
) -> DecisionOutcome:
    request = await _known(services, request_id)
    if request is None:
        return DecisionRefused("unknown_request")
    if await services.roles.role_of(lead) != "lead":
        await _audit_refusal(services, request, lead, "not_lead", correlation_id)
        return DecisionRefused("not_lead", request)
    move = Transition(("pending",), "rejected", by=lead, note=note)
    moved = await services.store.transition(
        request.id, move, lambda r: request_event(r, lead, "rejected", correlation_id, note=note)
    )
    return await _announce(services, request.id, moved, lead, correlation_id)


async def cancel(
    services: GateServices, request_id: str, user: str, correlation_id: str
) -> DecisionOutcome:
    request = await _known(services, request_id)
    if request is None:
        return DecisionRefused("unknown_request")
    if user != request.requester:
        await _audit_refusal(services, request, user, "not_requester", correlation_id)
        return DecisionRefused("not_requester", request)
    move = Transition(("pending",), "cancelled", by=user, only_requester=user)
    moved = await services.store.transition(
        request.id, move, lambda r: request_event(r, user, "cancelled", correlation_id)
    )
    return await _announce(services, request.id, moved, user, correlation_id)


async def _known(services: GateServices, request_id: str) -> ApprovalRequest | None:
    if not looks_like_request_id(request_id):
        return None
    return await services.store.get(request_id.upper())


async def _announce(
    services: GateServices,
    request_id: str,
    moved: ApprovalRequest | None,
    actor: str,
    correlation_id: str,
) -> DecisionOutcome:
    """Announce a decision; one that came too late (already decided) is audited as refused."""
    if moved is None:
        latest = await services.store.get(request_id)
        if latest is not None:
            await _audit_refusal(services, latest, actor, "not_pending", correlation_id)
        return DecisionRefused("not_pending", latest)
    await services.notifier.update_card(moved)
    await services.notifier.post_outcome(moved)
    return Decided(moved)


async def _audit_refusal(
    services: GateServices, request: ApprovalRequest, actor: str, code: str, correlation_id: str
) -> None:
    await services.audit.append(
        request_event(request, actor, "refused", correlation_id, refused=code)
    )


async def _close_expired(services: GateServices) -> None:
    """A click on an expired card closes it at once instead of waiting for the next sweep."""
    await expire_due(services)

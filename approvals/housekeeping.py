"""Periodic and start-up work: record results kept while the database was down, expire old
requests, surface ones orphaned by a stopped replica.

Both are safe on any number of replicas at once: expiry is one conditional UPDATE (each row goes
to one replica) and an orphan is only touched by whoever gets its free lease.
"""

from __future__ import annotations

import structlog

from approvals.audit import AuditEvent
from approvals.events import BOT_ACTOR, request_event
from approvals.parts import GateParts
from approvals.recording import record_kept_results
from approvals.requests import ApprovalRequest
from approvals.store import Transition

log = structlog.get_logger(__name__)

# An `approved` request whose lease is free never reached `executing`: nothing ran.
NEVER_RAN = Transition(
    ("approved",), "failed", result={"interrupted": True, "ran": False}, by=BOT_ACTOR
)
# An `executing` one whose lease is free was cut off mid-run: it may or may not have run.
MAY_HAVE_RUN = Transition(("executing",), "unknown", result={"interrupted": True}, by=BOT_ACTOR)


async def expire_due(parts: GateParts) -> list[ApprovalRequest]:
    expired = await parts.store.close_expired(
        lambda r: request_event(r, BOT_ACTOR, "expired", None)
    )
    for request in expired:
        await parts.notifier.update_card(request)
        await parts.notifier.post_outcome(request)  # tells the requester (mentioned)
    return expired


async def recover_orphans(parts: GateParts) -> list[ApprovalRequest]:
    """Close `approved`/`executing` requests nobody is working on; never re-run them."""
    closed = []
    for request_id in await parts.store.in_flight_ids():
        async with parts.store.lease(request_id) as conn:
            if conn is None:
                continue  # a live replica is deciding or running it
            moved = None
            for move in (MAY_HAVE_RUN, NEVER_RAN):
                moved = moved or await parts.store.transition(request_id, move, _orphaned, conn)
        if moved is not None:
            closed.append(moved)
            log.warning("orphaned approval request closed", approval_id=moved.id, to=moved.status)
            await _announce_orphan(parts, moved)
    return closed


def _orphaned(request: ApprovalRequest) -> AuditEvent:
    return request_event(request, BOT_ACTOR, request.status, None, interrupted=True)


async def _announce_orphan(parts: GateParts, request: ApprovalRequest) -> None:
    await parts.notifier.update_card(request)
    if request.status == "unknown":
        await parts.notifier.alert_unknown(request)
    else:
        await parts.notifier.post_outcome(request)


async def sweep(parts: GateParts) -> None:
    """The scheduled job: never raises (a database outage must not kill the scheduler)."""
    try:
        await record_kept_results(parts)  # first: a late result beats closing it as `unknown`
        await expire_due(parts)
        await recover_orphans(parts)
    except Exception:
        log.warning("approvals housekeeping failed; retrying at the next interval", exc_info=True)

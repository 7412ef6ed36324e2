"""Periodic and start-up work: record results kept while the database was down, expire old
requests, surface ones orphaned by a stopped replica.

Both are safe on any number of replicas at once: expiry is one conditional UPDATE (each row goes
to one replica) and an orphan is only touched by whoever gets its free lease.
"""

from __future__ import annotations

import structlog

from approvals.audit import AuditEvent
from approvals.events import BOT_ACTOR, request_event
from approvals.recording import record_kept_results
from approvals.requests import ApprovalRequest
from approvals.services import GateServices
from approvals.store import Transition

log = structlog.get_logger(__name__)

# An `approved` request whose lease is free never reached `executing`: nothing ran.
NEVER_RAN = Transition(
    ("approved",), "failed", result={"interrupted": True, "ran": False}, by=BOT_ACTOR
)
# An `executing` one whose lease is free was cut off mid-run: it may or may not have run.
MAY_HAVE_RUN = Transition(("executing",), "unknown", result={"interrupted": True}, by=BOT_ACTOR)


async def expire_due(services: GateServices) -> list[ApprovalRequest]:
    expired = await services.store.close_expired(
        lambda r: request_event(r, BOT_ACTOR, "expired", None)
    )
    for request in expired:
        await services.notifier.update_card(request)
        await services.notifier.post_outcome(request)  # tells the requester (mentioned)
    return expired


async def recover_orphans(services: GateServices) -> list[ApprovalRequest]:
    """Close `approved`/`executing` requests nobody is working on; never re-run them."""
    closed = []
    for request_id in await services.store.in_flight_ids():
        async with services.store.lease(request_id) as conn:
            if conn is None:
                continue  # a live replica is deciding or running it
            moved = None
            for move in (MAY_HAVE_RUN, NEVER_RAN):
                moved = moved or await services.store.transition(request_id, move, _orphaned, conn)
        if moved is not None:
            closed.append(moved)
            log.warning("orphaned approval request closed", approval_id=moved.id, to=moved.status)
            await _announce_orphan(services, moved)
    return closed


def _orphaned(request: ApprovalRequest) -> AuditEvent:
    return request_event(request, BOT_ACTOR, request.status, None, interrupted=True)


async def _announce_orphan(services: GateServices, request: ApprovalRequest) -> None:
    await services.notifier.update_card(request)
    if request.status == "unknown":
        await services.notifier.alert_unknown(request)
    else:
        await services.notifier.post_outcome(request)


async def sweep(services: GateServices) -> None:
    """The scheduled job: never raises (a database outage must not kill the scheduler)."""
    try:
        await record_kept_results(services)  # first: a late result beats closing it as `unknown`
        await expire_due(services)
        await recover_orphans(services)
    except Exception:
        log.warning("approvals housekeeping failed; retrying at the next interval", exc_info=True)

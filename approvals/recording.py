"""Recording a change's result, also when the bot's PostgreSQL stops answering after it ran.

Once a change was sent, failing to write its result is not a failure of the change, and the bot
must not say "nothing was changed". The result is then kept in the spool (`approvals.spool`,
fsynced before anyone is told) and the answer says what is known: applied, or may have been
applied, and that the record follows. Housekeeping (at start and every interval, on each
replica for its own spool) writes kept results once the database answers again.

A late result beats `unknown`. While this replica could not write, its lease died with its
connection, so housekeeping on another replica may have closed the request as `unknown`
(interrupted) and alerted the leads. The late, known result still lands: `executing | unknown →
succeeded | failed | unknown`, as a second audit event after the `unknown` one (detail:
`recorded_late`, `spool_id`, `finished_at`), so the chain shows what was believed and then what
happened, and the card and its thread are brought up to date. Each kept result is written once
(its `spool_id` is looked up in the audit log first) and a change is never re-run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog

from approvals.audit import AuditEvent
from approvals.events import BOT_ACTOR, request_event, spec_event
from approvals.mutations import MutationSpec
from approvals.outcomes import Recording, RunResult
from approvals.requests import ApprovalRequest, Status
from approvals.services import GateServices
from approvals.spool import UnrecordedResult
from approvals.sql import Connection
from approvals.store import Transition
from ops.errors import BackendError

log = structlog.get_logger(__name__)

LATE_RESULT_FROM: tuple[Status, ...] = ("executing", "unknown")


async def record_request_result(
    services: GateServices,
    conn: Connection,
    executing: ApprovalRequest,
    run: RunResult,
    correlation_id: str,
) -> ApprovalRequest:
    """`executing → run.status` on the leased connection; when the database is gone, the
    request as it ran, its result marked `unrecorded` (spooled or logged)."""
    move = Transition(("executing",), run.status, result=run.result)
    try:
        async with services.backends.db.failures_as_unavailable():
            finished = await services.store.transition(
                executing.id,
                move,
                lambda r: request_event(r, BOT_ACTOR, r.status, correlation_id, result=run.result),
                conn,
            )
    except BackendError as exc:
        event = request_event(executing, BOT_ACTOR, run.status, correlation_id, result=run.result)
        recording = await _keep(services, run, event, exc)
        unrecorded = {**run.result, "unrecorded": recording}
        now = datetime.now(UTC)
        return replace(executing, status=run.status, result=unrecorded, finished_at=now)
    return finished or executing


async def record_spec_result(
    services: GateServices, spec: MutationSpec, run: RunResult, correlation_id: str
) -> Recording:
    """The audit event of a change that ran at once (no approval)."""
    event = spec_event(spec, BOT_ACTOR, run.status, correlation_id, result=run.result)
    try:
        await services.audit.append(event)
    except BackendError as exc:
        return await _keep(services, run, event, exc)
    return "recorded"


async def _keep(
    services: GateServices, run: RunResult, event: AuditEvent, exc: BackendError
) -> Recording:
    entry = UnrecordedResult.of(run, event)
    kept = await services.spool.keep(entry)
    log.error(
        "a change ran but its result could not be recorded",
        reason=exc.reason,
        kept=kept,
        spool_id=entry.spool_id,
        approval_id=event.approval_id,
        mutation=event.action,
        env=event.env,
        params=dict(event.params),
        status=run.status,
        result=run.result,
    )
    return "spooled" if kept else "logged"


# -- once the database is back ----------------------------------------------------------------


async def record_kept_results(services: GateServices) -> list[str]:
    """Write every kept result, oldest first; stops at the first database failure (the rest
    waits for the next round). An entry that fails otherwise (a bug) stays kept and logged,
    and never blocks the others. Returns the spool ids written (or found written)."""
    done: list[str] = []
    try:
        for entry in await services.spool.pending():
            try:
                await _record_late(services, entry)
            except BackendError:
                raise
            except Exception:
                log.exception("a kept result could not be recorded", spool_id=entry.spool_id)
                continue
            done.append(entry.spool_id)
    except BackendError as exc:
        log.warning("kept results still cannot be recorded", reason=exc.reason)
    finally:
        await services.spool.forget(set(done))
    return done


async def _record_late(services: GateServices, entry: UnrecordedResult) -> None:
    if await _already_recorded(services, entry.spool_id):
        return  # written before a crash could forget it
    event = late_event(entry)
    request_id = entry.event.approval_id
    if request_id is None:
        await services.audit.append(event)
        log.info("kept result recorded", spool_id=entry.spool_id, mutation=event.action)
        return
    before = await services.store.get(request_id)
    move = Transition(LATE_RESULT_FROM, entry.status, result=entry.result)
    moved = await services.store.transition(request_id, move, lambda _: event)
    if moved is None:
        status = before.status if before else "missing"
        log.warning("kept result not applied", approval_id=request_id, status=status)
        return
    log.info("kept result recorded", spool_id=entry.spool_id, approval_id=request_id)
    await services.notifier.update_card(moved)
    if before is not None and before.status == "unknown":  # the thread says "check by hand"
        await services.notifier.post_outcome(moved)


def late_event(entry: UnrecordedResult) -> AuditEvent:
    detail: dict[str, Any] = {
        **entry.event.detail,
        "recorded_late": True,
        "spool_id": entry.spool_id,
        "finished_at": entry.finished_at,
    }
    return replace(entry.event, detail=detail)


async def _already_recorded(services: GateServices, spool_id: str) -> bool:
    found = await services.backends.db.fetch_one(
        "SELECT 1 AS found FROM rtb_bot.audit_events WHERE detail->>'spool_id' = %s LIMIT 1",
        (spool_id,),
    )
    return found is not None

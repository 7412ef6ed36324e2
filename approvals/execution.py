"""Running a change: at once when the policy allows it, or an approved request exactly once."""

from __future__ import annotations

import structlog

from approvals.catalog import rebuild
from approvals.events import request_event
from approvals.mutations import MutationSpec, OutcomeUnknown
from approvals.outcomes import RunResult, RunStatus
from approvals.recording import record_request_result
from approvals.requests import ApprovalRequest
from approvals.services import GateServices
from approvals.sql import Connection
from approvals.store import Transition
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.errors import BackendError, Problem, UserError

log = structlog.get_logger(__name__)


async def run_spec(backends: Backends, spec: MutationSpec, actor: Actor) -> RunResult:
    """Execute; every failure becomes a result that is safe to show and to store."""
    try:
        result = await spec.execute(backends, actor)
    except BackendError as exc:
        # The backend refused: nothing was applied. No answer, a timeout, a 5xx: it may have been.
        status: RunStatus = "unknown" if exc.may_have_applied else "failed"
        return RunResult(status, {"error": exc.as_data()})
    except OutcomeUnknown as exc:
        return RunResult("unknown", {"error": exc.error.as_data()})
    except UserError as exc:
        return RunResult("failed", {"error": exc.as_data()})
    except Exception:
        log.exception("mutation failed", mutation=spec.mutation, env=spec.env)
        return RunResult("unknown", {"error": UserError(Problem.UNEXPECTED).as_data()})
    return RunResult("succeeded", result)


async def run_approved(
    services: GateServices, conn: Connection, approved: ApprovalRequest, correlation_id: str
) -> ApprovalRequest:
    """`approved → executing → succeeded | failed | unknown`, on the leased connection."""
    executing = await services.store.transition(
        approved.id,
        Transition(("approved",), "executing"),
        lambda r: request_event(r, r.approver or "?", "executing", correlation_id),
        conn,
    )
    if executing is None:  # cannot happen while we hold the lease; never run twice anyway
        return await services.store.get(approved.id, conn) or approved
    run = await checked_run(services, executing)
    # From here on the change may have been sent: a database failure no longer means "nothing
    # changed" (approvals.recording keeps the result and says what is known).
    return await record_request_result(services, conn, executing, run, correlation_id)


async def checked_run(services: GateServices, request: ApprovalRequest) -> RunResult:
    """Run the stored parameters, unless they, the policy or the cluster changed since."""
    spec = rebuild(services.config, request.mutation, request.env, request.params)
    try:
        spec = await spec.classified(services.backends)  # what its target is now
        stale = _no_longer_allowed(services, request, spec)
        if stale is not None:
            return RunResult("failed", {"error": stale.as_data()})
        now = await spec.preflight(services.backends)
    except BackendError as exc:
        return RunResult("failed", {"error": exc.as_data()})
    except UserError as exc:
        return RunResult("failed", {"error": exc.as_data()})
    if now != request.preflight:
        was, is_now = spec.describe_state(request.preflight), spec.describe_state(now)
        return RunResult("failed", {"drift": {"was": was.as_data(), "now": is_now.as_data()}})
    return await run_spec(services.backends, spec, Actor(request.requester, request.approver))


def _no_longer_allowed(
    services: GateServices, request: ApprovalRequest, spec: MutationSpec
) -> UserError | None:
    if spec.action != request.action:  # e.g. a preview namespace that lost its label meanwhile
        return UserError(Problem.POLICY_NOW_OTHER_ACTION, action=spec.action)
    if services.audit.keys.check(request.digest_key, spec.document, request.digest) != "ok":
        # Edited since it was approved (or signed with a key no longer configured): never run.
        return UserError(Problem.DIGEST_MISMATCH)
    if services.policy.cell_decision(spec.action, spec.env).outcome == "deny":
        return UserError(Problem.POLICY_NO_LONGER_ALLOWS)
    return None

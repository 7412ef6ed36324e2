"""The approval card's buttons and the reason modal.

`process_before_response=True`: each listener only acks and hands the work to a tracked task.
The clicker is `body["user"]["id"]` of the signed payload, never anything in the button's value
(which holds a request id only, and any id goes through every check of the gate).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from approvals.gate import Gate
from approvals.outcomes import ApprovalRequested, DecisionOutcome, GateOutcome
from handlers.context import Deps
from handlers.incident_followups import request_decided, request_made
from handlers.listeners import Listener, ack_then
from handlers.render.approvals import (
    APPROVE_ACTION,
    REASON_BLOCK,
    REASON_CALLBACK,
    REASON_INPUT,
    REJECT_ACTION,
    render_approvals_db_down,
    render_decision_outcome,
    render_gate_outcome,
)
from handlers.render.message import Message
from handlers.replies import post_privately, reply_privately
from handlers.rollout_follow import follow_decided
from handlers.slash import answer
from ops.errors import BackendUnavailable

log = structlog.get_logger(__name__)
Decide = Callable[[Gate, str, str, str], Awaitable[DecisionOutcome]]


async def _approve(gate: Gate, request_id: str, user: str, corr: str) -> DecisionOutcome:
    return await gate.approve(request_id, user, corr)


async def _reject(gate: Gate, request_id: str, user: str, corr: str) -> DecisionOutcome:
    return await gate.reject(request_id, user, None, corr)


def register(app: AsyncApp) -> None:
    app.action(APPROVE_ACTION)(_button(_approve))
    app.action(REJECT_ACTION)(_button(_reject))
    app.view(REASON_CALLBACK)(on_reason_submitted)


def _button(decide: Decide) -> Listener:
    async def work(
        deps: Deps, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await run_click(deps, body, respond, client, decide)

    return ack_then(work, name=lambda _: "approval click")


async def run_click(
    deps: Deps,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    decide: Decide,
) -> None:
    correlation_id = uuid.uuid4().hex[:12]
    user = str((body.get("user") or {}).get("id", ""))
    request_id = str(((body.get("actions") or [{}])[0]).get("value", ""))[:40]
    with structlog.contextvars.bound_contextvars(
        user=user, approval_id=request_id, correlation_id=correlation_id
    ):
        gate = deps.gate

        async def work() -> Message:
            outcome = await decide(gate, request_id, user, correlation_id)
            follow_decided(deps, outcome, client)  # a rollout it started: in the card's thread
            await request_decided(deps, outcome)  # asked from an incident: in its timeline
            return render_decision_outcome(outcome, gate.timezone)

        message = await answer(deps, lambda: _unless_db_down(deps, work), correlation_id)
        channel = str((body.get("channel") or {}).get("id", ""))  # the card's
        await reply_privately(respond, client, channel, user, message)


async def _unless_db_down(deps: Deps, work: Callable[[], Awaitable[Message]]) -> Message:
    """Before anything runs, every state change needs the approvals database: a database failure
    that reaches here came before any change was sent, so "nothing was changed" is true. (Once a
    change was sent, approvals.recording keeps its result and the outcome says what is known.)"""
    try:
        return await work()
    except BackendUnavailable as exc:
        if exc.backend != deps.backends.db.name:
            raise
        log.warning("approvals database unavailable", reason=exc.reason)
        return render_approvals_db_down()


# -- the reason modal ------------------------------------------------------------------------


async def on_reason_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
) -> None:
    await ack()  # closes the modal; the outcome arrives as a message
    deps: Deps = context["deps"]
    deps.tasks.spawn(run_reason_submitted(deps, body, client), name="approval reason")


async def run_reason_submitted(deps: Deps, body: dict[str, Any], client: AsyncWebClient) -> None:
    correlation_id = uuid.uuid4().hex[:12]
    user = str((body.get("user") or {}).get("id", ""))
    view = body.get("view") or {}
    token = str(view.get("private_metadata", ""))
    reason = _submitted_reason(view)
    with structlog.contextvars.bound_contextvars(user=user, correlation_id=correlation_id):
        gate = deps.gate
        outcome: GateOutcome | None = None

        async def work() -> Message:
            nonlocal outcome
            outcome = await gate.submit_reason(token, user, reason, correlation_id)
            approvals = deps.config.channels.approvals
            return render_gate_outcome(outcome, approvals, gate.timezone)

        message = await answer(deps, lambda: _unless_db_down(deps, work), correlation_id)
        await post_privately(client, _requested_in(outcome), user, message)
        await request_made(deps, token, outcome)  # asked from an incident: in its timeline


def _submitted_reason(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(REASON_BLOCK) or {}).get(REASON_INPUT) or {}).get("value") or "")


def _requested_in(outcome: GateOutcome | None) -> str | None:
    """The channel the change was asked in (a DM answers when unknown)."""
    return outcome.request.channel if isinstance(outcome, ApprovalRequested) else None

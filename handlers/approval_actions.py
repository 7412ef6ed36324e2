"""The approval card's buttons and the reason modal.

`process_before_response=True`: each listener only acks and hands the work to a tracked task.
The clicker is `body["user"]["id"]` of the signed payload, never anything in the button's value
(which holds a request id only, and any id goes through every check of the gate).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import structlog
from slack_bolt.async_app import AsyncApp

from approvals.gate import Gate
from approvals.outcomes import ApprovalRequested, DecisionOutcome, GateOutcome
from handlers.context import Deps
from handlers.incident_followups import request_decided, request_made
from handlers.listeners import Incoming, Listener, ack_then
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
from handlers.rollout_follow import follow_decided
from handlers.slash import answer, attempt
from ops.errors import BackendError

log = structlog.get_logger(__name__)
R = TypeVar("R")
Decide = Callable[[Gate, str, str, str], Awaitable[DecisionOutcome]]


async def _approve(gate: Gate, request_id: str, user: str, corr: str) -> DecisionOutcome:
    return await gate.approve(request_id, user, corr)


async def _reject(gate: Gate, request_id: str, user: str, corr: str) -> DecisionOutcome:
    return await gate.reject(request_id, user, None, corr)


def register(app: AsyncApp) -> None:
    app.action(APPROVE_ACTION)(_button(_approve))
    app.action(REJECT_ACTION)(_button(_reject))
    app.view(REASON_CALLBACK)(ack_then(run_reason_submitted, name=lambda _: "approval reason"))


def _button(decide: Decide) -> Listener:
    async def work(incoming: Incoming) -> None:
        await run_click(incoming, decide)

    return ack_then(work, name=lambda _: "approval click")


async def run_click(incoming: Incoming, decide: Decide) -> None:
    deps, user, correlation_id = incoming.deps, incoming.user, incoming.correlation_id
    request_id = incoming.value(40)
    with structlog.contextvars.bound_contextvars(approval_id=request_id):
        gate = deps.gate

        async def work() -> Message:
            outcome = await decide(gate, request_id, user, correlation_id)
            follow_decided(deps, outcome, incoming.client)  # a rollout: in the card's thread
            await request_decided(deps, outcome)  # asked from an incident: in its timeline
            return render_decision_outcome(outcome, gate.timezone)

        message = await answer(
            deps, lambda: _unless_db_down(deps, work, lambda down: down), correlation_id
        )
        await incoming.reply.privately(message)  # the card's channel, else a DM


async def _unless_db_down(
    deps: Deps, work: Callable[[], Awaitable[R]], when_down: Callable[[Message], R]
) -> R:
    """Before anything runs, every state change needs the approvals database: a database failure
    that reaches here came before any change was sent, so "nothing was changed" is true. (Once a
    change was sent, approvals.recording keeps its result and the outcome says what is known.)"""
    try:
        return await work()
    except BackendError as exc:
        if exc.backend != deps.backends.db.name:
            raise
        log.warning("approvals database unavailable", reason=exc.reason)
        return when_down(render_approvals_db_down())


# -- the reason modal ------------------------------------------------------------------------


async def run_reason_submitted(incoming: Incoming) -> None:
    """The modal closed on submit (the ack); the outcome arrives as a message."""
    deps, user, correlation_id = incoming.deps, incoming.user, incoming.correlation_id
    view = incoming.payload
    token = str(view.get("private_metadata", ""))
    reason = _submitted_reason(view)
    gate = deps.gate

    async def work() -> tuple[GateOutcome | None, Message]:
        outcome = await gate.submit_reason(token, user, reason, correlation_id)
        approvals = deps.config.channels.approvals
        return outcome, render_gate_outcome(outcome, approvals, gate.timezone)

    def nothing_decided(down: Message) -> tuple[GateOutcome | None, Message]:
        return None, down

    outcome, message = await attempt(
        deps, lambda: _unless_db_down(deps, work, nothing_decided), correlation_id
    )
    reply = replace(incoming.reply, channel=_requested_in(outcome) or "")
    await reply.privately(message)
    await request_made(deps, token, outcome)  # asked from an incident: in its timeline


def _submitted_reason(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get(REASON_BLOCK) or {}).get(REASON_INPUT) or {}).get("value") or "")


def _requested_in(outcome: GateOutcome | None) -> str | None:
    """The channel the change was asked in (a DM answers when unknown)."""
    return outcome.request.channel if isinstance(outcome, ApprovalRequested) else None

"""Approvals: list open requests, approve / reject / cancel by id (the card's buttons do the
same through handlers/approval_actions.py). Who may do what is the gate's decision."""

from __future__ import annotations

from handlers.context import CommandCall
from handlers.incident_followups import request_decided
from handlers.render.approvals import render_decision_outcome, render_open_requests
from handlers.render.i18n import N_
from handlers.render.message import Message
from handlers.rollout_follow import follow_decided
from handlers.spec import Arg, Command, text_arg

GROUP = "Approvals"
REQUEST_ID = Arg("id", N_("the request id, e.g. AR-7K3Q9"), text_arg(20))


async def run_approvals(call: CommandCall) -> Message:
    gate = call.deps.gate
    return render_open_requests(await gate.open_requests(), gate.timezone)


async def run_approve(call: CommandCall) -> Message:
    gate = call.deps.gate
    outcome = await gate.approve(call.values["id"], call.user_id, call.correlation_id)
    follow_decided(call.deps, outcome, call.client)  # a rollout it started: in the card's thread
    await request_decided(call.deps, outcome)  # asked from an incident: in its timeline
    return render_decision_outcome(outcome, gate.timezone)


async def run_reject(call: CommandCall) -> Message:
    gate = call.deps.gate
    note = call.values["reason"] or None
    outcome = await gate.reject(call.values["id"], call.user_id, note, call.correlation_id)
    await request_decided(call.deps, outcome)
    return render_decision_outcome(outcome, gate.timezone)


async def run_cancel(call: CommandCall) -> Message:
    gate = call.deps.gate
    outcome = await gate.cancel(call.values["id"], call.user_id, call.correlation_id)
    return render_decision_outcome(outcome, gate.timezone)


COMMANDS = (
    Command(
        "approvals",
        N_("Approval requests waiting for a team lead (or running)."),
        run_approvals,
        group=GROUP,
        light=True,
    ),
    Command(
        "approve",
        N_("Approve a request (team leads; not your own). Same as the card's button."),
        run_approve,
        args=(REQUEST_ID,),
        group=GROUP,
    ),
    Command(
        "reject",
        N_("Reject a request, optionally saying why (team leads)."),
        run_reject,
        args=(REQUEST_ID, Arg("reason", N_("why"), text_arg(500), optional=True, rest=True)),
        group=GROUP,
        examples=("/rtb reject AR-7K3Q9 use the runbook's KEDA pause instead",),  # a name
    ),
    Command(
        "cancel",
        N_("Withdraw your own pending request."),
        run_cancel,
        args=(REQUEST_ID,),
        group=GROUP,
    ),
)

"""Approvals: `/rtb whoami` (your role and what you may change) and `/rtb policy` (the matrix)."""

from __future__ import annotations

from handlers.context import CommandCall
from handlers.render.i18n import N_
from handlers.render.message import Message
from handlers.render.policy import render_policy, render_whoami
from handlers.spec import Command

GROUP = "Approvals"


async def run_whoami(call: CommandCall) -> Message:
    """Channel restrictions are judged for the channel the command was typed in."""
    gate = call.deps.gate
    info = await gate.roles.describe(call.user_id)
    return render_whoami(call.user_id, info, gate.policy.for_role(info.role, call.channel_id))


async def run_policy(call: CommandCall) -> Message:
    return render_policy(call.deps.gate.policy.rows())


COMMANDS = (
    Command(
        "whoami",
        N_("Your role, and what you may change in each env."),
        run_whoami,
        group=GROUP,
        light=True,
    ),
    Command(
        "policy",
        N_("The access policy: who may change what, where."),
        run_policy,
        group=GROUP,
        light=True,
    ),
)

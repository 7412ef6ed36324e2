"""Change: mutations. Each command builds a MutationSpec and hands it to the policy gate.

There is no permission check here: the gate decides (allow / approval / deny) and says why.
"""

from __future__ import annotations

import asyncio

import structlog

from approvals.gate import Requester
from approvals.mutations import MutationSpec
from approvals.outcomes import Ran, ReasonNeeded
from approvals.workload_mutations import MAX_REPLICAS, ScaleDeployment
from handlers.context import CommandCall
from handlers.render.approvals import (
    render_gate_outcome,
    render_reason_asked,
    render_reason_form_failed,
    render_reason_modal,
)
from handlers.render.message import Message
from handlers.render.rollouts import with_following_note
from handlers.rollout_follow import RESPONSE_URL_USES, RespondSink, rolled_out, start_following
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, kube_name, text_arg

GROUP = "Change"
log = structlog.get_logger(__name__)


def namespace_name(text: str) -> str:
    """Namespaces are lowercase DNS labels; `preview-PROJ-7` (the issue key's case) is accepted."""
    return kube_name(text.lower())


async def submit_mutation(call: CommandCall, spec: MutationSpec) -> Message:
    """The gate decides; a change that needs approval first asks for a reason (a modal), one
    that needs confirming answers with Confirm / Cancel; a rollout that started is followed."""
    gate = call.deps.require_gate()
    requester = Requester(call.user_id, call.channel_id, call.correlation_id)
    outcome = await gate.submit(spec, requester, call.values.get("reason"))
    if isinstance(outcome, ReasonNeeded):
        return await ask_for_reason(call, outcome)
    config = call.deps.config
    message = render_gate_outcome(outcome, config.channels.approvals, gate.timezone)
    changes = rolled_out(outcome.spec, outcome.run) if isinstance(outcome, Ran) else []
    if changes and call.respond is not None:
        sink = RespondSink(call.respond, RESPONSE_URL_USES - 1)  # one use is this answer
        start_following(
            call.deps,
            changes,
            sink,
            requester=call.user_id,
            channel=call.channel_id,
            after=asyncio.current_task(),  # this answer goes out first
        )
        message = with_following_note(message, "below")
    return message


async def ask_for_reason(call: CommandCall, asked: ReasonNeeded) -> Message:
    """Open the modal; the trigger id from the slash command is valid for 3 s only."""
    try:
        assert call.client is not None, "slash commands carry Bolt's client"
        view = render_reason_modal(asked).to_dict()
        await call.client.views_open(trigger_id=call.trigger_id, view=view)
    except Exception:
        log.warning("could not open the reason modal", exc_info=True)
        return render_reason_form_failed(asked)
    return render_reason_asked(asked)


async def run_scale(call: CommandCall) -> Message:
    values, config = call.values, call.deps.config
    spec = ScaleDeployment.build(
        config,
        values["env"],
        values["namespace"] or config.hub.namespace,
        values["deployment"],
        values["replicas"],
    )
    return await submit_mutation(call, spec)


REASON = Flag(
    "reason",
    "why, for the team leads (otherwise a form asks when approval is needed)",
    text_arg(500),
    metavar='"text"',
)

COMMANDS = (
    Command(
        "scale",
        "Scale a deployment; a KEDA-driven one has KEDA paused at that count. 0, or more "
        "than hub.max_replicas, asks you to confirm; prd preview namespaces need a team lead.",
        run_scale,
        args=(
            Arg("env", "int, stg or prd", ENV),
            Arg("deployment", "the deployment's name", kube_name),
            Arg("replicas", f"0 to {MAX_REPLICAS}", bounded_int(0, MAX_REPLICAS)),
        ),
        flags=(
            Flag(
                "namespace",
                "the namespace (default: the hub's)",
                namespace_name,
                metavar="N",
            ),
            REASON,
        ),
        mutating=True,
        group=GROUP,
        examples=(
            "/rtb scale int workflow-engine 3",
            "/rtb scale prd app 0 --namespace preview-PROJ-7",
        ),
    ),
)

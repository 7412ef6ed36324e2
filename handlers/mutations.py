"""Change: mutations. Each command builds a MutationSpec and hands it to the policy gate.

There is no permission check here: the gate decides (allow / approval / deny) and says why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from approvals.gate import Requester
from approvals.mutations import MutationSpec
from approvals.outcomes import GateOutcome, Ran, ReasonNeeded
from approvals.workload_mutations import MAX_REPLICAS, ScaleDeployment
from handlers.context import CommandCall
from handlers.forms import Form, form_opened_if
from handlers.render.approvals import (
    REASON_TITLE,
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


def namespace_name(text: str) -> str:
    """Namespaces are lowercase DNS labels; `preview-PROJ-7` (the issue key's case) is accepted."""
    return kube_name(text.lower())


async def submit_mutation(call: CommandCall, spec: MutationSpec) -> Message:
    """The gate decides; a change that needs approval first asks for a reason (a modal), one
    that needs confirming answers with Confirm / Cancel; a rollout that started is followed."""
    config = call.deps.config
    gate = call.deps.gate
    outcome, message = await decide_with_form(
        call, spec, lambda o: render_gate_outcome(o, config.channels.approvals, gate.timezone)
    )
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


async def decide_with_form(
    call: CommandCall, spec: MutationSpec, render: Callable[[GateOutcome], Message]
) -> tuple[GateOutcome, Message]:
    """The gate's outcome and its words. When the gate will ask for a reason, the form opens
    before anything waits (the trigger id lasts 3 s; handlers.forms), then the gate takes its
    turn with the heavy commands (its pre-flight reads the backends) and the form is filled."""
    gate = call.deps.gate
    requester = Requester(call.user_id, call.channel_id, call.correlation_id)
    reason = call.values.get("reason")
    asks = await gate.asks_reason(spec.possible_actions, spec.env, requester, reason)
    async with form_opened_if(asks, call.client, call.trigger_id, REASON_TITLE) as form:
        async with call.deps.tasks.slot():
            outcome = await gate.submit(spec, requester, reason)
        if call.gate_outcomes is not None:
            call.gate_outcomes.append(outcome)
        if isinstance(outcome, ReasonNeeded):
            return outcome, await ask_for_reason(form, outcome)
        message = render(outcome)
        await form.show_answer(message)
        return outcome, message


async def ask_for_reason(form: Form, asked: ReasonNeeded) -> Message:
    """Fill the form (opened at once, or opened now if it was not) with the reason modal."""
    if await form.show(render_reason_modal(asked)):
        return render_reason_asked(asked)
    return render_reason_form_failed(asked)


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

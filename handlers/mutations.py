"""Change: mutations. Each command builds a MutationSpec and hands it to the policy gate.

There is no permission check here: the gate decides (allow / approval / deny) and says why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from approvals.gate import Requester
from approvals.mutations import MutationSpec
from approvals.outcomes import GateOutcome, Ran, ReasonNeeded
from approvals.workload_mutations import MAX_REPLICAS, ScaleDeployment
from handlers.context import CommandCall, Deps
from handlers.forms import Form, form_opened_if
from handlers.render.approvals import (
    REASON_TITLE,
    render_gate_outcome,
    render_reason_asked,
    render_reason_form_failed,
    render_reason_modal,
)
from handlers.render.i18n import N_, _
from handlers.render.message import Message
from handlers.render.rollouts import FollowedWhere, with_following_note
from handlers.replies import Reply
from handlers.rollout_follow import rolled_out, start_following
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, kube_name, text_arg

GROUP = "Change"
RenderRan = Callable[[Ran], Message]


def namespace_name(text: str) -> str:
    """Namespaces are lowercase DNS labels; `preview-PROJ-7` (the issue key's case) is accepted."""
    return kube_name(text.lower())


@dataclass(frozen=True)
class Asker:
    """Who asks for a change, from where, and where its answers go: a typed command, a button
    (Roll this back, a TTL notice's), a modal (the set-image picker)."""

    deps: Deps
    user: str
    channel: str
    correlation_id: str
    client: AsyncWebClient | None  # opens the reason form …
    trigger_id: str  # … within 3 s of the click or command ("" where none can open)
    reply: Reply | None

    @classmethod
    def of(cls, call: CommandCall) -> Asker:
        return cls(
            call.deps,
            call.user_id,
            call.channel_id,
            call.correlation_id,
            call.client,
            call.trigger_id,
            call.reply,
        )

    @property
    def requester(self) -> Requester:
        return Requester(self.user, self.channel, self.correlation_id)


async def submit_mutation(
    call: CommandCall, spec: MutationSpec, *, render_ran: RenderRan | None = None
) -> Message:
    """A typed change: the one flow (`decide`), then its rollout followed after this answer.
    `render_ran` words a change that ran at once its own way (a queue's new state)."""
    asker = Asker.of(call)
    reason = call.values.get("reason")
    outcome, message = await decide(asker, spec, reason, render_ran=render_ran)
    if call.gate_outcomes is not None:  # an incident card's action: its timeline names it
        call.gate_outcomes.append(outcome)
    return follow_after(asker, outcome, message, "below", after=asyncio.current_task())


async def decide(
    asker: Asker,
    spec: MutationSpec,
    reason: str | None = None,
    *,
    takes_turn: bool = True,
    render_ran: RenderRan | None = None,
) -> tuple[GateOutcome, Message]:
    """The one flow of every change: the gate decides, and its outcome is worded (a reason
    form, "are you sure?", an approval card's note, the result). When the gate will ask for a
    reason, the form opens before anything waits (the trigger id lasts 3 s; handlers.forms);
    the gate's pre-flight reads the backends, so a typed change takes its turn with the heavy
    commands (`takes_turn`; a click takes none, TaskTracker)."""
    deps = asker.deps
    gate = deps.gate
    asks = await gate.asks_reason(spec.possible_actions, spec.env, asker.requester, reason)
    async with form_opened_if(asks, asker.client, asker.trigger_id, _(REASON_TITLE)) as form:
        async with deps.tasks.slot() if takes_turn else nullcontext():
            outcome = await gate.submit(spec, asker.requester, reason)
        return outcome, await worded(asker, outcome, form, render_ran)


async def worded(
    asker: Asker, outcome: GateOutcome, form: Form, render_ran: RenderRan | None = None
) -> Message:
    """The outcome's answer; a reason the gate asks for fills the form."""
    if isinstance(outcome, ReasonNeeded):
        return await ask_for_reason(form, outcome)
    if isinstance(outcome, Ran) and render_ran is not None:
        message = render_ran(outcome)
    else:
        gate = asker.deps.gate
        approvals = asker.deps.config.channels.approvals
        message = render_gate_outcome(outcome, approvals, gate.timezone)
    await form.show_answer(message)
    return message


def follow_after(
    asker: Asker,
    outcome: GateOutcome | None,
    message: Message,
    where: FollowedWhere,
    *,
    after: asyncio.Task[Any] | None = None,
    reply: Reply | None = None,
) -> Message:
    """A change that rolled a deployment out is followed, its progress posted through `reply`
    (the asker's by default) once this answer went (`after`); the answer says where."""
    changes = rolled_out(outcome.spec, outcome.run) if isinstance(outcome, Ran) else []
    reply = reply or asker.reply
    if not changes or reply is None:
        return message
    start_following(
        asker.deps, changes, reply, requester=asker.user, channel=asker.channel, after=after
    )
    return with_following_note(message, where)


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
    N_("why, for the team leads (otherwise a form asks when approval is needed)"),
    text_arg(500),
    metavar='"text"',
)

COMMANDS = (
    Command(
        "scale",
        N_(
            "Scale a deployment; a KEDA-driven one has KEDA paused at that count. 0, or more "
            "than hub.max_replicas, asks you to confirm; prd preview namespaces need a team lead."
        ),
        run_scale,
        args=(
            Arg("env", N_("int, stg or prd"), ENV),
            Arg("deployment", N_("the deployment's name"), kube_name),
            Arg("replicas", f"0 … {MAX_REPLICAS}", bounded_int(0, MAX_REPLICAS)),
        ),
        flags=(
            Flag(
                "namespace",
                N_("the namespace (default: the hub's)"),
                namespace_name,
                metavar="N",
            ),
            REASON,
        ),
        mutating=True,
        group=GROUP,
        examples=(
            "/rtb scale int workflow-engine 3",  # a name: typed as is
            "/rtb scale prd app 0 --namespace preview-PROJ-7",  # a name: typed as is
        ),
    ),
)

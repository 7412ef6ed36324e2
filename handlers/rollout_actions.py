"""Buttons and the modal of changes that roll out: Confirm / Cancel (a change that asks "are you
sure?"), "Roll this back", and the set-image tag picker.

Each listener only acks and hands off (`process_before_response=True`). The clicker is the
signed payload's `user.id`; a button's value is only a draft token, and every draft goes
through the whole gate again: Confirm takes only the clicker's own draft; "Roll this back" is
requested by whoever clicks it, and the policy decides for them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from approvals.gate import Requester
from approvals.outcomes import GateOutcome, Ran, ReasonNeeded
from approvals.rollout_mutations import SetImage
from handlers.context import Deps
from handlers.forms import Form
from handlers.listeners import Listener, ack_then, action_pattern
from handlers.mutations import ask_for_reason
from handlers.render.approvals import (
    CANCEL_ACTION,
    CONFIRM_ACTION,
    REASON_TITLE,
    render_gate_outcome,
)
from handlers.render.message import Message, simple
from handlers.render.rollouts import (
    ROLLBACK_ACTION,
    SET_IMAGE_BLOCK,
    SET_IMAGE_CALLBACK,
    SET_IMAGE_SELECT,
    with_following_note,
)
from handlers.replies import post_privately, reply_privately
from handlers.rollout_follow import (
    RESPONSE_URL_USES,
    RespondSink,
    ThreadSink,
    rolled_out,
    start_following,
)
from handlers.slash import answer
from handlers.spec import ENV, kube_name
from ops.errors import UserError

log = structlog.get_logger(__name__)


@dataclass
class Click:
    """One button click, as the signed payload has it."""

    deps: Deps
    respond: AsyncRespond
    client: AsyncWebClient
    user: str
    token: str  # the button's value: a draft token, nothing more
    channel: str
    trigger_id: str
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    responses: int = 0  # response_url uses so far (Slack allows 5)
    form: Form = field(init=False)  # the reason form, should the gate ask for one

    def __post_init__(self) -> None:
        self.form = Form(self.client, self.trigger_id, REASON_TITLE)

    async def reply(self, message: Message, *, replace: bool = False) -> None:
        self.responses += 1
        if message.ephemeral and not replace:
            await reply_privately(self.respond, self.client, self.channel, self.user, message)
            return
        try:
            await self.respond(
                text=message.text,
                blocks=message.blocks_json(),
                response_type="ephemeral" if message.ephemeral else "in_channel",
                replace_original=replace,
            )
        except Exception:
            log.warning("could not answer a click through its response_url")


Work = Callable[[Click], Awaitable[None]]


def register(app: AsyncApp) -> None:
    app.action(CONFIRM_ACTION)(_button(run_confirm))
    app.action(CANCEL_ACTION)(_button(run_cancel))
    app.action(action_pattern(ROLLBACK_ACTION))(_button(run_offered))  # `.N`: one of several
    app.view(SET_IMAGE_CALLBACK)(on_image_picked)


def _button(work: Work, *, value_limit: int = 60) -> Listener:
    """`value_limit`: the longest button value read (a draft token is short; longer is cut)."""

    async def run(
        deps: Deps, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        action = (body.get("actions") or [{}])[0]
        click = Click(
            deps=deps,
            respond=respond,
            client=client,
            user=str((body.get("user") or {}).get("id", "")),
            token=str(action.get("value", ""))[:value_limit],
            channel=str((body.get("channel") or {}).get("id", "")),
            trigger_id=str(body.get("trigger_id", "")),
        )
        await _bound(click, work)

    return ack_then(run, name=lambda body: str((body.get("actions") or [{}])[0].get("action_id")))


button_listener = _button  # a button whose work takes a Click (also handlers/ttl_actions.py)


async def _bound(click: Click, work: Work) -> None:
    with structlog.contextvars.bound_contextvars(
        user=click.user, correlation_id=click.correlation_id
    ):
        await work(click)


async def run_confirm(click: Click) -> None:
    """The requester's Confirm: the draft goes through the gate again, confirmed."""
    gate = click.deps.gate
    outcome: GateOutcome | None = None

    async def work() -> Message:
        nonlocal outcome
        outcome = await gate.confirm(click.token, click.user, click.correlation_id)
        return render_gate_outcome(outcome, click.deps.config.channels.approvals, gate.timezone)

    message = await answer(click.deps, work, click.correlation_id)
    if outcome is not None:  # it was the clicker's own: the prompt's buttons go away
        await click.reply(simple(f":white_check_mark: Confirmed by <@{click.user}>."), replace=True)
    await _deliver(click, outcome, message)


async def run_cancel(click: Click) -> None:
    gate = click.deps.gate
    cancelled = False

    async def work() -> Message:
        nonlocal cancelled
        cancelled = await gate.drop_confirmation(click.token, click.user, click.correlation_id)
        if not cancelled:
            raise UserError(
                "That confirmation is not yours, or it was already answered or has expired."
            )
        return simple(":heavy_minus_sign: Cancelled: nothing was changed.", ephemeral=True)

    message = await answer(click.deps, work, click.correlation_id)
    await click.reply(message, replace=cancelled)  # the prompt's buttons go away


async def run_offered(click: Click) -> None:
    """ "Roll this back": requested by whoever clicked, as if they had typed the command."""
    gate = click.deps.gate
    outcome: GateOutcome | None = None

    async def work() -> Message:
        nonlocal outcome
        requester = Requester(click.user, click.channel, click.correlation_id)
        spec = await gate.offered(click.token)
        if await gate.asks_reason(spec.possible_actions, spec.env, requester):
            await click.form.open()  # at once: the pre-flight read may take longer than 3 s
        outcome = await gate.submit(spec, requester)
        return render_gate_outcome(outcome, click.deps.config.channels.approvals, gate.timezone)

    message = await answer(click.deps, work, click.correlation_id)  # sets `outcome`
    await _deliver(click, outcome, message)


async def _deliver(click: Click, outcome: GateOutcome | None, message: Message) -> None:
    """The answer to a click: a form for the reason, the result (and its rollout followed)."""
    if isinstance(outcome, ReasonNeeded):
        message = await ask_for_reason(click.form, outcome)
    else:
        await click.form.show_answer(message)
    changes = rolled_out(outcome.spec, outcome.run) if isinstance(outcome, Ran) else []
    if changes:
        message = with_following_note(message, "below")
    await click.reply(message)
    if changes:
        sink = RespondSink(click.respond, RESPONSE_URL_USES - click.responses)
        start_following(click.deps, changes, sink, requester=click.user, channel=click.channel)


# -- the set-image modal ---------------------------------------------------------------------


async def on_image_picked(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
) -> None:
    await ack()  # closes the modal; the outcome arrives as a message
    deps: Deps = context["deps"]
    deps.tasks.spawn(run_image_picked(deps, body, client), name="set-image picked")


@dataclass(frozen=True)
class Picked:
    """What the modal carried (its private_metadata, set by the bot) and the chosen tag."""

    env: Any
    namespace: str
    deployment: str
    container: str | None
    channel: str
    tag: str


def parse_picked(view: dict[str, Any]) -> Picked:
    """Checked again like typed text: the modal's data goes through the same parsers."""
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
        values = (view.get("state") or {}).get("values") or {}
        chosen = ((values.get(SET_IMAGE_BLOCK) or {}).get(SET_IMAGE_SELECT) or {}).get(
            "selected_option"
        ) or {}
        container = meta.get("container")
        return Picked(
            env=ENV(str(meta["env"])),
            namespace=kube_name(str(meta["namespace"])),
            deployment=kube_name(str(meta["deployment"])),
            container=kube_name(str(container)) if container else None,
            channel=str(meta.get("channel") or ""),
            tag=str(chosen.get("value", "")),
        )
    except (ValueError, KeyError, TypeError):
        raise UserError("That form's data is not usable. Run the command again.") from None


async def run_image_picked(deps: Deps, body: dict[str, Any], client: AsyncWebClient) -> None:
    correlation_id = uuid.uuid4().hex[:12]
    user = str((body.get("user") or {}).get("id", ""))
    gate = deps.gate
    outcome: GateOutcome | None = None
    picked: Picked | None = None
    form = Form(client, str(body.get("trigger_id", "")), REASON_TITLE)

    async def work() -> Message:
        nonlocal outcome, picked
        picked = parse_picked(body.get("view") or {})
        try:
            spec = SetImage.build(
                deps.config,
                picked.env,
                picked.namespace,
                picked.deployment,
                picked.tag,
                picked.container,
            )
        except ValueError:
            raise UserError(f"`{picked.tag[:60]}` is not an image tag.") from None
        requester = Requester(user, picked.channel, correlation_id)
        if await gate.asks_reason(spec.possible_actions, spec.env, requester):
            await form.open()  # at once: the pre-flight read may take longer than 3 s
        outcome = await gate.submit(spec, requester)
        return render_gate_outcome(outcome, deps.config.channels.approvals, gate.timezone)

    with structlog.contextvars.bound_contextvars(user=user, correlation_id=correlation_id):
        message = await answer(deps, work, correlation_id)
        channel = picked.channel if picked else ""
        if isinstance(outcome, ReasonNeeded):
            message = await ask_for_reason(form, outcome)
        else:
            await form.show_answer(message)
        if isinstance(outcome, Ran):
            await _post_result(deps, client, outcome, message, user, channel)
        else:
            await post_privately(client, channel, user, message)


async def _post_result(
    deps: Deps, client: AsyncWebClient, ran: Ran, message: Message, user: str, channel: str
) -> None:
    """In the channel the command came from (else the user's DM); its thread follows the
    rollout."""
    changes = rolled_out(ran.spec, ran.run)
    if changes:
        message = with_following_note(message, "in this message's thread")
    for where in (channel, user):
        if not where:
            continue
        try:
            posted = await client.chat_postMessage(
                channel=where, text=message.text, blocks=message.blocks_json()
            )
        except Exception:
            log.warning("could not post a change's result", channel=where)
            continue
        sink = ThreadSink(client, [(str(posted["channel"]), str(posted["ts"]))])
        start_following(deps, changes, sink, requester=user, channel=channel or None)
        return

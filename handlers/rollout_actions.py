"""Buttons and the modal of changes that roll out: Confirm / Cancel (a change that asks "are you
sure?"), "Roll this back", and the set-image tag picker.

Each listener only acks and hands off (`process_before_response=True`). The clicker is the
signed payload's `user.id`; a button's value is only a draft token, and every draft goes
through the whole gate again: Confirm takes only the clicker's own draft; "Roll this back" is
requested by whoever clicks it, and the policy decides for them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp

from approvals.outcomes import GateOutcome, Ran
from approvals.rollout_mutations import SetImage
from handlers.context import Deps
from handlers.forms import Form
from handlers.listeners import Incoming, Listener, ack_then, action_pattern
from handlers.mutations import Asker, decide, follow_after, worded
from handlers.render.approvals import (
    CANCEL_ACTION,
    CONFIRM_ACTION,
    REASON_TITLE,
)
from handlers.render.click_replies import (
    confirmation_gone,
    form_data_unusable,
    not_an_image_tag,
    render_cancelled,
    render_confirmed_by,
)
from handlers.render.general import render_user_error
from handlers.render.i18n import _
from handlers.render.message import Message
from handlers.render.rollouts import (
    ROLLBACK_ACTION,
    SET_IMAGE_BLOCK,
    SET_IMAGE_CALLBACK,
    SET_IMAGE_SELECT,
    with_following_note,
)
from handlers.replies import Reply
from handlers.rollout_follow import rolled_out, start_following
from handlers.slash import attempt
from handlers.spec import ENV, kube_name
from ops.errors import UserError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Click:
    """One button click, as the signed payload has it: the clicker asks."""

    asker: Asker
    token: str  # the button's value: a draft token, nothing more

    @classmethod
    def of(cls, incoming: Incoming, token: str) -> Click:
        asker = Asker(
            incoming.deps,
            incoming.user,
            incoming.channel,
            incoming.correlation_id,
            incoming.client,
            incoming.trigger_id,
            incoming.reply,
        )
        return cls(asker, token)

    @property
    def deps(self) -> Deps:
        return self.asker.deps

    @property
    def user(self) -> str:
        return self.asker.user

    @property
    def reply(self) -> Reply:
        assert self.asker.reply is not None  # a click always has one (Incoming.reply)
        return self.asker.reply


Work = Callable[[Click], Awaitable[None]]


def register(app: AsyncApp) -> None:
    app.action(CONFIRM_ACTION)(_button(run_confirm))
    app.action(CANCEL_ACTION)(_button(run_cancel))
    app.action(action_pattern(ROLLBACK_ACTION))(_button(run_offered))  # `.N`: one of several
    app.view(SET_IMAGE_CALLBACK)(ack_then(run_image_picked, name=lambda _: "set-image picked"))


def _button(work: Work, *, value_limit: int = 60) -> Listener:
    """`value_limit`: the longest button value read (a draft token is short; longer is cut)."""

    async def run(incoming: Incoming) -> None:
        await work(Click.of(incoming, incoming.value(value_limit)))

    return ack_then(run, name=lambda incoming: incoming.action_id)


button_listener = _button  # a button whose work takes a Click (also handlers/ttl_actions.py)


async def run_confirm(click: Click) -> None:
    """The requester's Confirm: the draft goes through the gate again, confirmed."""
    gate, asker = click.deps.gate, click.asker

    async def work() -> tuple[GateOutcome, Message]:
        outcome = await gate.confirm(click.token, click.user, asker.correlation_id)
        form = Form(asker.client, asker.trigger_id, _(REASON_TITLE))  # the policy may ask now
        return outcome, await worded(asker, outcome, form)

    outcome, message = await attempt(click.deps, work, asker.correlation_id)
    if outcome is not None:  # it was the clicker's own: the prompt's buttons go away
        await click.reply.answer(render_confirmed_by(click.user), replace_original=True)
    await _answer(click, outcome, message)


async def run_cancel(click: Click) -> None:
    gate, asker = click.deps.gate, click.asker

    async def work() -> tuple[bool, Message]:
        if not await gate.drop_confirmation(click.token, click.user, asker.correlation_id):
            raise UserError(confirmation_gone())
        return True, render_cancelled()

    cancelled, message = await attempt(click.deps, work, asker.correlation_id)
    await click.reply.answer(message, replace_original=bool(cancelled))  # its buttons go


async def run_offered(click: Click) -> None:
    """ "Roll this back": requested by whoever clicked, as if they had typed the command."""
    gate = click.deps.gate

    async def work() -> tuple[GateOutcome, Message]:
        return await decide(click.asker, await gate.offered(click.token), takes_turn=False)

    outcome, message = await attempt(click.deps, work, click.asker.correlation_id)
    await _answer(click, outcome, message)


async def _answer(click: Click, outcome: GateOutcome | None, message: Message) -> None:
    """The answer to a click; a rollout it started is followed once the answer went."""
    message = follow_after(click.asker, outcome, message, "below", after=asyncio.current_task())
    await click.reply.answer(message)


# -- the set-image modal ---------------------------------------------------------------------


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
        raise UserError(form_data_unusable()) from None


async def run_image_picked(incoming: Incoming) -> None:
    """The modal closed on submit (the ack); the outcome arrives as a message: the result in
    the channel the command came from (its thread follows the rollout), else privately."""
    try:
        picked = parse_picked(incoming.payload)
    except UserError as exc:
        await incoming.reply.privately(render_user_error(exc))
        return
    reply = replace(incoming.reply, channel=picked.channel)
    asker = Click.of(replace(incoming, channel=picked.channel, reply=reply), "").asker

    async def work() -> tuple[GateOutcome, Message]:
        return await decide(asker, image_spec(asker.deps, picked), takes_turn=False)

    outcome, message = await attempt(asker.deps, work, asker.correlation_id)
    if not isinstance(outcome, Ran):
        await reply.privately(message)
        return
    changes = rolled_out(outcome.spec, outcome.run)
    if changes:
        message = with_following_note(message, "thread")
    thread = await reply.posted_publicly(message)
    if thread is not None:
        start_following(asker.deps, changes, thread, requester=asker.user, channel=asker.channel)


def image_spec(deps: Deps, picked: Picked) -> SetImage:
    try:
        return SetImage.build(
            deps.config,
            picked.env,
            picked.namespace,
            picked.deployment,
            picked.tag,
            picked.container,
        )
    except ValueError:
        raise UserError(not_an_image_tag(picked.tag)) from None

"""The incident card's buttons: Acknowledge, Investigate, the alarm's actions, Resolve.

Acknowledge and Resolve change the record (handlers.incident_records says who may). The others:
- **Investigate**: anyone who may use the bot (reads are allowed everywhere, §1 "read first").
  It runs the alarm's playbook (handlers.incident_playbooks) as the clicker, each command's
  answer posted in the card's thread. Two clicks run it twice: it reads, it changes nothing.
- **An action** (pause the queue, scale, roll back): the `/rtb` command it stands for, run as the
  clicker through the command table, hence the same policy gate and approval flow (a reason form,
  a lead's approval, "are you sure?") as when typed. The answer goes to the clicker; what the
  gate decided goes to the timeline. The command is rebuilt from the incident, never read from
  the button.
- **Resolve** opens a note form at once (Slack's trigger lasts 3 s); the role is checked when
  the note is submitted.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp

from approvals.outcomes import (
    ApprovalRequested,
    ConfirmNeeded,
    GateOutcome,
    Ran,
    ReasonNeeded,
    Refused,
)
from handlers.context import CommandCall
from handlers.forms import Form
from handlers.incident_playbooks import Playbook, action_for
from handlers.incident_records import (
    acknowledge,
    find_incident,
    playbook_of,
    record,
    resolve,
    role_of,
    store_of,
    subject_of,
)
from handlers.listeners import Incoming, ack_then
from handlers.parse import parse
from handlers.render.click_replies import (
    render_investigating,
    render_members_only,
    render_not_offered,
    render_read_for,
    render_resolve_form_failed,
    render_resolved_run_it_yourself,
)
from handlers.render.i18n import _, use_locale
from handlers.render.incident_replies import render_resolved_already
from handlers.render.incident_timeline import (
    ACK_ACTION,
    CHANGE_ACTION,
    INVESTIGATE_ACTION,
    NOTE_BLOCK,
    NOTE_INPUT,
    RESOLVE_ACTION,
    RESOLVE_CALLBACK,
    render_resolve_modal,
)
from handlers.render.message import Message, context
from handlers.slash import answer
from handlers.table import TABLE
from ops.incident_links import draft_digest
from ops.incidents import Incident, IncidentEvent

log = structlog.get_logger(__name__)


def register(app: AsyncApp) -> None:
    app.action(ACK_ACTION)(_button(lambda c: acknowledge(c.deps, c.incident_id, c.user)))
    app.action(INVESTIGATE_ACTION)(_button(investigate))
    app.action(re.compile(rf"^{re.escape(CHANGE_ACTION)}\..+$"))(_button(run_action))
    app.action(RESOLVE_ACTION)(_button(open_resolve_form))
    app.view(RESOLVE_CALLBACK)(ack_then(run_resolve_submitted, name=lambda _: "incident resolve"))


# -- plumbing shared by the buttons ----------------------------------------------------------


class Click:
    """One click on a card button, as the handlers need it."""

    def __init__(self, incoming: Incoming) -> None:
        self.deps, self.client, self.reply = incoming.deps, incoming.client, incoming.reply
        self.correlation_id = incoming.correlation_id
        self.user, self.channel = incoming.user, incoming.channel
        self.trigger_id = incoming.trigger_id
        self.incident_id, _, self.key = incoming.value(120).partition("|")


def _button(handle: Callable[[Click], Awaitable[Message]]) -> Any:
    async def work(incoming: Incoming) -> None:
        click = Click(incoming)
        with structlog.contextvars.bound_contextvars(incident=click.incident_id):
            message = await answer(click.deps, lambda: handle(click), click.correlation_id)
            if message.text:
                await click.reply.privately(message)

    return ack_then(work, name=lambda _: "incident click")


# -- Investigate -----------------------------------------------------------------------------


async def investigate(click: Click) -> Message:
    deps = click.deps
    incident = await find_incident(deps, click.incident_id)
    if await role_of(deps, click.user) == "none":
        return render_members_only()
    book = playbook_of(deps, incident)
    detail = {"type": "investigate", "commands": list(book.reads)}
    event = await store_of(deps).add_event(incident.id, "action", click.user, detail)
    await record(deps, incident, event)
    deps.tasks.spawn(_run_reads(click, incident, book, event), name="incident investigate")
    return render_investigating(book.reads)


async def _run_reads(
    click: Click, incident: Incident, book: Playbook, event: IncidentEvent
) -> None:
    """Each read answered in the card's thread, in that channel's language (not the
    clicker's: the thread is the channel's, like the card)."""
    deps, push = click.deps, click.deps.require_push()
    locale = deps.languages.locale_for_channel(incident.channel)
    async with deps.tasks.slot():  # heavy reads take their turn, like typed ones
        for number, line in enumerate(book.reads):
            with use_locale(locale):
                message = await answer(deps, _reader(click, line), click.correlation_id)
                blocks = [context(render_read_for(line, click.user)).to_dict()]
            blocks.extend(message.blocks_json())
            key = f"{incident.card_key}:investigate:{event.id}:{number}"
            await push.outbox.enqueue(
                incident.channel, blocks[:50], message.text, key, thread_key=incident.card_key
            )
            push.sender.nudge()


def _reader(click: Click, line: str) -> Callable[[], Awaitable[Message]]:
    return lambda: _run_line(click, line)


async def _run_line(click: Click, line: str, outcomes: list[Any] | None = None) -> Message:
    """`line` as if the clicker had typed `/rtb <line>` where the card is."""
    parsed = parse(line, TABLE)
    call = CommandCall(
        click.deps,
        click.user,
        click.channel,
        parsed.values,
        click.correlation_id,
        TABLE,
        trigger_id=click.trigger_id,
        client=click.client,
        reply=click.reply,
        gate_outcomes=outcomes,
    )
    return await parsed.command.run(call)


# -- isolate / recover -----------------------------------------------------------------------


async def run_action(click: Click) -> Message:
    deps = click.deps
    incident = await find_incident(deps, click.incident_id)
    action = action_for(subject_of(incident), deps.config.hub.queues, click.key)
    if action is None:
        return render_not_offered()
    if not incident.is_open:
        return render_resolved_run_it_yourself(incident.id, action.line)
    outcomes: list[GateOutcome] = []
    try:
        message = await _run_line(click, action.line, outcomes)
    finally:
        detail = {"type": "change", "command": action.line, **gate_detail(outcomes)}
        event = await store_of(deps).add_event(incident.id, "action", click.user, detail)
        await record(deps, incident, event)
    return message


def gate_detail(outcomes: list[GateOutcome]) -> dict[str, Any]:
    """What the gate decided, as the timeline keeps it (data: the words are the renderer's)."""
    if not outcomes:
        return {"outcome": "failed"}
    outcome = outcomes[-1]
    if isinstance(outcome, Ran):
        return {"outcome": "ran", "status": outcome.run.status}
    if isinstance(outcome, Refused):
        return {"outcome": "refused", "rule": outcome.decision.reason.as_data()}
    if isinstance(outcome, ApprovalRequested):
        return {"outcome": "approval", "request": outcome.request.id}
    if isinstance(outcome, ReasonNeeded):  # the request, once made, is found by this
        return {"outcome": "reason", "draft": draft_digest(outcome.token)}
    if isinstance(outcome, ConfirmNeeded):
        return {"outcome": "confirm"}
    return {"outcome": "failed"}


# -- Resolve ---------------------------------------------------------------------------------


async def open_resolve_form(click: Click) -> Message:
    """The note form opens first (the trigger id lasts 3 s); the role is checked on submit."""
    deps = click.deps
    incident = await find_incident(deps, click.incident_id)
    if not incident.is_open:
        return render_resolved_already(incident.id)
    form = Form(click.client, click.trigger_id, _("Resolve incident"))
    if not await form.show(render_resolve_modal(incident)):  # expired: the click waited
        return render_resolve_form_failed(incident.id)
    return Message(text="")


async def run_resolve_submitted(incoming: Incoming) -> None:
    """The modal closed on submit (the ack); the outcome arrives as a message."""
    deps, user, view = incoming.deps, incoming.user, incoming.payload
    incident_id = str(view.get("private_metadata", ""))[:40]
    values = (view.get("state") or {}).get("values") or {}
    note = str(((values.get(NOTE_BLOCK) or {}).get(NOTE_INPUT) or {}).get("value") or "")
    resolved = await answer(
        deps, lambda: resolve(deps, incident_id, user, note), incoming.correlation_id
    )
    if resolved.text:
        await incoming.reply.privately(resolved)

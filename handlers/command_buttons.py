"""Buttons that run a `/rtb` command line for whoever clicks: the pod alert's Logs and Events,
and the next steps on command answers (Pause / Resume / Retry failed on `/rtb queue X`, Logs
(previous) of an OOMKilled pod in `/rtb pods`).

The button's value is the command text. It is never trusted: it must name the command its
action stands for (a forged value runs nothing, and the clicker is told), and it then runs
through `run_slash`, parsed by the command table exactly as if the clicker had typed it, so
the same parser errors, the same policy gate and approval flow (a reason form from the click's
trigger id, a lead's approval), the same answers. The actor is the clicker (the signed
payload's user), never whoever asked for the message the button is on.

A change runs at most once per double click: its command line is a single-flight key across
replicas (ops.single_flight). A click arriving while the first one runs is told so and runs
nothing; one arriving after it reads the new state, and the gate answers it ("already paused").
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.context import Deps
from handlers.listeners import Incoming, ack_then, action_pattern
from handlers.parse import find_command, tokenize
from handlers.render.answer_buttons import (
    POD_LOGS_ACTION,
    QUEUE_PAUSE_ACTION,
    QUEUE_RESUME_ACTION,
    QUEUE_RETRY_ACTION,
    render_click_in_flight,
    render_not_this_button,
)
from handlers.render.message import Message
from handlers.render.pod_alerts import EVENTS_ACTION, LOGS_ACTION
from handlers.replies import Reply
from handlers.slash import Typed, answer, run_slash
from handlers.spec import Command
from handlers.table import TABLE
from ops.errors import UserError
from ops.single_flight import single_flight

# action id (with or without a `.N` suffix) → the command its value must be
COMMANDS: dict[str, str] = {
    LOGS_ACTION: "logs",
    EVENTS_ACTION: "events",
    POD_LOGS_ACTION: "logs",
    QUEUE_PAUSE_ACTION: "queue pause",  # a name: command words
    QUEUE_RESUME_ACTION: "queue resume",  # a name: command words
    QUEUE_RETRY_ACTION: "queue retry-failed",  # a name: command words
}
MAX_VALUE_CHARS = 2000  # Slack's limit for a button's value: anything longer is not Slack's
_SUFFIX = re.compile(r"\.\d{1,2}$")


def command_of(action: dict[str, Any]) -> tuple[str, Command] | None:
    """The command text a clicked action carries and its command, or None when the text does
    not name the command its action runs (parsing the rest is run_slash's, as for typed text)."""
    wanted = COMMANDS.get(_SUFFIX.sub("", str(action.get("action_id", ""))))
    text = str(action.get("value", ""))
    if wanted is None or len(text) > MAX_VALUE_CHARS:
        return None
    try:
        command = find_command(tokenize(text), TABLE)[0]
    except UserError:
        return None
    return (text, command) if command.verb == wanted else None


async def run_button(incoming: Incoming) -> None:
    deps, reply = incoming.deps, incoming.reply
    found = command_of(incoming.payload)
    if found is None:
        await reply.privately(render_not_this_button())
        return
    text, command = found
    typed = Typed.of(incoming, text)
    if not command.mutating:  # a read may run twice: it changes nothing
        await run_slash(deps, typed, TABLE, reply)
        return
    refused = await answer(deps, lambda: _once(deps, typed, reply), incoming.correlation_id)
    if refused.text:
        await reply.privately(refused)


async def _once(deps: Deps, typed: Typed, reply: Reply) -> Message:
    """Run the change unless a click on the same line is running it now (then say so)."""
    async with single_flight(deps.backends.db, f"button {' '.join(tokenize(typed.text))}") as first:
        if not first:
            return render_click_in_flight(typed.text)
        await run_slash(deps, typed, TABLE, reply)  # answers, never raises
    return Message(text="")


def register(app: AsyncApp) -> None:
    for action in COMMANDS:
        app.action(action_pattern(action))(ack_then(run_button, name=lambda _: "command button"))

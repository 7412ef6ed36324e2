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
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps
from handlers.listeners import ack_then, action_pattern
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
from handlers.replies import reply_privately
from handlers.slash import answer, run_slash
from handlers.spec import Command
from handlers.table import TABLE
from ops.errors import UserError
from ops.single_flight import single_flight

# action id (with or without a `.N` suffix) → the command its value must be
COMMANDS: dict[str, str] = {
    LOGS_ACTION: "logs",
    EVENTS_ACTION: "events",
    POD_LOGS_ACTION: "logs",
    QUEUE_PAUSE_ACTION: "queue pause",
    QUEUE_RESUME_ACTION: "queue resume",
    QUEUE_RETRY_ACTION: "queue retry-failed",
}
MAX_VALUE_CHARS = 2000  # Slack's limit for a button's value: anything longer is not Slack's
_SUFFIX = re.compile(r"\.\d{1,2}$")


def command_of(body: dict[str, Any]) -> tuple[str, Command] | None:
    """The command text a click carries and its command, or None when the text does not name
    the command its action runs (parsing the rest is run_slash's, as for typed text)."""
    action = (body.get("actions") or [{}])[0]
    wanted = COMMANDS.get(_SUFFIX.sub("", str(action.get("action_id", ""))))
    text = str(action.get("value", ""))
    if wanted is None or len(text) > MAX_VALUE_CHARS:
        return None
    try:
        command = find_command(tokenize(text), TABLE)[0]
    except UserError:
        return None
    return (text, command) if command.verb == wanted else None


async def run_button(
    deps: Deps, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
) -> None:
    user = str((body.get("user") or {}).get("id", ""))
    channel = str((body.get("channel") or {}).get("id", ""))
    found = command_of(body)
    if found is None:
        await reply_privately(respond, client, channel, user, render_not_this_button())
        return
    text, command = found
    as_typed = {
        "text": text,
        "user_id": user,
        "channel_id": channel,
        "trigger_id": body.get("trigger_id", ""),
    }
    if not command.mutating:  # a read may run twice: it changes nothing
        await run_slash(deps, as_typed, TABLE, respond, client)
        return
    refused = await answer(
        deps, lambda: _once(deps, as_typed, respond, client), uuid.uuid4().hex[:12]
    )
    if refused.text:
        await reply_privately(respond, client, channel, user, refused)


async def _once(
    deps: Deps, as_typed: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
) -> Message:
    """Run the change unless a click on the same line is running it now (then say so)."""
    text = str(as_typed["text"])
    async with single_flight(deps.backends.db, f"button {' '.join(tokenize(text))}") as first:
        if not first:
            return render_click_in_flight(text)
        await run_slash(deps, as_typed, TABLE, respond, client)  # answers, never raises
    return Message(text="")


def register(app: AsyncApp) -> None:
    for action in COMMANDS:
        app.action(action_pattern(action))(ack_then(run_button, name=lambda _: "command button"))

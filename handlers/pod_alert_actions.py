"""The Logs and Events buttons of a pod alert: the `/rtb logs … --previous` and `/rtb events …`
commands they name, run for whoever clicked exactly as if typed (the same parser, policy and
renderers; the answer arrives the way the command's answer does)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps
from handlers.listeners import ack_then
from handlers.render.pod_alerts import EVENTS_ACTION, LOGS_ACTION
from handlers.slash import run_slash
from handlers.table import TABLE

_COMMANDS = {LOGS_ACTION: "logs", EVENTS_ACTION: "events"}


def command_of(body: dict[str, Any]) -> str | None:
    """The command text a button names, or None when it is not the one its action runs."""
    action = (body.get("actions") or [{}])[0]
    verb = _COMMANDS.get(str(action.get("action_id", "")))
    text = str(action.get("value", ""))[:300]
    return text if verb is not None and text.split(" ", 1)[0] == verb else None


async def run_button(
    deps: Deps, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
) -> None:
    text = command_of(body)
    if text is None:
        return
    as_typed = {
        "text": text,
        "user_id": str((body.get("user") or {}).get("id", "")),
        "channel_id": str((body.get("channel") or {}).get("id", "")),
        "trigger_id": body.get("trigger_id", ""),
    }
    await run_slash(deps, as_typed, TABLE, respond, client)


def register(app: AsyncApp) -> None:
    for action in _COMMANDS:
        app.action(action)(ack_then(run_button, name=lambda body: "pod alert button"))

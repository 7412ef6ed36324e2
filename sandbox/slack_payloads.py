"""Inbound Slack requests in Slack's real shapes, and the signature Slack puts on them.

Slash commands arrive as form fields; interactions (block_actions, view_submission) arrive as one
form field `payload` holding JSON. Over Socket Mode the same dicts travel inside an envelope
(see `sandbox.fake_slack_socket.build_envelope`). Field sets follow Slack's reference pages and
the payloads in slack_sdk's / bolt-python's own tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode

TEAM_ID = "T0001"
TEAM_DOMAIN = "rtb-test"
API_APP_ID = "A0001"
BOT_USER_ID = "UBOT"
BOT_ID = "B0BOT"
# Slack still sends the deprecated verification token; nothing should rely on it.
VERIFICATION_TOKEN = "legacy-verification-token"
DEFAULT_MESSAGE_TS = "1700000000.000100"


def slash_command(
    text: str,
    *,
    user_id: str,
    user_name: str | None = None,
    channel_id: str = "C_OPS",
    channel_name: str | None = None,
    command: str = "/rtb",
    team_id: str = TEAM_ID,
    response_url: str,
    trigger_id: str | None = None,
) -> dict[str, str]:
    """The form fields of a slash command, in the order Slack sends them."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name or default_channel_name(channel_id),
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def block_actions(
    *,
    user_id: str,
    action_id: str,
    value: str,
    block_id: str = "b",
    channel_id: str = "C_OPS",
    message_ts: str = DEFAULT_MESSAGE_TS,
    message: dict[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    user_name: str | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A button click on a message (`type: block_actions`, container `message`)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_object(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": default_channel_name(channel_id)},
        "message": message if message is not None else bot_message(message_ts, team_id),
        "state": {"values": {}},
        "actions": [button_action(action_id, block_id, value)],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(
    *,
    user_id: str,
    callback_id: str,
    private_metadata: str,
    values: dict[str, Any],
    view_id: str = "V1",
    trigger_id: str | None = None,
    user_name: str | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A modal's submit. `values` is Slack's `view.state.values`:
    `{block_id: {action_id: {"type": "plain_text_input", "value": "..."}}}`
    (`plain_text_value()` builds the innermost dict)."""
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": user_object(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": modal_view(view_id, callback_id, private_metadata, values, team_id),
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def plain_text_value(value: str) -> dict[str, str]:
    """One `plain_text_input` entry of `view.state.values`."""
    return {"type": "plain_text_input", "value": value}


def selected_option_value(value: str, text: str | None = None) -> dict[str, Any]:
    """One `static_select` entry of `view.state.values` (the option chosen)."""
    option = {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}
    return {"type": "static_select", "selected_option": option}


def user_object(user_id: str, user_name: str | None, team_id: str = TEAM_ID) -> dict[str, str]:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def button_action(action_id: str, block_id: str, value: str) -> dict[str, Any]:
    return {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": action_id, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }


def bot_message(ts: str, team_id: str = TEAM_ID) -> dict[str, Any]:
    """The message a clicked button lives on, when the test does not pass the real one."""
    return {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": API_APP_ID,
        "team": team_id,
        "ts": ts,
        "text": "",
        "blocks": [],
    }


def modal_view(
    view_id: str,
    callback_id: str,
    private_metadata: str,
    values: dict[str, Any],
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    return {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values},
        "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        "title": {"type": "plain_text", "text": "rtb", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": API_APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }


def default_channel_name(channel_id: str) -> str:
    if channel_id.startswith("D"):
        return "directmessage"
    return channel_id.removeprefix("C_").lower()


def new_trigger_id() -> str:
    """Same form as Slack's: `<digits>.<digits>.<32 hex>`."""
    digits = str(uuid.uuid4().int)
    return f"{digits[:13]}.{digits[13:23]}.{uuid.uuid4().hex}"


def event_callback(event: dict[str, Any], *, team_id: str = TEAM_ID) -> dict[str, Any]:
    """The Events API envelope Slack POSTs as JSON (e.g. event = app_home_opened)."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def app_home_opened(user_id: str, tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D" + user_id,
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def form_body(fields: dict[str, str]) -> str:
    """URL-encoded exactly as Slack posts a slash command (spaces as `+`)."""
    return urlencode(fields)


def interaction_body(payload: dict[str, Any]) -> str:
    """`payload=<url-encoded JSON>`, as Slack posts every interaction."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def signature(body: str, signing_secret: str, timestamp: int) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: str, signing_secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`; pass an old `timestamp` to test replay protection."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json"
        if body.startswith("{")
        else "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(body, signing_secret, ts),
    }

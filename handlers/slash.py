"""The `/rtb` slash command: ack at once, then parse → run → render → respond in the background."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import CommandCall, Deps
from handlers.listeners import ack_then
from handlers.parse import find_command, parse, tokenize
from handlers.render.general import (
    render_backend_unavailable,
    render_internal_error,
    render_user_error,
)
from handlers.render.message import Message
from handlers.spec import Command
from handlers.table import TABLE
from ops.errors import BackendUnavailable, UserError

log = structlog.get_logger(__name__)


def register(app: AsyncApp, table: Mapping[str, Command] = TABLE) -> None:
    async def work(
        deps: Deps, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await run_slash(deps, body, table, respond, client)

    app.command("/rtb")(ack_then(work, name=lambda body: f"rtb {body.get('text', '')[:40]}"))


async def run_slash(
    deps: Deps,
    body: dict[str, Any],
    table: Mapping[str, Command],
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    correlation_id = uuid.uuid4().hex[:12]
    text = (body.get("text") or "").strip() or "help"
    user_id, channel_id = body.get("user_id", ""), body.get("channel_id", "")
    with structlog.contextvars.bound_contextvars(
        user=user_id, command=text.split(" ", 1)[0], correlation_id=correlation_id
    ):
        log.info("command received", channel=channel_id)
        call = CommandCall(
            deps,
            user_id,
            channel_id,
            {},
            correlation_id,
            table,
            trigger_id=body.get("trigger_id", ""),  # a modal (the approval reason) needs it
            client=client,
            respond=respond,  # follow-ups after the answer (a rollout's progress)
        )
        # heavy work, answer included, takes turns (see TaskTracker); light commands never wait;
        # a change takes its turn itself, once a form it needs is open (handlers.forms)
        async with nullcontext() if _own_turn(text, table) else deps.tasks.slot():
            message = await answer(deps, lambda: _run(call, text), correlation_id)
            await deliver(message, respond, client, channel_id)


async def _run(call: CommandCall, text: str) -> Message:
    parsed = parse(text, call.table)
    return await parsed.command.run(replace(call, values=parsed.values))


def _own_turn(text: str, table: Mapping[str, Command]) -> bool:
    """A light command, one that will only get its usage back, or a change: a change opens
    the form it may need at once (Slack's trigger id lasts 3 s), then takes a turn for the
    part that reads and writes the backends."""
    try:
        command = find_command(tokenize(text), table)[0]
    except UserError:
        return True
    return command.light or command.mutating


async def answer(
    deps: Deps, work: Callable[[], Awaitable[Message]], correlation_id: str
) -> Message:
    """Run `work`; every failure becomes a message that is safe to show (STYLE rule 6)."""
    try:
        return await work()
    except UserError as exc:
        return render_user_error(exc)
    except BackendUnavailable as exc:
        log.warning("backend unavailable", backend=exc.backend, reason=exc.reason)
        return render_backend_unavailable(exc)
    except Exception:
        deps.unexpected_errors += 1
        log.exception("command failed")
        return render_internal_error(correlation_id)


async def deliver(
    message: Message, respond: AsyncRespond, client: AsyncWebClient, channel_id: str
) -> None:
    try:
        answered = await respond(
            text=message.text,
            blocks=message.blocks_json(),
            response_type="ephemeral" if message.ephemeral else "in_channel",
            replace_original=False,
        )
        if answered.status_code >= 300:  # e.g. the response_url expired (30 min) or was used up
            log.error("could not deliver the answer", status=answered.status_code)
        for filename, content in message.files:
            await client.files_upload_v2(channel=channel_id, filename=filename, content=content)
    except Exception:
        log.exception("could not deliver the answer")

"""The `/rtb` slash command: ack at once, then parse → run → render → respond in the background."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import TypeVar

import structlog
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import CommandCall, Deps
from handlers.listeners import Incoming, ack_then
from handlers.parse import find_command, parse, tokenize
from handlers.render.general import (
    render_backend_unavailable,
    render_internal_error,
    render_user_error,
)
from handlers.render.message import Message
from handlers.replies import Reply
from handlers.spec import Command
from handlers.table import TABLE
from ops.errors import BackendError, UserError

log = structlog.get_logger(__name__)
T = TypeVar("T")


def register(app: AsyncApp, table: Mapping[str, Command] = TABLE) -> None:
    async def work(incoming: Incoming) -> None:
        typed = Typed.of(incoming, str(incoming.payload.get("text") or ""))
        await run_slash(incoming.deps, typed, table, incoming.reply)

    app.command("/rtb")(ack_then(work, name=lambda i: f"rtb {i.payload.get('text', '')[:40]}"))


@dataclass(frozen=True)
class Typed:
    """`/rtb <text>` from `user` in `channel`: typed, or a button/playbook line run as typed."""

    text: str
    user: str
    channel: str
    correlation_id: str
    trigger_id: str = ""  # a modal (the approval reason) needs it; "" where none can open
    client: AsyncWebClient | None = None

    @classmethod
    def of(cls, incoming: Incoming, text: str) -> Typed:
        return cls(
            text,
            incoming.user,
            incoming.channel,
            incoming.correlation_id,
            incoming.trigger_id,
            incoming.client,
        )


async def run_slash(deps: Deps, typed: Typed, table: Mapping[str, Command], reply: Reply) -> None:
    text = typed.text.strip() or "help"
    with structlog.contextvars.bound_contextvars(command=text.split(" ", 1)[0]):
        log.info("command received", channel=typed.channel)
        call = CommandCall(
            deps,
            typed.user,
            typed.channel,
            {},
            typed.correlation_id,
            table,
            trigger_id=typed.trigger_id,
            client=typed.client,
            reply=reply,  # the answer, and follow-ups after it (a rollout's progress)
        )
        # heavy work, answer included, takes turns (see TaskTracker); light commands never wait;
        # a change takes its turn itself, once a form it needs is open (handlers.forms)
        async with nullcontext() if _own_turn(text, table) else deps.tasks.slot():
            message = await answer(deps, lambda: _run(call, text), typed.correlation_id)
            await reply.answer(message)


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

    async def with_nothing_decided() -> tuple[None, Message]:
        return None, await work()

    return (await attempt(deps, with_nothing_decided, correlation_id))[1]


async def attempt(
    deps: Deps, work: Callable[[], Awaitable[tuple[T, Message]]], correlation_id: str
) -> tuple[T | None, Message]:
    """`answer` for work that also returns what it decided (a gate outcome): None with the
    failure's message when it failed."""
    try:
        return await work()
    except UserError as exc:
        return None, render_user_error(exc)
    except BackendError as exc:
        log.warning("backend unavailable", backend=exc.backend, reason=exc.reason)
        return None, render_backend_unavailable(exc)
    except Exception:
        deps.unexpected_errors += 1
        log.exception("command failed")
        return None, render_internal_error(correlation_id)

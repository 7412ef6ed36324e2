"""Ack first, always: the one shape of every listener that does work.

Bolt runs with `process_before_response=True`, so a listener's return is the ack Slack waits
for (3 s at most, and backends are slowest during incidents). A listener therefore only acks
and hands the work to the tracked background tasks; this is that listener.

The work gets the request as Bolt hands it over (`Incoming`): who and where from Bolt's
context, what from Bolt's `payload` (the command, the clicked action, the submitted view, the
event), the correlation id the app's middleware bound once for the whole request
(`bind_request`), and the one place its answers go (`handlers.replies.Reply`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps
from handlers.replies import Reply

Listener = Callable[..., Awaitable[None]]


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:12]


async def bind_request(context: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
    """Bolt middleware: one correlation id per request, the worker's when it bound one before
    dispatching (its "request not handled" answer names the same id). Bolt runs the listener
    after the middleware returns, so the id travels in Bolt's context; the listener's task binds
    it to its logs (`ack_then`)."""
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    context["correlation_id"] = str(bound or new_correlation_id())
    await next()


@dataclass(frozen=True)
class Incoming:
    """One request from Slack: who, where, what, and where its answers go."""

    deps: Deps
    client: AsyncWebClient
    user: str
    channel: str  # "" for a modal's submission, the Home tab
    correlation_id: str
    trigger_id: str  # opens a modal within 3 s
    payload: dict[str, Any]  # Bolt's: the command, the clicked action, the view, the event
    reply: Reply

    def value(self, limit: int) -> str:
        """The clicked button's value, cut at `limit` (a value names, it never carries)."""
        return str(self.payload.get("value", ""))[:limit]

    @property
    def action_id(self) -> str:
        return str(self.payload.get("action_id", ""))


Work = Callable[[Incoming], Coroutine[Any, Any, None]]


def ack_then(work: Work, *, name: Callable[[Incoming], str]) -> Listener:
    """A listener that acks, then runs `work(incoming)` in the background."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        payload: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
        respond: AsyncRespond | None = None,
    ) -> None:
        await ack()
        incoming = incoming_of(body, payload, client, context, respond)
        incoming.deps.tasks.spawn(_logged_as(incoming, work), name=name(incoming))

    return listener


async def _logged_as(incoming: Incoming, work: Work) -> None:
    """In the task's own context: every log line of the work (and of the tasks it starts)
    names the request's correlation id and user."""
    structlog.contextvars.bind_contextvars(
        correlation_id=incoming.correlation_id, user=incoming.user
    )
    await work(incoming)


def incoming_of(
    body: dict[str, Any],
    payload: dict[str, Any],
    client: AsyncWebClient,
    context: dict[str, Any],
    respond: AsyncRespond | None,
) -> Incoming:
    user, channel = str(context.get("user_id") or ""), str(context.get("channel_id") or "")
    return Incoming(
        deps=context["deps"],
        client=client,
        user=user,
        channel=channel,
        correlation_id=str(context.get("correlation_id") or new_correlation_id()),
        trigger_id=str(body.get("trigger_id", "")),
        payload=payload if isinstance(payload, dict) else {},
        reply=Reply(client, user, channel, respond),
    )


def action_pattern(action: str) -> re.Pattern[str]:
    """`action` and `action.N`: several buttons of one kind in one block each get a number
    (Slack refuses a block whose buttons share an action_id)."""
    return re.compile(rf"^{re.escape(action)}(\.\d{{1,2}})?$")

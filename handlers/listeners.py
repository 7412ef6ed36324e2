"""Ack first, always: the one shape of every listener that does work.

Bolt runs with `process_before_response=True`, so a listener's return is the ack Slack waits
for (3 s at most, and backends are slowest during incidents). A listener therefore only acks
and hands the work to the tracked background tasks; this is that listener.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps

Work = Callable[[Deps, dict[str, Any], AsyncRespond, AsyncWebClient], Coroutine[Any, Any, None]]
Listener = Callable[..., Awaitable[None]]


def ack_then(work: Work, *, name: Callable[[dict[str, Any]], str]) -> Listener:
    """A listener that acks, then runs `work(deps, body, respond, client)` in the background."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        await ack()
        deps: Deps = context["deps"]
        deps.tasks.spawn(work(deps, body, respond, client), name=name(body))

    return listener


def action_pattern(action: str) -> re.Pattern[str]:
    """`action` and `action.N`: several buttons of one kind in one block each get a number
    (Slack refuses a block whose buttons share an action_id)."""
    return re.compile(rf"^{re.escape(action)}(\.\d{{1,2}})?$")

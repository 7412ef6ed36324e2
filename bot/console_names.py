"""Names for the IDs in what the console prints: `@lead1`, not `@ULEAD1`; `#rtb-alerts`, not
`#C_ALERTS`.

The console's users by name (the sandbox's, or RTB_CONSOLE_USERS) are known at once: they are
the names `/as` takes. Any other ID is asked of the Slack the bot talks to (`users.info`,
`conversations.info`: the sandbox's fake Slack, which knows the sandbox's users and channels)
once, before the output that mentions it is printed, and the answer is kept for the session.
A lookup that fails or does not answer in `LOOKUP_SECONDS` leaves the ID as it is: a name is a
nicety, never a reason not to print what the bot said.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

log = structlog.get_logger(__name__)

LOOKUP_SECONDS = 2.0
_MENTIONED = re.compile(r"<([@#])([A-Z0-9_]+)")  # in a message's JSON: `<@U…` and `<#C…`


class SlackNames:
    """`user(id)` / `channel(id)` for the renderer (see bot.console_text.Names); `learn(text)`
    first, for the IDs `text` mentions."""

    def __init__(self, client: AsyncWebClient, users: Mapping[str, str]) -> None:
        """`users`: name → user ID, as the console knows them."""
        self._client = client
        self._users: dict[str, str | None] = {user_id: name for name, user_id in users.items()}
        self._channels: dict[str, str | None] = {}

    def user(self, user_id: str) -> str | None:
        return self._users.get(user_id)

    def channel(self, channel_id: str) -> str | None:
        return self._channels.get(channel_id)

    async def learn(self, text: str) -> None:
        """Ask Slack about each ID `text` mentions that was never asked about."""
        mentioned = set(_MENTIONED.findall(text))
        await self.learn_ids(
            users=sorted(i for sigil, i in mentioned if sigil == "@"),
            channels=sorted(i for sigil, i in mentioned if sigil == "#"),
        )

    async def learn_ids(self, *, users: Iterable[str] = (), channels: Iterable[str] = ()) -> None:
        for user_id in users:
            if user_id not in self._users:
                self._users[user_id] = await _ask(self._client.users_info(user=user_id))
        for channel_id in channels:
            if channel_id not in self._channels:
                asked = self._client.conversations_info(channel=channel_id)
                self._channels[channel_id] = await _ask(asked)


async def _ask(lookup: Awaitable[AsyncSlackResponse]) -> str | None:
    try:
        async with asyncio.timeout(LOOKUP_SECONDS):
            answer = await lookup
    except Exception as exc:  # the ID is shown instead; the log says why (never the text)
        log.info("console: a name lookup failed", error=type(exc).__name__)
        return None
    return _name_in(answer.data if isinstance(answer.data, dict) else {})


def _name_in(answer: dict[str, Any]) -> str | None:
    """What Slack shows: a user's display name (else real name, else handle); a channel's name."""
    user = answer.get("user")
    if isinstance(user, dict):
        profile = user.get("profile") or {}
        shown = profile.get("display_name") or user.get("real_name") or user.get("name")
        return str(shown) if shown else None
    channel = answer.get("channel")
    name = channel.get("name") if isinstance(channel, dict) else None
    return str(name) if name else None

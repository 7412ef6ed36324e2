"""Answers that go to one user only, when there is no response_url to answer through."""

from __future__ import annotations

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from handlers.render.message import Message

log = structlog.get_logger(__name__)


async def post_privately(
    client: AsyncWebClient, channel: str | None, user: str, message: Message
) -> None:
    """Ephemeral where the user is; a DM when we do not know where that is."""
    try:
        if channel:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=message.text, blocks=message.blocks_json()
            )
        else:
            await client.chat_postMessage(
                channel=user, text=message.text, blocks=message.blocks_json()
            )
    except Exception:
        log.exception("could not answer the user")

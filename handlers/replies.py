"""Answers that go to one user only, when there is no response_url to answer through."""

from __future__ import annotations

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.render.message import Message

log = structlog.get_logger(__name__)

# Where Slack will not show the bot's ephemeral message: a DM between two people or a private
# channel without the bot (channel_not_found), a channel it left, one the user is not in.
NOT_THERE = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"})


async def post_privately(
    client: AsyncWebClient, channel: str | None, user: str, message: Message
) -> None:
    """Ephemeral where the user is; a DM from the bot when that place is unknown or Slack
    refuses an ephemeral there, so the requester always hears back. Every private reply that
    has no response_url goes through here."""
    if channel and not await _refused_there(client, channel, user, message):
        return
    try:
        opened = await client.conversations_open(users=user)
        await client.chat_postMessage(
            channel=str(opened["channel"]["id"]), text=message.text, blocks=message.blocks_json()
        )
    except Exception:
        log.exception("could not answer the user")


async def _refused_there(client: AsyncWebClient, channel: str, user: str, message: Message) -> bool:
    """Post the ephemeral; True only when Slack says the bot cannot post there (any other
    failure, a rate limit or bad blocks, would fail the same way in a DM: logged once)."""
    try:
        await client.chat_postEphemeral(
            channel=channel, user=user, text=message.text, blocks=message.blocks_json()
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in NOT_THERE:
            log.info("answering by DM: Slack refused an ephemeral there", error=error)
            return True
        log.exception("could not answer the user")
    except Exception:
        log.exception("could not answer the user")
    return False

"""Answers that go to one user only: through the interaction's response_url when Slack takes
it, else an ephemeral message where the user is, else a DM from the bot."""

from __future__ import annotations

import structlog
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.render.message import Message

log = structlog.get_logger(__name__)

# Where Slack will not show the bot's ephemeral message: a DM between two people or a private
# channel without the bot (channel_not_found), a channel it left, one the user is not in.
NOT_THERE = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"})


async def reply_privately(
    respond: AsyncRespond, client: AsyncWebClient, channel: str | None, user: str, message: Message
) -> None:
    """Ephemeral through the response_url; where Slack refuses it (none, used 5 times, older
    than 30 minutes), `post_privately`."""
    try:
        answered = await respond(
            text=message.text,
            blocks=message.blocks_json(),
            response_type="ephemeral",
            replace_original=False,
        )
        if answered.status_code < 300:
            return
        log.info("the response_url refused an answer", status=answered.status_code)
    except Exception:  # no response_url in this interaction
        log.info("no response_url to answer through")
    await post_privately(client, channel, user, message)


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

"""Where an answer to a person can go: the one reply path of every command, click and modal.

A `Reply` knows the places one request can be answered in, and what each still takes:
- the interaction's `response_url` (a slash command's, a button's): Slack takes 5 posts within
  30 minutes, so the uses are counted and a follow-up keeps the last one for the final state;
- the thread(s) of a message the bot posted (an approval card, a change's posted result);
- the person alone: an ephemeral message where they are, a DM from the bot where Slack will not
  show one (a DM between two people, a private channel without the bot, no channel at all).

The push side (digests, alerts, cards) posts through the outbox (handlers.outbox_sender), which
keeps a message until Slack has it; a reply is for the person who asked, now.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import structlog
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.render.message import Message

log = structlog.get_logger(__name__)

RESPONSE_URL_USES = 5  # Slack: a response_url takes 5 posts within 30 minutes
# Where Slack will not show the bot's ephemeral message: a DM between two people or a private
# channel without the bot (channel_not_found), a channel it left, one the user is not in.
NOT_THERE = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived"})
Thread = tuple[str, str]  # (channel, thread ts)


@dataclass
class Reply:
    """The answers to one request from `user` (in `channel`, when there is one)."""

    client: AsyncWebClient
    user: str
    channel: str = ""
    respond: AsyncRespond | None = None  # the interaction's response_url, if it has one
    threads: tuple[Thread, ...] = ()  # follow-ups go to these threads rather than the url
    uses: int = field(default=0)  # response_url posts so far

    async def answer(self, message: Message, *, replace_original: bool = False) -> None:
        """The answer: an ephemeral one to the person alone, a public one where they asked
        (its files uploaded to that channel); `replace_original` rewrites the clicked message
        (a prompt whose buttons must go). An answer the response_url does not take still
        reaches the person, privately: never lost."""
        if message.ephemeral and not replace_original:
            await self.privately(message)
            return
        kind = "ephemeral" if message.ephemeral else "in_channel"
        if not await self._through_url(message, kind, replace_original):
            log.warning("the answer goes privately: the response_url did not take it")
            await self._without_url(message)
        for filename, content in message.files:
            try:
                await self.client.files_upload_v2(
                    channel=self.channel, filename=filename, content=content
                )
            except Exception:
                log.exception("could not deliver the answer", file=filename)  # its file

    async def privately(self, message: Message) -> None:
        """To the person alone: through the response_url when Slack takes it (none, used 5
        times, older than 30 minutes: it does not), else an ephemeral where they are, else a
        DM, so the person always hears back."""
        if not await self._through_url(message, "ephemeral", False):
            await self._without_url(message)

    async def _without_url(self, message: Message) -> None:
        if self.channel and not await self._refused_there(message):
            return
        try:
            opened = await self.client.conversations_open(users=self.user)
            dm = str(opened["channel"]["id"])
            await self.client.chat_postMessage(
                channel=dm, text=message.text, blocks=message.blocks_json()
            )
        except Exception:
            log.exception("could not answer the user")

    async def follow_up(self, message: Message, *, final: bool) -> None:
        """A later post about the same request (a rollout's progress): in its threads, else
        through the response_url, keeping its last use for the final one."""
        if self.threads:
            for channel, ts in self.threads:
                await self._in_thread(channel, ts, message)
            return
        left = RESPONSE_URL_USES - self.uses
        if left <= 0 or (not final and left <= 1):
            return
        if not await self._through_url(message, "in_channel", False):
            log.warning("could not post a follow-up through the response_url")

    async def posted_publicly(self, message: Message) -> Reply | None:
        """Post `message` in the channel (else the person's DM); the reply aimed at its thread,
        or None when neither took it."""
        for where in (self.channel, self.user):
            if not where:
                continue
            try:
                posted = await self.client.chat_postMessage(
                    channel=where, text=message.text, blocks=message.blocks_json()
                )
            except Exception:
                log.warning("could not post a result", channel=where)
                continue
            return self.in_thread_of((str(posted["channel"]), str(posted["ts"])))
        return None

    def in_thread_of(self, *threads: Thread) -> Reply:
        return replace(self, threads=tuple(threads))

    async def _through_url(self, message: Message, kind: str, replace_original: bool) -> bool:
        if self.respond is None or self.uses >= RESPONSE_URL_USES:
            return False
        self.uses += 1
        try:
            answered = await self.respond(
                text=message.text,
                blocks=message.blocks_json(),
                response_type=kind,
                replace_original=replace_original,
            )
        except Exception:  # no response_url in this interaction, or Slack did not answer
            log.info("the response_url did not take the answer", exc_info=True)
            return False
        if answered.status_code >= 300:  # expired (30 min) or used up
            log.info("the response_url refused an answer", status=answered.status_code)
            return False
        return True

    async def _in_thread(self, channel: str, ts: str, message: Message) -> None:
        try:
            await self.client.chat_postMessage(
                channel=channel, thread_ts=ts, text=message.text, blocks=message.blocks_json()
            )
        except Exception:
            log.warning("could not post in a thread", channel=channel)

    async def _refused_there(self, message: Message) -> bool:
        """Post the ephemeral; True only when Slack says the bot cannot post there (any other
        failure, a rate limit or bad blocks, would fail the same way in a DM: logged once)."""
        try:
            await self.client.chat_postEphemeral(
                channel=self.channel,
                user=self.user,
                text=message.text,
                blocks=message.blocks_json(),
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

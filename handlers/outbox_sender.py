"""The outbox's Slack side: posts and edits what `ops.outbox` holds, in every replica.

Rules it keeps (Slack's, see TESTING.md):
- About one message per second per channel: posts to a channel are spaced by
  `per_channel_seconds` in this replica. (Two replicas may each post to one channel within the
  same second; Slack then answers 429 and the rule below applies.)
- 429 is honoured, never retried blindly: the message, and everything else waiting for that
  channel, waits for Slack's Retry-After.
- An error a retry cannot fix (`channel_not_found`, `not_in_channel`, refused blocks …) gives
  the message up, logged with the error code; anything else (Slack down, a timeout) is
  retried with a backoff (5 s doubling, at most 5 min) for as long as it takes.

Exactly once. A post that went out but whose `ts` was never recorded (this replica crashed,
or PostgreSQL failed right after Slack's ok) leaves the row `in_doubt`. Every post carries its
outbox key in Slack message metadata (`event_type: rtb_outbox`), so before posting an
in-doubt row again the sender reads the channel's newest 200 messages
(`conversations.history`, or `conversations.replies` for a thread reply) and, when the message
is there, records its `ts` instead of posting. Where that look is impossible — the channel is
configured by name and no message to it was ever recorded (history wants a channel id), or
Slack refuses the read — the sender posts anyway and logs a warning: a digest shown twice
beats a digest lost, and this needs a crash inside a window of a few milliseconds.

Files (the weekly chart) go the same way with files_upload_v2, paced and refused like posts.
Slack shares an uploaded file as a message of the bot carrying `files`; a file row found in
doubt is looked for in its thread (`conversations.replies`, a file of the same name) and
uploaded again only when it is not there. (Slack shares a file a moment after
files.completeUploadExternal answers; an in-doubt row is retried after its lease or a backoff
of at least 5 s, by when the share of an upload that went through is visible.)
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import datetime, timedelta
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from ops.outbox import Outbox, OutboxMessage

log = structlog.get_logger(__name__)

METADATA_EVENT = "rtb_outbox"
# Errors that the same call would get again: give the message up (logged).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "message_not_found",
        "cant_update_message",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "invalid_arguments",
    }
)
MAX_BACKOFF = timedelta(minutes=5)
THREAD_PARENT_WAIT = timedelta(seconds=2)
HISTORY_LIMIT = 200


class OutboxSender:
    """`run()` in the background of every replica; `nudge()` after an enqueue or update."""

    def __init__(
        self,
        outbox: Outbox,
        client: AsyncWebClient,
        replica: str,
        *,
        poll_seconds: float = 5.0,
        per_channel_seconds: float = 1.0,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.replica = replica
        self.poll_seconds = poll_seconds
        self.per_channel_seconds = per_channel_seconds
        self._wake = asyncio.Event()
        self._next_post: dict[str, float] = {}  # channel -> loop time of its next allowed post
        self._held: dict[str, datetime] = {}  # channel -> Slack's Retry-After ends (429)
        self._round = asyncio.Lock()
        self._stopping = False

    def nudge(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """`run()` returns after the round in progress (nothing is cut off mid-send)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver what is due, then wait for a nudge or `poll_seconds`; until `stop()`."""
        while not self._stopping:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:  # PostgreSQL down: the rows wait in the outbox
                log.exception("outbox round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def deliver_due(self) -> list[OutboxMessage]:
        """Post or edit every row that is due now; returns the rows handled (sent or not)."""
        handled: list[OutboxMessage] = []
        async with self._round:
            while batch := await self.outbox.lease_due(self.replica):
                for message in batch:
                    await self._deliver(message)
                handled += batch
        return handled

    async def _deliver(self, message: OutboxMessage) -> None:
        with structlog.contextvars.bound_contextvars(outbox_key=message.key):
            held = self._held.get(message.channel)
            if held is not None and held > self.outbox.clock():  # leased before the 429
                await self.outbox.retry_later(message.id, held - self.outbox.clock(), "ratelimited")
                return
            try:
                if message.is_file:
                    await self._upload(message)
                elif message.posted:
                    await self._edit(message)
                else:
                    await self._post(message)
            except SlackApiError as exc:
                await self._refused(message, exc)
            except Exception as exc:  # Slack unreachable, a timeout: the post may have landed
                log.warning("outbox send failed; retrying later", error=type(exc).__name__)
                await self.outbox.retry_later(message.id, _backoff(message), type(exc).__name__)

    async def _destination(self, message: OutboxMessage) -> tuple[str, str | None] | None:
        """(channel, thread ts) to send `message` to; None (and retried soon) while the message
        whose thread it goes to is not posted yet. A parent the sender gave up on will never
        have a thread: the reply goes to its own channel instead, never lost (and never
        retried forever)."""
        if message.thread_key is None:
            return message.channel, None
        parent = await self.outbox.get(message.thread_key)
        if parent is not None and parent.gave_up_at is not None:
            log.warning("thread parent given up; posting the reply in its channel", key=message.key)
            return message.channel, None
        if parent is None or parent.ts is None or parent.posted_channel is None:
            await self.outbox.retry_later(
                message.id,
                THREAD_PARENT_WAIT,
                "thread not posted",  # internal: a log field
            )
            return None
        return parent.posted_channel, parent.ts

    async def _post(self, message: OutboxMessage) -> None:
        destination = await self._destination(message)
        if destination is None:
            return
        channel, thread_ts = destination
        if message.in_doubt:
            found = await self._already_posted(message, channel, thread_ts)
            if found is not None:
                log.info("outbox message found already posted", ts=found[1])
                await self.outbox.mark_sent(message.id, message.version, *found)
                return
        await self._pace(channel)
        await self.outbox.mark_posting(message.id)
        answer = await self.client.chat_postMessage(
            channel=channel,
            text=message.text,
            blocks=message.blocks or None,
            thread_ts=thread_ts,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"key": message.key}},
        )
        await self.outbox.mark_sent(
            message.id, message.version, str(answer["channel"]), str(answer["ts"])
        )
        log.info("outbox message posted", channel=answer["channel"], ts=answer["ts"])

    async def _upload(self, message: OutboxMessage) -> None:
        destination = await self._destination(message)
        if destination is None:
            return
        channel, thread_ts = destination
        if message.in_doubt:
            found = await self._already_uploaded(message, channel, thread_ts)
            if found is not None:
                log.info("outbox file found already uploaded", file_id=found[1])
                await self.outbox.mark_uploaded(message.id, *found)
                return
        if message.file is None:  # bytes are dropped only once uploaded: not reached
            await self.outbox.give_up(message.id, "file_missing")
            return
        channel_id = channel if _is_id(channel) else await self.outbox.known_channel_id(channel)
        await self._pace(channel)
        await self.outbox.mark_posting(message.id)
        answer = await self.client.files_upload_v2(
            channel=channel_id or channel,
            thread_ts=thread_ts,
            content=message.file,
            filename=message.filename,
            title=message.text,
        )
        file_id = str(answer["file"]["id"])
        await self.outbox.mark_uploaded(message.id, channel_id or channel, file_id)
        log.info("outbox file uploaded", channel=channel_id or channel, file_id=file_id)

    async def _edit(self, message: OutboxMessage) -> None:
        channel, ts = message.posted_channel or message.channel, message.ts or ""
        await self.client.chat_update(
            channel=channel, ts=ts, text=message.text, blocks=message.blocks or None
        )
        await self.outbox.mark_sent(message.id, message.version, channel, ts)
        log.info("outbox message updated", channel=channel, ts=ts, version=message.version)

    async def _already_posted(
        self, message: OutboxMessage, channel: str, thread_ts: str | None
    ) -> tuple[str, str] | None:
        """(channel id, ts) of the message if an earlier attempt posted it."""
        found = await self._recent_messages(channel, thread_ts)
        if found is None:
            return None
        channel_id, messages = found
        for posted in messages:
            if _outbox_key(posted) == message.key:
                return channel_id, str(posted["ts"])
        return None

    async def _already_uploaded(
        self, message: OutboxMessage, channel: str, thread_ts: str | None
    ) -> tuple[str, str] | None:
        """(channel id, file id) of the file if an earlier attempt uploaded it."""
        found = await self._recent_messages(channel, thread_ts)
        if found is None:
            return None
        channel_id, messages = found
        for shared in messages:
            for file in shared.get("files") or []:
                if file.get("name") == message.filename and file.get("id"):
                    return channel_id, str(file["id"])
        return None

    async def _recent_messages(
        self, channel: str, thread_ts: str | None
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """(channel id, the thread's or the channel's newest messages with their metadata);
        None when Slack cannot be asked (logged)."""
        channel_id = channel if _is_id(channel) else await self.outbox.known_channel_id(channel)
        if channel_id is None:
            log.warning("cannot check whether an in-doubt message was posted: no channel id")
            return None
        try:
            if thread_ts is not None:
                answer = await self.client.conversations_replies(
                    channel=channel_id,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=HISTORY_LIMIT,
                )
            else:
                answer = await self.client.conversations_history(
                    channel=channel_id,
                    include_all_metadata=True,
                    limit=HISTORY_LIMIT,
                )
        except SlackApiError as exc:
            log.warning("cannot check whether an in-doubt message was posted", error=_code(exc))
            return None
        return channel_id, list(answer.get("messages") or [])

    async def _pace(self, channel: str) -> None:
        loop = asyncio.get_running_loop()
        wait = self._next_post.get(channel, 0.0) - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next_post[channel] = loop.time() + self.per_channel_seconds

    async def _refused(self, message: OutboxMessage, exc: SlackApiError) -> None:
        code = _code(exc)
        if exc.response.status_code == 429:
            seconds = _retry_after(exc)
            log.warning("Slack rate limit: waiting", channel=message.channel, seconds=seconds)
            until = self.outbox.clock() + timedelta(seconds=seconds)
            self._held[message.channel] = until
            await self.outbox.delay_channel(message.channel, until)
            await self.outbox.retry_later(message.id, timedelta(seconds=seconds), code)
        elif code in PERMANENT_ERRORS:
            log.error("Slack refused an outbox message; given up", error=code)
            await self.outbox.give_up(message.id, code)
        else:
            log.warning("Slack refused an outbox message; retrying later", error=code)
            await self.outbox.retry_later(message.id, _backoff(message), code)


def _backoff(message: OutboxMessage) -> timedelta:
    seconds = 5 * 2 ** min(message.attempts, 10)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _retry_after(exc: SlackApiError) -> int:
    raw = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    try:
        return max(1, int(str(raw)))
    except (TypeError, ValueError):
        return 1


def _code(exc: SlackApiError) -> str:
    data: Any = exc.response.data
    return str(data.get("error", "unknown_error")) if isinstance(data, dict) else "unknown_error"


_CONVERSATION_ID = re.compile(r"[CGD][A-Z0-9_]+")


def _is_id(channel: str) -> bool:
    """A conversation ID (`C0123ABC`), not a name: Slack's names are lower case."""
    return _CONVERSATION_ID.fullmatch(channel) is not None


def _outbox_key(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return key if isinstance(key, str) else None

"""The outbox: everything the bot posts on its own initiative, written down before it is sent.

A message is a row (`rtb_bot.outbox`) named by the caller's `key` (`daily-digest:2026-12-03`):
`enqueue` writes it, a sender in some replica posts it and records Slack's `ts`; `update`
asks for an edit of the posted message (the sender runs `chat.update` on the recorded `ts`),
and a message with a `thread_key` is a reply in that message's thread. Enqueueing a key twice
is one message, so a caller that retries cannot duplicate it.

Delivery state, so that a crash or a Slack outage loses nothing and sends nothing twice:
- A sender *leases* due rows (`FOR UPDATE SKIP LOCKED`, for `lease`): two replicas never
  work on the same row; a replica that dies mid-send leaves a lease that runs out.
- Before posting it marks the row `in_doubt`; after Slack's ok it records `ts` and clears it.
  A row found `in_doubt` later was posted by someone who could not record the answer (the
  replica crashed, or PostgreSQL failed right after Slack's ok): the sender looks for it in
  the channel first (each post carries the key in its message metadata) and posts only if it
  is not there. See `handlers/outbox_sender.py` for what happens when Slack cannot be asked.
- Retry timing (`not_before`) comes from the sender: Slack's Retry-After on 429, a backoff
  after an outage; an error that a retry cannot fix gives up (`gave_up_at`), and is logged.

A *file* is a row too (`enqueue_file`: its bytes, its filename, its title as the row's text),
delivered the same way: leased, marked in doubt before the upload, marked uploaded with
Slack's file id after it (its bytes are then dropped). An in-doubt file is looked for in its
thread (by filename) before it is uploaded again.

The blocks are stored as opaque JSON: this module does not know what they mean.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.backends.db import Database

Blocks = list[dict[str, Any]]
_COLUMNS = (
    "id, key, channel, thread_key, text, blocks, version, sent_version,"  # internal: SQL
    " posted_channel, ts, attempts, in_doubt, last_error, created_at, sent_at, gave_up_at,"
    " filename, file, file_id"
)


def as_json(value: Any) -> str | None:
    """A value for a `%s::jsonb` placeholder."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    key: str
    channel: str
    thread_key: str | None
    text: str
    blocks: Blocks
    version: int
    sent_version: int
    posted_channel: str | None
    ts: str | None
    attempts: int
    in_doubt: bool
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    gave_up_at: datetime | None
    filename: str | None = None  # a file row: uploaded under this name, `text` its title
    file: bytes | None = None  # its content until Slack has it
    file_id: str | None = None  # Slack's id of the uploaded file

    @property
    def is_file(self) -> bool:
        return self.filename is not None

    @property
    def posted(self) -> bool:
        return self.ts is not None

    @property
    def delivered(self) -> bool:
        """Slack shows the newest version."""
        return self.sent_version >= self.version


@dataclass(frozen=True)
class OutboxStats:
    waiting: int  # not yet shown as written (a post or an edit)
    given_up: int
    oldest_waiting: datetime | None


Rewrite = Callable[[Any, OutboxMessage], Awaitable[tuple[Blocks, str] | None]]


class Outbox:
    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = _utc_now,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.db = db
        self.clock = clock
        self.lease = lease

    async def enqueue(
        self, channel: str, blocks: Blocks, text: str, key: str, *, thread_key: str | None = None
    ) -> int:
        """Write the message to be sent; returns its id. The same key twice is one message
        (the first one's content stands)."""
        row = await self.db.fetch_one(
            "INSERT INTO rtb_bot.outbox (key, channel, thread_key, text, blocks, not_before)"
            " VALUES (%s, %s, %s, %s, %s::jsonb, %s) ON CONFLICT (key) DO NOTHING RETURNING id",
            (key, channel, thread_key, text, as_json(blocks), self.clock()),
        )
        if row is None:
            row = await self.db.fetch_one("SELECT id FROM rtb_bot.outbox WHERE key = %s", (key,))
        if row is None:  # the key existed a moment ago; outbox rows are never deleted
            raise LookupError(key)
        return int(row["id"])

    async def enqueue_file(
        self,
        channel: str,
        content: bytes,
        filename: str,
        title: str,
        key: str,
        *,
        thread_key: str | None = None,
    ) -> int:
        """Write a file to be uploaded (into `thread_key`'s thread when given); returns its id.
        The same key twice is one file. `filename` must be unique in its thread: it is how an
        upload whose outcome was lost is recognised there."""
        row = await self.db.fetch_one(
            "INSERT INTO rtb_bot.outbox (key, channel, thread_key, text, filename, file,"
            " not_before) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (key) DO NOTHING RETURNING id",
            (key, channel, thread_key, title, filename, content, self.clock()),
        )
        if row is None:
            row = await self.db.fetch_one("SELECT id FROM rtb_bot.outbox WHERE key = %s", (key,))
        if row is None:
            raise LookupError(key)
        return int(row["id"])

    async def update(self, key: str, blocks: Blocks, text: str | None = None) -> bool:
        """Replace the message's content; the sender edits the posted message (or posts the
        new content if it was not sent yet). False when no message has that key (or it is
        a file)."""
        changed = await self.db.execute(
            "UPDATE rtb_bot.outbox SET blocks = %s::jsonb, text = coalesce(%s, text),"
            " version = version + 1, not_before = least(not_before, %s)"
            " WHERE key = %s AND filename IS NULL",  # a file is uploaded once, never edited
            (as_json(blocks), text, self.clock(), key),
        )
        return changed == 1

    async def rewrite(self, key: str, change: Rewrite) -> OutboxMessage | None:
        """Edit a message from its current content, one writer at a time: `change(conn,
        message)` runs inside a transaction holding the row's lock (statements it runs on
        `conn` commit together with the edit) and returns the new (blocks, text), or None to
        leave the message as it is. Returns the message as it now stands (None: no such key)."""
        async with self.db.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM rtb_bot.outbox WHERE key = %s FOR UPDATE", (key,)
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            message = _message(row)
            new = await change(conn, message)
            if new is None:
                return message
            cursor = await conn.execute(
                "UPDATE rtb_bot.outbox SET blocks = %s::jsonb, text = %s, version = version + 1,"
                f" not_before = least(not_before, %s) WHERE key = %s RETURNING {_COLUMNS}",
                (as_json(new[0]), new[1], self.clock(), key),
            )
            updated = await cursor.fetchone()
            return _message(updated) if updated else message

    async def get(self, key: str) -> OutboxMessage | None:
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM rtb_bot.outbox WHERE key = %s", (key,)
        )
        return None if row is None else _message(row)

    async def stats(self) -> OutboxStats:
        row = await self.db.fetch_one(
            "SELECT count(*) FILTER (WHERE sent_version < version AND gave_up_at IS NULL) AS w,"
            " count(*) FILTER (WHERE gave_up_at IS NOT NULL) AS g, min(created_at) FILTER"
            " (WHERE sent_version < version AND gave_up_at IS NULL) AS o FROM rtb_bot.outbox"
        )
        assert row is not None  # an aggregate always returns one row
        return OutboxStats(int(row["w"]), int(row["g"]), row["o"])

    async def known_channel_id(self, channel: str) -> str | None:
        """The id Slack answered for a channel configured by name (recorded by a post)."""
        row = await self.db.fetch_one(
            "SELECT posted_channel FROM rtb_bot.outbox WHERE channel = %s"
            " AND posted_channel IS NOT NULL LIMIT 1",
            (channel,),
        )
        return None if row is None else str(row["posted_channel"])

    async def lease_due(self, replica: str, limit: int = 10) -> list[OutboxMessage]:
        """Rows that need a post or an edit, oldest first, leased to `replica`."""
        now = self.clock()
        rows = await self.db.fetch(
            "UPDATE rtb_bot.outbox SET leased_by = %(replica)s, lease_until = %(until)s"
            " WHERE id IN (SELECT id FROM rtb_bot.outbox WHERE sent_version < version"
            " AND gave_up_at IS NULL AND not_before <= %(now)s"
            " AND (lease_until IS NULL OR lease_until <= %(now)s)"
            " ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
            f" RETURNING {_COLUMNS}",
            {"replica": replica, "until": now + self.lease, "now": now, "limit": limit},
        )
        return sorted((_message(row) for row in rows), key=lambda m: m.id)

    async def mark_posting(self, message_id: int) -> None:
        """Called right before the post: from here on, the outcome is in doubt until recorded."""
        await self.db.execute(
            "UPDATE rtb_bot.outbox SET in_doubt = true, attempts = attempts + 1 WHERE id = %s",
            (message_id,),
        )

    async def mark_sent(self, message_id: int, version: int, channel: str, ts: str) -> None:
        """Slack shows `version` at (channel, ts); the lease is released."""
        await self.db.execute(
            "UPDATE rtb_bot.outbox SET sent_version = greatest(sent_version, %s),"
            " posted_channel = %s, ts = %s, in_doubt = false, last_error = NULL,"
            " sent_at = coalesce(sent_at, %s), lease_until = NULL WHERE id = %s",
            (version, channel, ts, self.clock(), message_id),
        )

    async def mark_uploaded(self, message_id: int, channel: str, file_id: str) -> None:
        """Slack has the file (`file_id`, shared in `channel`): its bytes are dropped."""
        await self.db.execute(
            "UPDATE rtb_bot.outbox SET sent_version = version, posted_channel = %s,"
            " file_id = %s, file = NULL, in_doubt = false, last_error = NULL,"
            " sent_at = coalesce(sent_at, %s), lease_until = NULL WHERE id = %s",
            (channel, file_id, self.clock(), message_id),
        )

    async def retry_later(self, message_id: int, delay: timedelta, error: str) -> None:
        """Not sent this time (Slack's rate limit, an outage): try again after `delay`."""
        await self.db.execute(
            "UPDATE rtb_bot.outbox SET not_before = %s, last_error = %s, lease_until = NULL"
            " WHERE id = %s",
            (self.clock() + delay, error, message_id),
        )

    async def give_up(self, message_id: int, error: str) -> None:
        """An error that retrying cannot fix (the channel does not exist, the blocks are
        refused): the row stays, with the error, and is never sent."""
        await self.db.execute(
            "UPDATE rtb_bot.outbox SET gave_up_at = %s, last_error = %s, in_doubt = false,"
            " lease_until = NULL WHERE id = %s",
            (self.clock(), error, message_id),
        )

    async def delay_channel(self, channel: str, until: datetime) -> None:
        """Slack said to wait (Retry-After): nothing more goes to `channel` before `until`."""
        await self.db.execute(
            "UPDATE rtb_bot.outbox SET not_before = greatest(not_before, %s)"
            " WHERE channel = %s AND sent_version < version AND gave_up_at IS NULL",
            (until, channel),
        )


def _message(row: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        key=row["key"],
        channel=row["channel"],
        thread_key=row["thread_key"],
        text=row["text"],
        blocks=list(row["blocks"] or []),
        version=row["version"],
        sent_version=row["sent_version"],
        posted_channel=row["posted_channel"],
        ts=row["ts"],
        attempts=row["attempts"],
        in_doubt=row["in_doubt"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        gave_up_at=row["gave_up_at"],
        filename=row["filename"],
        file=None if row["file"] is None else bytes(row["file"]),
        file_id=row["file_id"],
    )

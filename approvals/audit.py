"""The bot's own audit log: every request, refusal, decision, execution and result.

Rows are append-only for the bot (its runtime role may only INSERT and SELECT; triggers refuse
UPDATE, DELETE and TRUNCATE to anyone else) and chained with a **keyed** hash, so whoever gets
past the grants and triggers (the owner role, a DBA) still cannot edit, remove or reorder a row
unnoticed without the HMAC key, which lives in the bot's environment, never in the database:

    hash = HMAC(key[key_id], prev_hash + canonical JSON of the row's content + key_id + prev_id)

Each row names the row it follows (`prev_id`), so `verify_chain` tells an edited row (even one
whose hash was recomputed: the next row's link no longer fits it) from removed and reordered
ones. Rows cut from the newest end, or a chain rebuilt from scratch by someone holding the key,
are found through the anchors (approvals/anchoring.py): the chain's head copied outside the
database. Rows written before the keys existed (`key_id` NULL) keep their unkeyed SHA-256 hash;
an unkeyed row after a keyed one is a forgery.

Appends are serialised with a transaction-level advisory lock, so replicas never fork the chain.
A state change and its audit row are written in one transaction (`append(event, conn)`).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from approvals.mutations import canonical_json
from approvals.signing import SigningKeys
from approvals.sql import Connection, Row, as_json, fetch_all, fetch_one
from ops.backends.db import Database

GENESIS = "0" * 64
_AUDIT_LOCK = 0x52_54_42_01  # pg_advisory_xact_lock key: "RTB\1"
_CONTENT_COLUMNS = ("id", "at", "actor", "env", "action", "params", "digest", "outcome")
_CONTENT = ", ".join((*_CONTENT_COLUMNS, "correlation_id", "approval_id", "detail"))
_CHAIN = ", ".join((_CONTENT, "key_id", "prev_id", "prev_hash", "hash"))

Problem = Literal[
    "edited",  # the row's content (or its hash) is not what was signed
    "unsigned",  # an unkeyed row after keyed ones: written past the bot, by someone without the key
    # internal: codes `rtb-bot audit verify` prints (a deployer's English CLI), never shown in Slack
    "unknown key",  # internal: signed with a key id that is not configured (AUDIT_HMAC_KEYS)
    "missing before",  # internal: the row it follows is gone
    "reordered",  # the row it follows exists, but elsewhere in the chain
    "cut",  # an anchored row is gone from the newest end
    "rebuilt",  # an anchored row has another hash now: the chain was rebuilt
]
UNKNOWN_KEY: Problem = "unknown key"  # internal: a chain code
MISSING_BEFORE: Problem = "missing before"  # internal: a chain code


@dataclass(frozen=True)
class AuditEvent:
    actor: str  # Slack user id, or "rtb-bot" for the bot's own housekeeping
    action: str  # the mutation (`scale`) or command
    outcome: str  # requested, refused, approved, vote, rejected, cancelled, expired, executing,
    # succeeded, failed, unknown
    env: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    digest: str | None = None
    correlation_id: str | None = None
    approval_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)  # rule, reason, result …


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    event: AuditEvent


@dataclass(frozen=True)
class AuditPage:
    records: tuple[AuditRecord, ...]
    offset: int  # how many newer records precede this page
    total: int  # records matching the filters, all pages

    def __iter__(self) -> Iterator[AuditRecord]:
        """A page reads as its records, newest first."""
        return iter(self.records)


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken_at: int | None = None
    problem: Problem | None = None
    head: ChainHead | None = None  # the newest row (None: empty log)
    anchored_at: str | None = None  # "cut" / "rebuilt": when the mismatching anchor was made
    anchored_up_to: int | None = None  # the newest anchored row (None: anchors not checked)

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def iso_utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _content(event_id: int, at: datetime, event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event_id,
        "at": iso_utc(at),
        "actor": event.actor,
        "env": event.env,
        "action": event.action,
        "params": dict(event.params),
        "digest": event.digest,
        "outcome": event.outcome,
        "correlation_id": event.correlation_id,
        "approval_id": event.approval_id,
        "detail": dict(event.detail),
    }


def event_hash(prev_hash: str, event_id: int, at: datetime, event: AuditEvent) -> str:
    """The unkeyed hash of rows written before the keys (`key_id` NULL)."""
    content = canonical_json(_content(event_id, at, event))
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def signed_message(
    prev_hash: str,
    prev_id: int | None,
    key_id: str,
    event_id: int,
    at: datetime,
    event: AuditEvent,
) -> str:
    """What a keyed row's HMAC covers: its content, the key id and the link to its predecessor."""
    content = {**_content(event_id, at, event), "key_id": key_id, "prev_id": prev_id}
    return prev_hash + canonical_json(content)


class AuditLog:
    def __init__(self, db: Database, keys: SigningKeys) -> None:
        self.db = db
        self.keys = keys

    async def append(self, event: AuditEvent, conn: Connection | None = None) -> int:
        """Append `event`; on `conn` (inside its transaction, if one is open) when given."""
        if conn is not None:
            async with conn.transaction():  # a savepoint inside the caller's transaction
                return await _append_locked(conn, event, self.keys)
        async with self.db.connection() as own, own.transaction():
            return await _append_locked(own, event, self.keys)

    async def head(self) -> ChainHead | None:
        row = await self.db.fetch_one(
            "SELECT id, hash FROM rtb_bot.audit_events ORDER BY id DESC LIMIT 1"
        )
        return ChainHead(row["id"], row["hash"]) if row else None

    async def search(
        self,
        since: datetime,
        *,
        user: str | None = None,
        env: str | None = None,
        limit: int = 30,
        offset: int = 0,
    ) -> AuditPage:
        """Newest first: `limit` records after skipping `offset`, and how many match in all."""
        rows = await self.db.fetch(
            f"SELECT {_CONTENT}, count(*) OVER () AS total FROM rtb_bot.audit_events"
            " WHERE at >= %s"
            " AND (%s::text IS NULL OR actor = %s) AND (%s::text IS NULL OR env = %s)"
            " ORDER BY id DESC LIMIT %s OFFSET %s",
            (since, user, user, env, env, limit, offset),
        )
        records = tuple(AuditRecord(row["id"], row["at"], _event(row)) for row in rows)
        total = int(rows[0]["total"]) if rows else await self._count(since, user, env)
        return AuditPage(records, offset, total)

    async def _count(self, since: datetime, user: str | None, env: str | None) -> int:
        """A page past the end has no rows to carry the total."""
        row = await self.db.fetch_one(
            "SELECT count(*) AS total FROM rtb_bot.audit_events WHERE at >= %s"
            " AND (%s::text IS NULL OR actor = %s) AND (%s::text IS NULL OR env = %s)",
            (since, user, user, env, env),
        )
        return int(row["total"]) if row else 0


async def _append_locked(conn: Connection, event: AuditEvent, keys: SigningKeys) -> int:
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_AUDIT_LOCK,))
    last = await fetch_one(
        conn, "SELECT id, hash FROM rtb_bot.audit_events ORDER BY id DESC LIMIT 1"
    )
    prev_id, prev_hash = (last["id"], last["hash"]) if last else (None, GENESIS)
    next_id = await fetch_one(
        conn, "SELECT nextval(pg_get_serial_sequence('rtb_bot.audit_events', 'id')) AS id"
    )
    assert next_id is not None
    event_id, at = int(next_id["id"]), datetime.now(UTC)
    key_id, mac = keys.sign(signed_message(prev_hash, prev_id, keys.current, event_id, at, event))
    await conn.execute(
        f"INSERT INTO rtb_bot.audit_events ({_CHAIN}) VALUES"
        " (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s)",
        (
            event_id,
            at,
            event.actor,
            event.env,
            event.action,
            as_json(dict(event.params)),
            event.digest,
            event.outcome,
            event.correlation_id,
            event.approval_id,
            as_json(dict(event.detail)),
            key_id,
            prev_id,
            prev_hash,
            mac,
        ),
    )
    return event_id


def _event(row: Row) -> AuditEvent:
    return AuditEvent(
        actor=row["actor"],
        action=row["action"],
        outcome=row["outcome"],
        env=row["env"],
        params=row["params"] or {},
        digest=row["digest"],
        correlation_id=row["correlation_id"],
        approval_id=row["approval_id"],
        detail=row["detail"] or {},
    )


async def verify_chain(db: Database, keys: SigningKeys, batch: int = 1000) -> ChainReport:
    """Walk the chain oldest first; the first row that does not fit names the break and why.

    A row whose own hash does not check is `edited` (or `unsigned` / `unknown key`). A row
    whose hash checks but whose link does not: if it names the row just before it as its
    predecessor, that row was edited and its hash recomputed (it is the one named); if the
    row it names exists elsewhere, the chain was `reordered`; if it is gone, `missing before`.
    """
    prev: Row | None = None
    count, keyed_seen = 0, False
    async for row in _rows(db, batch):
        count += 1
        problem = _own_problem(row, keys, keyed_seen)
        if problem is not None:
            return ChainReport(count, row["id"], problem)
        keyed_seen = keyed_seen or row["key_id"] is not None
        broken = await _link_problem(db, prev, row)
        if broken is not None:
            return ChainReport(count, *broken)
        prev = row
    head = ChainHead(prev["id"], prev["hash"]) if prev else None
    return ChainReport(count, head=head)


def _own_problem(row: Row, keys: SigningKeys, keyed_seen: bool) -> Problem | None:
    event, key_id = _event(row), row["key_id"]
    if key_id is None:
        if keyed_seen:
            return "unsigned"
        legacy = event_hash(row["prev_hash"], row["id"], row["at"], event)
        return None if legacy == row["hash"] else "edited"
    message = signed_message(row["prev_hash"], row["prev_id"], key_id, row["id"], row["at"], event)
    check = keys.check(key_id, message, row["hash"])
    return None if check == "ok" else "edited" if check == "mismatch" else UNKNOWN_KEY


async def _link_problem(db: Database, prev: Row | None, row: Row) -> tuple[int, Problem] | None:
    expected_hash = prev["hash"] if prev else GENESIS
    if row["key_id"] is None or row["prev_id"] is None:  # unkeyed, or the very first row
        return None if row["prev_hash"] == expected_hash else (row["id"], MISSING_BEFORE)
    if prev is not None and row["prev_id"] == prev["id"]:
        return None if row["prev_hash"] == expected_hash else (prev["id"], "edited")
    named = await db.fetch_one(
        "SELECT id FROM rtb_bot.audit_events WHERE id = %s", (row["prev_id"],)
    )
    return row["id"], "reordered" if named else MISSING_BEFORE


async def _rows(db: Database, batch: int) -> AsyncIterator[Row]:
    last_id = 0
    while True:
        async with db.connection() as conn:
            rows = await fetch_all(
                conn,
                f"SELECT {_CHAIN} FROM rtb_bot.audit_events WHERE id > %s ORDER BY id LIMIT %s",
                (last_id, batch),
            )
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        last_id = rows[-1]["id"]

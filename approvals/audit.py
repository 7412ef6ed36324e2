"""The bot's own audit log: every request, refusal, decision, execution and result.

Rows are append-only (triggers refuse UPDATE, DELETE and TRUNCATE) and hash-chained, so whoever
can get past the triggers still cannot edit or remove a row unnoticed — except the newest rows:
cutting the tail leaves a shorter chain that is still valid (nothing anchors its end).

    hash = sha256(prev_hash + canonical JSON of the row's content, `at` in ISO UTC)

Appends are serialised with a transaction-level advisory lock, so replicas never fork the chain.
A state change and its audit row are written in one transaction (`append(event, conn)`).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from approvals.mutations import canonical_json
from approvals.sql import Connection, Row, as_json, fetch_all, fetch_one
from ops.backends.db import Database

GENESIS = "0" * 64
_AUDIT_LOCK = 0x52_54_42_01  # pg_advisory_xact_lock key: "RTB\1"
_CONTENT = (
    "id, at, actor, env, action, params, digest, outcome, correlation_id, approval_id, detail"
)


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
class ChainReport:
    events: int
    broken_at: int | None = None
    problem: Literal["edited", "missing before"] | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def iso_utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, event_id: int, at: datetime, event: AuditEvent) -> str:
    content = {
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
    return hashlib.sha256((prev_hash + canonical_json(content)).encode()).hexdigest()


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(self, event: AuditEvent, conn: Connection | None = None) -> int:
        """Append `event`; on `conn` (inside its transaction, if one is open) when given."""
        if conn is not None:
            async with conn.transaction():  # a savepoint inside the caller's transaction
                return await _append_locked(conn, event)
        async with self.db.connection() as own, own.transaction():
            return await _append_locked(own, event)

    async def search(
        self,
        since: datetime,
        *,
        user: str | None = None,
        env: str | None = None,
        limit: int = 30,
    ) -> list[AuditRecord]:
        """Newest first."""
        rows = await self.db.fetch(
            f"SELECT {_CONTENT} FROM rtb_bot.audit_events WHERE at >= %s"
            " AND (%s::text IS NULL OR actor = %s) AND (%s::text IS NULL OR env = %s)"
            " ORDER BY id DESC LIMIT %s",
            (since, user, user, env, env, limit),
        )
        return [AuditRecord(row["id"], row["at"], _event(row)) for row in rows]


async def _append_locked(conn: Connection, event: AuditEvent) -> int:
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_AUDIT_LOCK,))
    last = await fetch_one(conn, "SELECT hash FROM rtb_bot.audit_events ORDER BY id DESC LIMIT 1")
    prev_hash = last["hash"] if last else GENESIS
    next_id = await fetch_one(
        conn, "SELECT nextval(pg_get_serial_sequence('rtb_bot.audit_events', 'id')) AS id"
    )
    assert next_id is not None
    event_id, at = int(next_id["id"]), datetime.now(UTC)
    await conn.execute(
        f"INSERT INTO rtb_bot.audit_events ({_CONTENT}, prev_hash, hash)"
        " VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s::jsonb, %s, %s)",
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
            prev_hash,
            event_hash(prev_hash, event_id, at, event),
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


async def verify_chain(db: Database, batch: int = 1000) -> ChainReport:
    """Walk the chain oldest first; the first row that does not fit names the break.

    `edited`: the row's content no longer gives its hash. `missing before`: the row is intact
    but does not follow the row before it (a row between them was removed).
    """
    expected_prev, count = GENESIS, 0
    async for row in _rows(db, batch):
        count += 1
        actual = event_hash(row["prev_hash"], row["id"], row["at"], _event(row))
        if actual != row["hash"]:
            return ChainReport(count, row["id"], "edited")
        if row["prev_hash"] != expected_prev:
            return ChainReport(count, row["id"], "missing before")
        expected_prev = row["hash"]
    return ChainReport(count)


async def _rows(db: Database, batch: int) -> AsyncIterator[Row]:
    last_id = 0
    while True:
        async with db.connection() as conn:
            rows = await fetch_all(
                conn,
                f"SELECT {_CONTENT}, prev_hash, hash FROM rtb_bot.audit_events"
                " WHERE id > %s ORDER BY id LIMIT %s",
                (last_id, batch),
            )
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        last_id = rows[-1]["id"]

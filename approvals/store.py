"""Approval requests in PostgreSQL: a state machine moved only by conditional UPDATEs.

Each transition is `UPDATE … WHERE id = … AND status = ANY(<allowed from>) RETURNING …`; the
caller whose UPDATE returns the row owns the transition, every other caller gets None. The
transition and its audit event are one transaction.

A request being decided or run is also *leased*: the replica working on it holds a session-level
advisory lock on its id for as long as it does. A request found `approved` or `executing` whose
lease nobody holds was orphaned by a stopped replica (PostgreSQL drops the locks of a dead
connection): it is closed as `failed` (it never ran) or `unknown` (it may have) and never re-run.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from approvals.audit import AuditEvent, AuditLog
from approvals.mutations import Change, MutationSpec
from approvals.requests import ApprovalRequest, CardRef, Draft, Status, new_request_id
from approvals.signing import SigningKeys
from approvals.sql import Connection, as_json, fetch_all, fetch_one
from ops.backends.db import Database

EventFor = Callable[[ApprovalRequest], AuditEvent]
DRAFT_MINUTES = 15  # the modal asking for the reason, the Confirm button
_LEASE_NAMESPACE = 0x52_54_42_02  # first key of pg_try_advisory_lock(int, int): "RTB\2"
_ID_ATTEMPTS = 5
_RETURNING = (
    "r.*, (SELECT coalesce(array_agg(v.lead ORDER BY v.voted_at, v.lead), '{}')"
    " FROM rtb_bot.approval_votes v WHERE v.request_id = r.id) AS approvers,"
    " (SELECT to_jsonb(e) FROM rtb_bot.approval_escalations e WHERE e.request_id = r.id)"
    " AS escalation"
)
REQUEST_COLUMNS = _RETURNING  # a request row as `ApprovalRequest.from_row` reads it (alias r)
_TRANSITION = f"""
UPDATE rtb_bot.approval_requests AS r SET
    status = %(to)s,
    decided_at = CASE WHEN %(to)s IN ('approved', 'rejected', 'cancelled', 'expired')
                      THEN now() ELSE decided_at END,
    decided_by = coalesce(%(by)s, decided_by),
    decision_note = coalesce(%(note)s, decision_note),
    executing_since = CASE WHEN %(to)s = 'executing' THEN now() ELSE executing_since END,
    finished_at = CASE WHEN %(to)s IN ('succeeded', 'failed', 'unknown')
                       THEN now() ELSE finished_at END,
    result = coalesce(%(result)s::jsonb, result)
WHERE r.id = %(id)s AND r.status = ANY(%(from)s)
  AND (NOT %(unexpired)s OR r.expires_at > now())
  AND (%(requester)s::text IS NULL OR r.requester = %(requester)s)
RETURNING {_RETURNING}
"""


@dataclass(frozen=True)
class NewRequest:
    spec: MutationSpec
    preflight: dict[str, Any]
    change: Change
    requester: str
    reason: str
    channel: str | None
    required_approvals: int
    expiry_minutes: int


@dataclass(frozen=True)
class Transition:
    """Where a request may move from, and what the move records."""

    from_: tuple[Status, ...]
    to: Status
    by: str | None = None
    note: str | None = None
    result: dict[str, Any] | None = None
    unexpired: bool = False
    only_requester: str | None = None


class ApprovalStore:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self.db = db
        self.audit = audit

    @property
    def keys(self) -> SigningKeys:
        return self.audit.keys

    # -- drafts: a change waiting for its reason ---------------------------------------------

    async def save_draft(
        self,
        spec: MutationSpec,
        requester: str,
        channel: str | None,
        minutes: int = DRAFT_MINUTES,
    ) -> str:
        token = "D-" + secrets.token_urlsafe(12)
        await self.db.execute(
            "INSERT INTO rtb_bot.approval_drafts"
            " (token, mutation, env, params, requester, channel, expires_at)"
            " VALUES (%s, %s, %s, %s::jsonb, %s, %s, now() + make_interval(mins => %s))",
            (
                token,
                spec.mutation,
                spec.env,
                as_json(spec.params),
                requester,
                channel,
                minutes,
            ),
        )
        return token

    async def read_draft(self, token: str) -> Draft | None:
        """An unexpired draft, left in place, whoever asks (a "Roll this back" button's change:
        whoever clicks it submits it to the gate as their own request)."""
        row = await self.db.fetch_one(
            "SELECT token, mutation, env, params, requester, channel FROM rtb_bot.approval_drafts"
            " WHERE token = %s AND expires_at > now()",
            (token,),
        )
        return Draft(**row) if row else None

    async def take_draft(self, token: str, requester: str) -> Draft | None:
        """`requester`'s draft, removed (a second submit of the same modal finds nothing)."""
        row = await self.db.fetch_one(
            "DELETE FROM rtb_bot.approval_drafts"
            " WHERE token = %s AND requester = %s AND expires_at > now()"
            " RETURNING token, mutation, env, params, requester, channel",
            (token, requester),
        )
        return Draft(**row) if row else None

    # -- requests ------------------------------------------------------------------------------

    async def create(self, new: NewRequest, event_for: EventFor) -> ApprovalRequest:
        async with self.db.connection() as conn, conn.transaction():
            for _ in range(_ID_ATTEMPTS):
                row = await fetch_one(conn, *_insert_request(new_request_id(), new, self.keys))
                if row is not None:
                    request = ApprovalRequest.from_row({**row, "approvers": []})
                    await self.audit.append(event_for(request), conn)
                    return request
        raise RuntimeError("no free approval request id after several attempts")

    async def get(self, request_id: str, conn: Connection | None = None) -> ApprovalRequest | None:
        query = f"SELECT {_RETURNING} FROM rtb_bot.approval_requests r WHERE r.id = %s"
        if conn is None:
            row = await self.db.fetch_one(query, (request_id,))
        else:
            row = await fetch_one(conn, query, (request_id,))
        return ApprovalRequest.from_row(row) if row else None

    async def in_status(self, *statuses: Status) -> list[ApprovalRequest]:
        rows = await self.db.fetch(
            f"SELECT {_RETURNING} FROM rtb_bot.approval_requests r"
            " WHERE r.status = ANY(%s) ORDER BY r.created_at",
            (list(statuses),),
        )
        return [ApprovalRequest.from_row(row) for row in rows]

    async def attach_cards(self, request_id: str, cards: list[CardRef]) -> None:
        first = cards[0] if cards else None
        await self.db.execute(
            "UPDATE rtb_bot.approval_requests SET cards = %s::jsonb,"
            " card_channel = %s, card_ts = %s WHERE id = %s",
            (
                as_json([{"channel": c.channel, "ts": c.ts} for c in cards]),
                first.channel if first else None,
                first.ts if first else None,
                request_id,
            ),
        )

    async def transition(
        self,
        request_id: str,
        move: Transition,
        event_for: EventFor,
        conn: Connection | None = None,
    ) -> ApprovalRequest | None:
        """The conditional UPDATE; None when the request was not in `move.from_` (any more)."""
        if conn is None:
            async with self.db.connection() as own:
                return await self._transition(own, request_id, move, event_for)
        return await self._transition(conn, request_id, move, event_for)

    async def _transition(
        self, conn: Connection, request_id: str, move: Transition, event_for: EventFor
    ) -> ApprovalRequest | None:
        params = {
            "id": request_id,
            "from": list(move.from_),
            "to": move.to,
            "by": move.by,
            "note": move.note,
            "result": as_json(move.result),
            "unexpired": move.unexpired,
            "requester": move.only_requester,
        }
        async with conn.transaction():
            row = await fetch_one(conn, _TRANSITION, params)
            if row is None:
                return None
            request = ApprovalRequest.from_row(row)
            await self.audit.append(event_for(request), conn)
            return request

    async def vote(
        self, conn: Connection, request_id: str, lead: str, event_for: EventFor
    ) -> ApprovalRequest | None:
        """Count `lead`'s approval; `pending → approved` once enough distinct leads voted.

        None when the request is no longer pending and unexpired (or the lead already voted).
        The request's row is locked first: a reject or cancel committed before waits for
        nothing and is seen (no vote is counted after it), one arriving during the vote waits
        for it, so a `vote` audit row never follows a `rejected` one.
        """
        async with conn.transaction():
            await conn.execute(
                "SELECT 1 FROM rtb_bot.approval_requests WHERE id = %s FOR UPDATE", (request_id,)
            )
            counted = await fetch_one(
                conn,
                "INSERT INTO rtb_bot.approval_votes (request_id, lead)"
                " SELECT id, %s FROM rtb_bot.approval_requests"
                " WHERE id = %s AND status = 'pending' AND expires_at > now()"
                " ON CONFLICT DO NOTHING RETURNING request_id",
                (lead, request_id),
            )
            if counted is None:
                return None
            row = await fetch_one(
                conn,
                "UPDATE rtb_bot.approval_requests AS r SET status = 'approved', decided_at = now()"
                " WHERE r.id = %s AND r.status = 'pending' AND r.required_approvals <="
                " (SELECT count(*) FROM rtb_bot.approval_votes v WHERE v.request_id = r.id)"
                f" RETURNING {_RETURNING}",
                (request_id,),
            )
            request = ApprovalRequest.from_row(row) if row else await self.get(request_id, conn)
            assert request is not None
            await self.audit.append(event_for(request), conn)
            return request

    async def close_expired(self, event_for: EventFor) -> list[ApprovalRequest]:
        """`pending → expired` for every request past its expiry (each row to one replica)."""
        async with self.db.connection() as conn, conn.transaction():
            rows = await fetch_all(
                conn,
                "UPDATE rtb_bot.approval_requests AS r SET status = 'expired', decided_at = now()"
                f" WHERE r.status = 'pending' AND r.expires_at <= now() RETURNING {_RETURNING}",
            )
            expired = [ApprovalRequest.from_row(row) for row in rows]
            for request in expired:
                await self.audit.append(event_for(request), conn)
            await conn.execute("DELETE FROM rtb_bot.approval_drafts WHERE expires_at <= now()")
            return expired

    async def in_flight_ids(self) -> list[str]:
        rows = await self.db.fetch(
            "SELECT id FROM rtb_bot.approval_requests WHERE status IN ('approved', 'executing')"
        )
        return [row["id"] for row in rows]

    @asynccontextmanager
    async def lease(self, request_id: str) -> AsyncIterator[Connection | None]:
        """A connection holding the request's lease, or None when someone else holds it."""
        async with self.db.connection() as conn:
            key = (_LEASE_NAMESPACE, request_id)
            got = await fetch_one(conn, "SELECT pg_try_advisory_lock(%s, hashtext(%s)) AS ok", key)
            if not (got and got["ok"]):
                yield None
                return
            try:
                yield conn
            finally:
                await _release(conn, key)


async def _release(conn: Connection, key: tuple[int, str]) -> None:
    """Unlock; a lost connection took its session's locks with it, so losing it (before or
    during the unlock) is no failure, and must not hide what happened under the lease."""
    try:
        if not conn.closed:
            await conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
    except Exception:
        if not conn.closed:
            raise


def _insert_request(
    request_id: str, new: NewRequest, keys: SigningKeys
) -> tuple[str, tuple[Any, ...]]:
    """The request's digest is keyed: whoever edits its stored parameters cannot recompute it
    without the key (approvals/signing.py), so the execution refuses them."""
    spec = new.spec
    digest_key, digest = keys.sign(spec.document)
    return (
        "INSERT INTO rtb_bot.approval_requests (id, action, mutation, env, target, params,"
        " digest, digest_key, preflight, change, requester, reason, channel, required_approvals,"
        " expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, %s,"
        " now() + make_interval(mins => %s))"
        " ON CONFLICT (id) DO NOTHING RETURNING *",
        (
            request_id,
            spec.action,
            spec.mutation,
            spec.env,
            str(spec.target),
            as_json(spec.params),
            digest,
            digest_key,
            as_json(new.preflight),
            as_json(new.change.as_data()),
            new.requester,
            new.reason,
            new.channel,
            new.required_approvals,
            new.expiry_minutes,
        ),
    )

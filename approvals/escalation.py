"""Escalation of prd approvals nobody acted on: which requests are stale, and the claim that
makes each one escalated once (`rtb_bot.approval_escalations`, migration 0009).

A request is *stale* when it is pending and unexpired, in prd, no lead has voted on it (a vote
is acting on it, even when a second approval is still needed), it was created at least
`escalation.after_minutes` ago and it was never escalated. With `escalation.scope: incidents`
only requests whose reason names an incident (`INC-…`, how a change asked from an incident card
reads) count. The claim row is inserted with its `escalated` audit event in one transaction:
the replica whose INSERT lands escalates; a second replica, or a later run, finds the row.

What the escalation did is recorded on the same row, so a later run can finish it: the DMs
(enqueued in the outbox under keys of their own, so enqueueing them again after a crash sends
nothing twice), the page while PagerDuty does not answer, and the page's resolution once a lead
has acted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from approvals.audit import AuditLog
from approvals.events import BOT_ACTOR, request_event
from approvals.requests import ApprovalRequest
from approvals.sql import as_json, fetch_one
from approvals.store import REQUEST_COLUMNS
from ops.backends.db import Database
from ops.paging import PageResult

Scope = Literal["prd", "incidents"]
ESCALATED = "escalated"  # the audit outcome
INCIDENT_PATTERN = "INC-[0-9A-Z]"
UNFINISHED_AFTER = timedelta(minutes=2)  # a claim without its DMs this long: its replica died
MAX_PAGE_RUNS = 10  # runs that try a page PagerDuty does not take (each with its own retries)

_STALE = f"""
SELECT {REQUEST_COLUMNS} FROM rtb_bot.approval_requests r
WHERE r.status = 'pending' AND r.env = 'prd' AND r.expires_at > now()
  AND r.created_at <= %(before)s
  AND (%(scope)s = 'prd' OR r.reason ~ %(incident)s)
  AND NOT EXISTS (SELECT 1 FROM rtb_bot.approval_votes v WHERE v.request_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM rtb_bot.approval_escalations e WHERE e.request_id = r.id)
ORDER BY r.created_at
"""


@dataclass(frozen=True)
class Claimed:
    request: ApprovalRequest
    leads: tuple[str, ...]
    oncall: str | None
    paging: bool


class Escalations:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self.db = db
        self.audit = audit

    async def stale(self, now: datetime, after: timedelta, scope: Scope) -> list[ApprovalRequest]:
        params = {"before": now - after, "scope": scope, "incident": INCIDENT_PATTERN}
        return [ApprovalRequest.from_row(row) for row in await self.db.fetch(_STALE, params)]

    async def claim(
        self,
        request: ApprovalRequest,
        *,
        replica: str,
        now: datetime,
        leads: tuple[str, ...],
        oncall: str | None,
        paging: bool,
    ) -> Claimed | None:
        """This replica escalates `request` (None: someone else did, or does)."""
        async with self.db.connection() as conn, conn.transaction():
            row = await fetch_one(
                conn,
                "INSERT INTO rtb_bot.approval_escalations"
                " (request_id, claimed_by, escalated_at, leads, oncall, page_wanted)"
                " VALUES (%s, %s, %s, %s::jsonb, %s, %s)"
                " ON CONFLICT (request_id) DO NOTHING RETURNING request_id",
                (request.id, replica, now, as_json(list(leads)), oncall, paging),
            )
            if row is None:
                return None
            detail = {"leads": list(leads), "oncall": oncall, "paging": paging}
            event = request_event(request, BOT_ACTOR, ESCALATED, None, **detail)
            await self.audit.append(event, conn)
        return Claimed(request, leads, oncall, paging)

    async def mark_notified(self, request_id: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE rtb_bot.approval_escalations SET notified_at = %s"
            " WHERE request_id = %s AND notified_at IS NULL",
            (now, request_id),
        )

    async def record_page(self, request_id: str, result: PageResult, now: datetime) -> None:
        """A trigger's outcome; `sent` also records when."""
        await self.db.execute(
            "UPDATE rtb_bot.approval_escalations SET page_outcome = %s,"
            " page_attempts = page_attempts + 1,"
            " paged_at = CASE WHEN %s THEN %s ELSE paged_at END WHERE request_id = %s",
            (result.outcome, result.sent, now, request_id),
        )

    async def record_resolved(self, request_id: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE rtb_bot.approval_escalations SET page_resolved_at = %s WHERE request_id = %s",
            (now, request_id),
        )

    async def unfinished(self, now: datetime) -> list[Claimed]:
        """Claims whose DMs were never enqueued (the replica stopped), for requests still
        waiting for a lead: to finish (a request decided meanwhile needs no DM)."""
        rows = await self.db.fetch(
            "SELECT e.request_id, e.leads, e.oncall, e.page_wanted"
            " FROM rtb_bot.approval_escalations e JOIN rtb_bot.approval_requests r"
            " ON r.id = e.request_id WHERE e.notified_at IS NULL AND e.escalated_at <= %s"
            " AND r.status = 'pending' ORDER BY e.escalated_at",
            (now - UNFINISHED_AFTER,),
        )
        return await self._claimed(rows)

    async def pages_to_retry(self) -> list[Claimed]:
        """Pages PagerDuty has not taken yet, for requests still waiting for a lead."""
        rows = await self.db.fetch(
            "SELECT e.request_id, e.leads, e.oncall, e.page_wanted"
            " FROM rtb_bot.approval_escalations e JOIN rtb_bot.approval_requests r"
            " ON r.id = e.request_id WHERE e.page_wanted AND e.notified_at IS NOT NULL"
            " AND e.page_outcome IS DISTINCT FROM 'sent'"
            " AND e.page_outcome IS DISTINCT FROM 'refused'"
            " AND e.page_attempts < %s AND r.status = 'pending' ORDER BY e.escalated_at",
            (MAX_PAGE_RUNS,),
        )
        return await self._claimed(rows)

    async def pages_to_resolve(self) -> list[str]:
        """Requests paged about that a lead has since decided (or that ended otherwise)."""
        rows = await self.db.fetch(
            "SELECT e.request_id FROM rtb_bot.approval_escalations e"
            " JOIN rtb_bot.approval_requests r ON r.id = e.request_id"
            " WHERE e.paged_at IS NOT NULL AND e.page_resolved_at IS NULL"
            " AND r.status <> 'pending' ORDER BY e.escalated_at"
        )
        return [str(row["request_id"]) for row in rows]

    async def request(self, request_id: str) -> ApprovalRequest | None:
        row = await self.db.fetch_one(
            f"SELECT {REQUEST_COLUMNS} FROM rtb_bot.approval_requests r WHERE r.id = %s",
            (request_id,),
        )
        return ApprovalRequest.from_row(row) if row else None

    async def _claimed(self, rows: list[dict[str, Any]]) -> list[Claimed]:
        found = []
        for row in rows:
            request = await self.request(str(row["request_id"]))
            if request is not None:
                leads = tuple(str(lead) for lead in row["leads"] or ())
                oncall = None if row["oncall"] is None else str(row["oncall"])
                found.append(Claimed(request, leads, oncall, bool(row["page_wanted"])))
        return found

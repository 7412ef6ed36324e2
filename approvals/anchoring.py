"""Anchoring the audit chain outside the database, and checking the chain against its anchors.

Every `audit.anchor.interval_seconds` (and at start and stop) each replica copies the chain's
head — the newest row's id and hash — to a CloudWatch Logs stream in the int account, when it
moved since its last copy. Anchoring never blocks or fails a change: it runs beside them, and a
failed copy is logged and caught up by the next one (the head covers every row before it).
What a batch leaves open: rows appended since the last copy (at most one interval) can still be
cut unnoticed.

`check_anchors` then finds what the chain alone cannot: an anchored row that is gone (rows
`cut` from the end, even when newer rows were appended after the cut) and an anchored row with
another hash (the chain `rebuilt`, by someone holding the HMAC key).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import structlog

from approvals.audit import AuditLog, ChainHead, ChainReport
from ops.backends.anchor_stream import Anchor
from ops.backends.db import Database
from ops.errors import BackendError

log = structlog.get_logger(__name__)


class AnchorWriter(Protocol):
    async def put(self, seq: int, hash_: str) -> None: ...


class ChainAnchor:
    def __init__(self, audit: AuditLog, stream: AnchorWriter, interval_seconds: int = 10) -> None:
        self.audit = audit
        self.stream = stream
        self.interval_seconds = interval_seconds
        self._last: ChainHead | None = None

    async def sync(self) -> ChainHead | None:
        """Copy the head if it moved; the head anchored now, None when nothing was. Never
        raises: a scheduled job (an outage of the database or of CloudWatch Logs is logged)."""
        try:
            head = await self.audit.head()
            if head is None or head == self._last:
                return None
            await self.stream.put(head.seq, head.hash)
        except BackendError as exc:
            log.warning(
                "could not anchor the audit chain; the next attempt catches up",
                backend=exc.backend,
                reason=exc.reason,
            )
            return None
        except Exception:
            log.exception("could not anchor the audit chain; the next attempt catches up")
            return None
        self._last = head
        return head


async def check_anchors(db: Database, report: ChainReport, anchors: list[Anchor]) -> ChainReport:
    """`report` (an intact chain), or the first anchor the rows no longer match."""
    if not report.intact or not anchors:
        return report
    rows = await db.fetch(
        "SELECT id, hash FROM rtb_bot.audit_events WHERE id = ANY(%s)",
        (sorted({a.seq for a in anchors}),),
    )
    hashes = {row["id"]: row["hash"] for row in rows}
    for anchor in anchors:
        when = anchor.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        found = hashes.get(anchor.seq)
        if found is None:
            return replace(report, broken_at=anchor.seq, problem="cut", anchored_at=when)
        if found != anchor.hash:
            return replace(report, broken_at=anchor.seq, problem="rebuilt", anchored_at=when)
    return replace(report, anchored_up_to=max(a.seq for a in anchors))

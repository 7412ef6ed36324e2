"""`rtb-bot audit verify`: walk the audit log's hash chain and name the first broken link."""

from __future__ import annotations

import asyncio
import sys

from approvals.audit import ChainReport, verify_chain
from ops.backends.db import Database
from ops.errors import BackendUnavailable


def verify_audit_log(database_url: str) -> int:
    """0 intact, 1 broken, 2 cannot check (no URL, database unreachable)."""
    if not database_url:
        print("DATABASE_URL is not set (the bot's own PostgreSQL)", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(_verify(database_url))
    except BackendUnavailable as exc:
        print(f"cannot check the audit log: {exc.backend}: {exc.reason}", file=sys.stderr)
        return 2
    print(describe(report))
    return 0 if report.intact else 1


def describe(report: ChainReport) -> str:
    if report.intact:
        return f"audit log intact: {report.events} events"
    return f"broken at event #{report.broken_at}: {report.problem}"


async def _verify(database_url: str) -> ChainReport:
    db = Database("PostgreSQL (bot)", database_url, timeout=5, max_size=1)
    await db.open()
    try:
        return await verify_chain(db)
    finally:
        await db.close()

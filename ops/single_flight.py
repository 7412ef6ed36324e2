"""One run at a time per key, across every replica: a PostgreSQL advisory lock.

A double click on a button that changes something arrives as two requests, possibly at two
replicas, a few milliseconds apart. Both would read the state ("running"), both would pause.
The first to take the key's lock runs; a click arriving while it runs is told so and runs
nothing; a click arriving after it ends runs, and the state it then reads (already paused)
answers it. No table: the lock is a transaction's (`pg_try_advisory_xact_lock`), so it ends
with the block on every path, a crash or a lost connection included.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from ops.backends.db import Database

log = structlog.get_logger(__name__)

_NAMESPACE = b"rtb-bot single flight:"


def lock_id(key: str) -> int:
    """A signed 64-bit advisory lock id for `key` (keys are hashed: any text fits)."""
    digest = hashlib.blake2b(_NAMESPACE + key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@asynccontextmanager
async def single_flight(db: Database, key: str) -> AsyncIterator[bool]:
    """Yields True when this caller holds `key` until the block ends, False when another run
    holds it now (the caller then does nothing). The block holds one pooled connection; it
    should not raise (a database failure raised inside it is reported as the database's)."""
    finished = False
    try:
        async with db.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "SELECT pg_try_advisory_xact_lock(%s) AS held", (lock_id(key),)
            )
            row = await cursor.fetchone()
            yield bool(row and row["held"])
            finished = True
    except Exception:
        if not finished:
            raise
        # The run is over and has answered; only the release failed (a failover): the lock
        # ends with its session anyway, and "try again" now would invite a second change.
        log.warning("single-flight release failed", key=key, exc_info=True)

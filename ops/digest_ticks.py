"""Who checked which item of a posted digest (`rtb_bot.digest_ticks`).

A tick is a row keyed by (message, item, user): a second click by the same person inserts
nothing, a click by someone else adds them, and there is no statement that removes a row, so
nobody can untick anyone. Callers run these on the connection of `Outbox.rewrite`, whose row
lock serialises ticks on one message across replicas (each rewrite sees every earlier tick).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

TickRows = dict[str, list[tuple[str, datetime]]]  # item -> (user, at), oldest first


async def record_tick(conn: Any, message_key: str, item: str, user: str, at: datetime) -> bool:
    """True when this is the user's first tick of the item."""
    cursor = await conn.execute(
        "INSERT INTO rtb_bot.digest_ticks (message_key, item, user_id, ticked_at)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (message_key, item, user, at),
    )
    return bool(cursor.rowcount == 1)


async def ticks_of(conn: Any, message_key: str) -> TickRows:
    cursor = await conn.execute(
        "SELECT item, user_id, ticked_at FROM rtb_bot.digest_ticks WHERE message_key = %s"
        " ORDER BY ticked_at, user_id",
        (message_key,),
    )
    return _grouped(await cursor.fetchall())


def _grouped(rows: Sequence[dict[str, Any]]) -> TickRows:
    found: TickRows = {}
    for row in rows:
        found.setdefault(row["item"], []).append((row["user_id"], row["ticked_at"]))
    return found

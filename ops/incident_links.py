"""Which incident an approval request belongs to, read from the timeline itself.

An action clicked on a card that needs a lead writes its timeline event with what identifies
the request: the digest of its reason-form draft (`draft`, the draft's token itself is a
capability and is not stored) and, once known, the request id (`request`). The approval side
asks here when a request is made or decided, so the incident's timeline gets the approver and
the result. No table of its own: the events are the link.
"""

from __future__ import annotations

import hashlib

from ops.backends.db import Database

LINK_FIELDS = ("draft", "request")


def draft_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


async def incident_linked(db: Database, field: str, value: str) -> str | None:
    """The incident whose newest action event has `detail[field] = value` (None: not from a
    card)."""
    if field not in LINK_FIELDS or not value:
        return None
    row = await db.fetch_one(
        "SELECT incident_id FROM rtb_bot.incident_events WHERE kind = 'action'"
        " AND detail ->> %s = %s ORDER BY id DESC LIMIT 1",
        (field, value),
    )
    return None if row is None else str(row["incident_id"])

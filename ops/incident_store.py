"""The incident store the bot uses: the SQS intake's one write, manual changes, reads.

`apply` is the intake's one write: in one transaction it records the message id (a message
seen before changes nothing: two replicas, or SQS delivering twice), applies the change under
a per-alarm lock (a storm of notifications for one alarm is applied one at a time, so it opens
one incident; ops.alarm_transitions) and writes the event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ops.alarm_notifications import AlarmNotification
from ops.alarm_transitions import open_or_repeat
from ops.backends.db import Database
from ops.incidents import (
    INCIDENT_COLUMNS,
    Applied,
    Changed,
    Conn,
    EventKind,
    Incident,
    IncidentEvent,
    event_from_row,
    incident_from_row,
    insert_event,
    load_incident,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class IncidentStore:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.clock = clock

    async def apply(
        self, notification: AlarmNotification, *, env: str | None, channel: str
    ) -> Applied:
        """Record the message and apply its change, once (see the module's docstring)."""
        async with self.db.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "INSERT INTO rtb_bot.alarm_messages (message_id, outcome, received_at)"
                " VALUES (%s, 'pending', %s) ON CONFLICT (message_id) DO NOTHING"
                " RETURNING message_id",
                (notification.message_id, self.clock()),
            )
            if await cursor.fetchone() is None:
                return await self._seen_before(conn, notification.message_id)
            applied = await open_or_repeat(conn, notification.change, env, channel, self.clock())
            await conn.execute(
                "UPDATE rtb_bot.alarm_messages SET outcome = %s, incident_id = %s"
                " WHERE message_id = %s",
                (
                    applied.outcome,
                    applied.incident.id if applied.incident else None,
                    notification.message_id,
                ),
            )
            return applied

    async def _seen_before(self, conn: Conn, message_id: str) -> Applied:
        cursor = await conn.execute(
            "SELECT incident_id FROM rtb_bot.alarm_messages WHERE message_id = %s", (message_id,)
        )
        row = await cursor.fetchone()
        incident_id = row["incident_id"] if row else None
        incident = await load_incident(conn, incident_id) if incident_id else None
        return Applied("duplicate", incident)

    async def acknowledge(self, incident_id: str, actor: str) -> Changed | None:
        """The first acknowledgement stands (who, when); None: no such incident."""
        async with self.db.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "UPDATE rtb_bot.incidents SET acknowledged_by = %s, acknowledged_at = %s"
                " WHERE id = %s AND acknowledged_by IS NULL"
                f" RETURNING {INCIDENT_COLUMNS}",
                (actor, self.clock(), incident_id),
            )
            row = await cursor.fetchone()
            if row is None:
                current = await load_incident(conn, incident_id)
                return None if current is None else Changed(current, False)
            await insert_event(conn, incident_id, "acknowledged", actor, {}, self.clock())
            return Changed(incident_from_row(row), True)

    async def resolve(
        self, incident_id: str, *, actor: str | None, note: str | None = None
    ) -> Changed | None:
        """Close an open incident by hand (`actor`, with a note); None: no such incident."""
        now = self.clock()
        async with self.db.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "UPDATE rtb_bot.incidents SET state = 'resolved', resolved_at = %s,"
                " resolved_by = %s WHERE id = %s AND state = 'open'"
                f" RETURNING {INCIDENT_COLUMNS}",
                (now, actor, incident_id),
            )
            row = await cursor.fetchone()
            if row is None:
                current = await load_incident(conn, incident_id)
                return None if current is None else Changed(current, False)
            detail = {"note": note} if note else {}
            await insert_event(conn, incident_id, "resolved", actor, detail, now)
            return Changed(incident_from_row(row), True)

    async def add_event(
        self,
        incident_id: str,
        kind: EventKind,
        actor: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> IncidentEvent:
        async with self.db.connection() as conn:
            return await insert_event(conn, incident_id, kind, actor, detail or {}, self.clock())

    async def get(self, incident_id: str) -> Incident | None:
        async with self.db.connection() as conn:
            return await load_incident(conn, incident_id)

    async def get_by_card(self, card_key: str) -> Incident | None:
        row = await self.db.fetch_one(
            f"SELECT {INCIDENT_COLUMNS} FROM rtb_bot.incidents WHERE card_key = %s", (card_key,)
        )
        return None if row is None else incident_from_row(row)

    async def open_for(self, alarm_name: str, account: str) -> Incident | None:
        row = await self.db.fetch_one(
            f"SELECT {INCIDENT_COLUMNS} FROM rtb_bot.incidents"
            " WHERE alarm_name = %s AND account = %s"
            " AND state = 'open'",
            (alarm_name, account),
        )
        return None if row is None else incident_from_row(row)

    async def list_recent(self, limit: int = 20) -> list[Incident]:
        """Open incidents first (newest first), then the newest resolved ones."""
        rows = await self.db.fetch(
            f"SELECT {INCIDENT_COLUMNS} FROM rtb_bot.incidents"
            " ORDER BY (state = 'open') DESC, opened_at DESC, id DESC LIMIT %s",
            (limit,),
        )
        return [incident_from_row(row) for row in rows]

    async def events(self, incident_id: str) -> list[IncidentEvent]:
        """The timeline, oldest first."""
        rows = await self.db.fetch(
            "SELECT id, incident_id, at, kind, actor, detail FROM rtb_bot.incident_events"
            " WHERE incident_id = %s ORDER BY at, id",
            (incident_id,),
        )
        return [event_from_row(row) for row in rows]

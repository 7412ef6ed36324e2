"""The incident store: CloudWatch alarms that fired, their state, and their timeline.

An **incident** is one stretch of ALARM of one alarm (name + account): the first ALARM opens it,
later ALARMs are repeats of it (counted, `last_seen_at`), OK resolves it, INSUFFICIENT_DATA is
recorded on it without resolving it. Someone may acknowledge it or resolve it by hand (card11).
Every change is an **event** of its timeline (`rtb_bot.incident_events`, append-only).

`apply` is the intake's one write: in one transaction it records the message id (a message
seen before changes nothing: two replicas, or SQS delivering twice), applies the change under
a per-alarm lock (a storm of notifications for one alarm is applied one at a time, so it opens
one incident) and writes the event. Notifications arrive in no guaranteed order: one older than
what the incident already shows is *stale* and changes nothing (an OK from before the ALARM
does not resolve it; an ALARM from before a resolution does not reopen it).

Decisions (what the on-call engineer expects at 3 a.m.):
- OK or INSUFFICIENT_DATA with no open incident opens nothing (`ignored`): an alarm whose
  data stopped while it was healthy is not an incident.
- A repeat counts even when older than the newest state (it is still a sighting), but only a
  newer one moves the alarm state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from ops.alarm_notifications import (
    AlarmChange,
    AlarmNotification,
    AlarmState,
    change_from_json,
    change_to_json,
)
from ops.backends.db import Database
from ops.outbox import as_json

IncidentState = Literal["open", "resolved"]
EventKind = Literal[
    "fired",
    "repeat",
    "acknowledged",
    "action",
    "resolved",
    "insufficient_data",
    "escalated",
    "note",
]
Outcome = Literal[
    "opened", "repeated", "resolved", "insufficient_data", "ignored", "stale", "duplicate"
]
# What an incident just went through, for the hooks (handlers/incident_hooks.py).
Transition = Literal["opened", "repeated", "acknowledged", "resolved", "insufficient_data"]
Conn = Any  # a connection from Database.connection() (psycopg stays in ops.backends)
CARD_KEY_PREFIX = "incident:"
_COLUMNS = (
    "id, alarm_name, env, account, region, state, alarm_state, opened_at, last_seen_at,"  # internal
    " state_changed_at, repeat_count, resolved_at, resolved_by, channel, card_key,"
    " acknowledged_by, acknowledged_at, notification"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Incident:
    id: str
    alarm_name: str
    env: str | None  # None: the account is not one of the configured environments
    account: str
    region: str
    state: IncidentState
    alarm_state: AlarmState
    opened_at: datetime
    last_seen_at: datetime
    state_changed_at: datetime
    repeat_count: int
    resolved_at: datetime | None
    resolved_by: str | None  # a Slack user id; None when the alarm itself turned OK
    channel: str
    card_key: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    change: AlarmChange  # the newest notification applied

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def duration(self) -> timedelta | None:
        """Open → resolved; None while open."""
        return None if self.resolved_at is None else self.resolved_at - self.opened_at


IncidentHook = Callable[["Incident", Transition], Awaitable[None]]


@dataclass(frozen=True)
class IncidentEvent:
    id: int
    incident_id: str
    at: datetime
    kind: EventKind
    actor: str | None  # a Slack user id; None: the alarm
    detail: dict[str, Any]


@dataclass(frozen=True)
class Applied:
    """What a notification did. `incident` is None when it applied to none."""

    outcome: Outcome
    incident: Incident | None


@dataclass(frozen=True)
class Changed:
    """The incident after a manual change; `changed` is False when it already stood so
    (acknowledged earlier by someone, resolved already)."""

    incident: Incident
    changed: bool


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
                f" WHERE id = %s AND acknowledged_by IS NULL RETURNING {_COLUMNS}",
                (actor, self.clock(), incident_id),
            )
            row = await cursor.fetchone()
            if row is None:
                current = await load_incident(conn, incident_id)
                return None if current is None else Changed(current, False)
            await insert_event(conn, incident_id, "acknowledged", actor, {}, self.clock())
            return Changed(_incident(row), True)

    async def resolve(
        self, incident_id: str, *, actor: str | None, note: str | None = None
    ) -> Changed | None:
        """Close an open incident by hand (`actor`, with a note); None: no such incident."""
        now = self.clock()
        async with self.db.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "UPDATE rtb_bot.incidents SET state = 'resolved', resolved_at = %s,"
                f" resolved_by = %s WHERE id = %s AND state = 'open' RETURNING {_COLUMNS}",
                (now, actor, incident_id),
            )
            row = await cursor.fetchone()
            if row is None:
                current = await load_incident(conn, incident_id)
                return None if current is None else Changed(current, False)
            detail = {"note": note} if note else {}
            await insert_event(conn, incident_id, "resolved", actor, detail, now)
            return Changed(_incident(row), True)

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
            f"SELECT {_COLUMNS} FROM rtb_bot.incidents WHERE card_key = %s", (card_key,)
        )
        return None if row is None else _incident(row)

    async def open_for(self, alarm_name: str, account: str) -> Incident | None:
        row = await self.db.fetch_one(
            f"SELECT {_COLUMNS} FROM rtb_bot.incidents WHERE alarm_name = %s AND account = %s"
            " AND state = 'open'",
            (alarm_name, account),
        )
        return None if row is None else _incident(row)

    async def list_recent(self, limit: int = 20) -> list[Incident]:
        """Open incidents first (newest first), then the newest resolved ones."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM rtb_bot.incidents"
            " ORDER BY (state = 'open') DESC, opened_at DESC, id DESC LIMIT %s",
            (limit,),
        )
        return [_incident(row) for row in rows]

    async def events(self, incident_id: str) -> list[IncidentEvent]:
        """The timeline, oldest first."""
        rows = await self.db.fetch(
            "SELECT id, incident_id, at, kind, actor, detail FROM rtb_bot.incident_events"
            " WHERE incident_id = %s ORDER BY at, id",
            (incident_id,),
        )
        return [_event(row) for row in rows]


async def open_or_repeat(
    conn: Conn, change: AlarmChange, env: str | None, channel: str, now: datetime
) -> Applied:
    """Apply one state change to its alarm's incident, inside the caller's transaction."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
        (f"incident:{change.account}:{change.alarm_name}",),
    )
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM rtb_bot.incidents WHERE alarm_name = %s AND account = %s"
        " AND state = 'open' FOR UPDATE",
        (change.alarm_name, change.account),
    )
    row = await cursor.fetchone()
    current = None if row is None else _incident(row)
    if change.state == "ALARM":
        if current is not None:
            return await _repeat(conn, current, change)
        return await _open(conn, change, env, channel, now)
    if current is None:
        return Applied("ignored", None)
    if change.changed_at < current.state_changed_at:
        return Applied("stale", current)
    if change.state == "OK":
        return await _resolve_by_alarm(conn, current, change)
    return await _insufficient(conn, current, change)


async def _open(
    conn: Conn, change: AlarmChange, env: str | None, channel: str, now: datetime
) -> Applied:
    cursor = await conn.execute(
        "SELECT max(resolved_at) AS last FROM rtb_bot.incidents"
        " WHERE alarm_name = %s AND account = %s",
        (change.alarm_name, change.account),
    )
    last = await cursor.fetchone()
    if last and last["last"] is not None and change.changed_at <= last["last"]:
        return Applied("stale", None)  # an ALARM from before the last resolution
    cursor = await conn.execute(
        "SELECT 'INC-' || lpad(nextval('rtb_bot.incident_numbers')::text, 4, '0') AS id"
    )
    new_id = (await cursor.fetchone() or {})["id"]
    cursor = await conn.execute(
        "INSERT INTO rtb_bot.incidents (id, alarm_name, env, account, region, alarm_state,"
        " opened_at, last_seen_at, state_changed_at, channel, card_key, notification,"
        " created_at) VALUES (%s, %s, %s, %s, %s, 'ALARM', %s, %s, %s, %s, %s, %s::jsonb, %s)"
        f" RETURNING {_COLUMNS}",
        (
            new_id,
            change.alarm_name,
            env,
            change.account,
            change.region,
            change.changed_at,
            change.changed_at,
            change.changed_at,
            channel,
            f"{CARD_KEY_PREFIX}{new_id}",
            as_json(change_to_json(change)),
            now,
        ),
    )
    incident = _incident(await cursor.fetchone() or {})
    await insert_event(conn, new_id, "fired", None, _change_detail(change), change.changed_at)
    return Applied("opened", incident)


async def _repeat(conn: Conn, current: Incident, change: AlarmChange) -> Applied:
    newer = change.changed_at >= current.state_changed_at
    cursor = await conn.execute(
        "UPDATE rtb_bot.incidents SET repeat_count = repeat_count + 1,"
        " last_seen_at = greatest(last_seen_at, %(at)s),"
        " alarm_state = CASE WHEN %(newer)s THEN 'ALARM' ELSE alarm_state END,"
        " state_changed_at = greatest(state_changed_at, %(at)s),"
        " notification = CASE WHEN %(newer)s THEN %(doc)s::jsonb ELSE notification END"
        f" WHERE id = %(id)s RETURNING {_COLUMNS}",
        {
            "at": change.changed_at,
            "newer": newer,
            "doc": as_json(change_to_json(change)),
            "id": current.id,
        },
    )
    incident = _incident(await cursor.fetchone() or {})
    await insert_event(conn, current.id, "repeat", None, _change_detail(change), change.changed_at)
    return Applied("repeated", incident)


async def _resolve_by_alarm(conn: Conn, current: Incident, change: AlarmChange) -> Applied:
    incident = await _set_state(conn, current, change, resolve=True)
    await insert_event(
        conn, current.id, "resolved", None, _change_detail(change), change.changed_at
    )
    return Applied("resolved", incident)


async def _insufficient(conn: Conn, current: Incident, change: AlarmChange) -> Applied:
    incident = await _set_state(conn, current, change, resolve=False)
    await insert_event(
        conn, current.id, "insufficient_data", None, _change_detail(change), change.changed_at
    )
    return Applied("insufficient_data", incident)


async def _set_state(
    conn: Conn, current: Incident, change: AlarmChange, *, resolve: bool
) -> Incident:
    cursor = await conn.execute(
        "UPDATE rtb_bot.incidents SET alarm_state = %(state)s, state_changed_at = %(at)s,"
        " notification = %(doc)s::jsonb,"
        " state = CASE WHEN %(resolve)s THEN 'resolved' ELSE state END,"
        " resolved_at = CASE WHEN %(resolve)s THEN %(at)s ELSE resolved_at END"
        f" WHERE id = %(id)s RETURNING {_COLUMNS}",
        {
            "state": change.state,
            "at": change.changed_at,
            "doc": as_json(change_to_json(change)),
            "resolve": resolve,
            "id": current.id,
        },
    )
    return _incident(await cursor.fetchone() or {})


def _change_detail(change: AlarmChange) -> dict[str, Any]:
    detail: dict[str, Any] = {"state": change.state, "reason": change.reason}
    if change.value is not None:
        detail["value"] = change.value
    return detail


async def insert_event(
    conn: Conn,
    incident_id: str,
    kind: EventKind,
    actor: str | None,
    detail: dict[str, Any],
    at: datetime,
) -> IncidentEvent:
    cursor = await conn.execute(
        "INSERT INTO rtb_bot.incident_events (incident_id, at, kind, actor, detail)"
        " VALUES (%s, %s, %s, %s, %s::jsonb) RETURNING id, incident_id, at, kind, actor, detail",
        (incident_id, at, kind, actor, as_json(detail)),
    )
    return _event(await cursor.fetchone() or {})


async def load_incident(conn: Conn, incident_id: str) -> Incident | None:
    """The incident as stored, read on `conn` (inside the caller's transaction, if any)."""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM rtb_bot.incidents WHERE id = %s", (incident_id,)
    )
    row = await cursor.fetchone()
    return None if row is None else _incident(row)


def _incident(row: dict[str, Any]) -> Incident:
    return Incident(
        id=row["id"],
        alarm_name=row["alarm_name"],
        env=row["env"],
        account=row["account"],
        region=row["region"],
        state=cast(IncidentState, row["state"]),
        alarm_state=cast(AlarmState, row["alarm_state"]),
        opened_at=row["opened_at"],
        last_seen_at=row["last_seen_at"],
        state_changed_at=row["state_changed_at"],
        repeat_count=row["repeat_count"],
        resolved_at=row["resolved_at"],
        resolved_by=row["resolved_by"],
        channel=row["channel"],
        card_key=row["card_key"],
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=row["acknowledged_at"],
        change=change_from_json(row["notification"]),
    )


def _event(row: dict[str, Any]) -> IncidentEvent:
    return IncidentEvent(
        id=row["id"],
        incident_id=row["incident_id"],
        at=row["at"],
        kind=cast(EventKind, row["kind"]),
        actor=row["actor"],
        detail=dict(row["detail"] or {}),
    )

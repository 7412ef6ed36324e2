"""Incidents: CloudWatch alarms that fired, their state, and their timeline, as stored.

An **incident** is one stretch of ALARM of one alarm (name + account): the first ALARM opens it,
later ALARMs are repeats of it (counted, `last_seen_at`), OK resolves it, INSUFFICIENT_DATA is
recorded on it without resolving it. Someone may acknowledge it or resolve it by hand (card11).
Every change is an **event** of its timeline (`rtb_bot.incident_events`, append-only).

This module holds what an incident and an event are and how they are read and written as rows;
ops.incident_store is the store the bot uses, ops.alarm_transitions what a notification does to
its alarm's incident.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from ops.alarm_notifications import AlarmChange, AlarmState, change_from_json
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
INCIDENT_COLUMNS = (
    "id, alarm_name, env, account, region, state, alarm_state, opened_at, last_seen_at,"  # internal
    " state_changed_at, repeat_count, resolved_at, resolved_by, channel, card_key,"
    " acknowledged_by, acknowledged_at, notification"
)


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
    return event_from_row(await cursor.fetchone() or {})


async def load_incident(conn: Conn, incident_id: str) -> Incident | None:
    """The incident as stored, read on `conn` (inside the caller's transaction, if any)."""
    cursor = await conn.execute(
        f"SELECT {INCIDENT_COLUMNS} FROM rtb_bot.incidents WHERE id = %s", (incident_id,)
    )
    row = await cursor.fetchone()
    return None if row is None else incident_from_row(row)


def incident_from_row(row: dict[str, Any]) -> Incident:
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


def event_from_row(row: dict[str, Any]) -> IncidentEvent:
    return IncidentEvent(
        id=row["id"],
        incident_id=row["incident_id"],
        at=row["at"],
        kind=cast(EventKind, row["kind"]),
        actor=row["actor"],
        detail=dict(row["detail"] or {}),
    )

"""What one CloudWatch alarm notification does to its alarm's incident (ops.incidents).

Notifications arrive in no guaranteed order: one older than what the incident already shows is
*stale* and changes nothing (an OK from before the ALARM does not resolve it; an ALARM from
before a resolution does not reopen it).

Decisions (what the on-call engineer expects at 3 a.m.):
- OK or INSUFFICIENT_DATA with no open incident opens nothing (`ignored`): an alarm whose
  data stopped while it was healthy is not an incident.
- A repeat counts even when older than the newest state (it is still a sighting), but only a
  newer one moves the alarm state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ops.alarm_notifications import AlarmChange, change_to_json
from ops.incidents import (
    CARD_KEY_PREFIX,
    INCIDENT_COLUMNS,
    Applied,
    Conn,
    Incident,
    incident_from_row,
    insert_event,
)
from ops.outbox import as_json


async def open_or_repeat(
    conn: Conn, change: AlarmChange, env: str | None, channel: str, now: datetime
) -> Applied:
    """Apply one state change to its alarm's incident, inside the caller's transaction."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
        (f"incident:{change.account}:{change.alarm_name}",),
    )
    cursor = await conn.execute(
        f"SELECT {INCIDENT_COLUMNS} FROM rtb_bot.incidents"
        " WHERE alarm_name = %s AND account = %s"
        " AND state = 'open' FOR UPDATE",
        (change.alarm_name, change.account),
    )
    row = await cursor.fetchone()
    current = None if row is None else incident_from_row(row)
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
        f" RETURNING {INCIDENT_COLUMNS}",
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
    incident = incident_from_row(await cursor.fetchone() or {})
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
        f" WHERE id = %(id)s RETURNING {INCIDENT_COLUMNS}",
        {
            "at": change.changed_at,
            "newer": newer,
            "doc": as_json(change_to_json(change)),
            "id": current.id,
        },
    )
    incident = incident_from_row(await cursor.fetchone() or {})
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
        f" WHERE id = %(id)s RETURNING {INCIDENT_COLUMNS}",
        {
            "state": change.state,
            "at": change.changed_at,
            "doc": as_json(change_to_json(change)),
            "resolve": resolve,
            "id": current.id,
        },
    )
    return incident_from_row(await cursor.fetchone() or {})


def _change_detail(change: AlarmChange) -> dict[str, Any]:
    detail: dict[str, Any] = {"state": change.state, "reason": change.reason}
    if change.value is not None:
        detail["value"] = change.value
    return detail

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ops.alarm_notifications import AlarmChange, AlarmMetric, AlarmNotification
from ops.backends.db import Database, migrate
from ops.incident_store import IncidentStore

T0 = datetime(2026, 12, 3, 0, 58, tzinfo=UTC)
ACCOUNT = "111111111111"
CHANNEL = "#rtb-incidents"
QUEUE_DEPTH = AlarmChange(
    alarm_name="rtb-hub-bullmq-queue-depth",
    account=ACCOUNT,
    region="ap-northeast-2",
    state="ALARM",
    previous_state="OK",
    reason="Threshold Crossed: 1 out of the last 1 datapoints [5000.0 (03/12/26 00:57:00)]"
    " was greater than the threshold (1000.0) (minimum 1 datapoint for OK -> ALARM transition).",
    changed_at=T0,
    description="BullMQ waiting jobs",
    metric=AlarmMetric(
        "RTBHub/BullMQ", "WaitingJobs", "Maximum", (("Queue", "jira-queue"),), 60, 1
    ),
    comparison="GreaterThanThreshold",
    threshold=1000.0,
    value=5000.0,
)


def note(message_id: str, change: AlarmChange = QUEUE_DEPTH, **fields: object) -> AlarmNotification:
    return AlarmNotification(message_id, replace(change, **fields))  # type: ignore[arg-type]


@pytest.fixture
async def store(pg_url):
    db = Database("bot", pg_url)
    await db.open()
    await migrate(db)
    yield IncidentStore(db, clock=lambda: T0 + timedelta(minutes=5))
    await db.close()


async def apply(store: IncidentStore, notification: AlarmNotification):
    return await store.apply(notification, env="int", channel=CHANNEL)


async def test_an_alarm_opens_an_incident_with_its_card_key_and_a_fired_event(store):
    applied = await apply(store, note("m1"))
    incident = applied.incident
    assert applied.outcome == "opened"
    assert incident.id == "INC-0001"
    assert incident.card_key == "incident:INC-0001"
    assert (incident.state, incident.alarm_state, incident.env) == ("open", "ALARM", "int")
    assert incident.opened_at == T0 and incident.repeat_count == 0
    assert incident.change == QUEUE_DEPTH  # the notification survives the round trip
    events = await store.events(incident.id)
    assert [(e.kind, e.actor, e.detail["value"]) for e in events] == [("fired", None, 5000.0)]


async def test_the_same_message_twice_is_applied_once(store):
    first = await apply(store, note("m1"))
    second = await apply(store, note("m1"))
    assert second.outcome == "duplicate"
    assert second.incident.id == first.incident.id
    assert second.incident.repeat_count == 0
    assert len(await store.events(first.incident.id)) == 1


async def test_a_repeat_alarm_counts_on_the_open_incident(store):
    opened = (await apply(store, note("m1"))).incident
    later = T0 + timedelta(minutes=3)
    repeated = await apply(store, note("m2", changed_at=later, value=6000.0))
    assert repeated.outcome == "repeated"
    assert repeated.incident.id == opened.id
    assert repeated.incident.repeat_count == 1
    assert repeated.incident.last_seen_at == later
    assert repeated.incident.change.value == 6000.0
    assert [e.kind for e in await store.events(opened.id)] == ["fired", "repeat"]


async def test_ok_resolves_with_the_duration_and_a_later_alarm_opens_a_new_incident(store):
    opened = (await apply(store, note("m1"))).incident
    ok_at = T0 + timedelta(minutes=12)
    resolved = await apply(store, note("m2", state="OK", changed_at=ok_at))
    assert resolved.outcome == "resolved"
    assert resolved.incident.state == "resolved" and resolved.incident.alarm_state == "OK"
    assert resolved.incident.resolved_by is None
    assert resolved.incident.duration == timedelta(minutes=12)
    again = await apply(store, note("m3", changed_at=ok_at + timedelta(minutes=1)))
    assert again.outcome == "opened" and again.incident.id != opened.id


async def test_insufficient_data_is_recorded_but_does_not_resolve(store):
    opened = (await apply(store, note("m1"))).incident
    at = T0 + timedelta(minutes=2)
    applied = await apply(store, note("m2", state="INSUFFICIENT_DATA", changed_at=at))
    assert applied.outcome == "insufficient_data"
    assert applied.incident.state == "open"
    assert applied.incident.alarm_state == "INSUFFICIENT_DATA"
    assert [e.kind for e in await store.events(opened.id)] == ["fired", "insufficient_data"]


@pytest.mark.parametrize("state", ["OK", "INSUFFICIENT_DATA"])
async def test_ok_or_missing_data_without_an_open_incident_opens_nothing(store, state):
    applied = await apply(store, note("m1", state=state))
    assert applied == type(applied)("ignored", None)
    assert await store.list_recent() == []


async def test_notifications_out_of_order_change_nothing_they_should_not(store):
    await apply(store, note("alarm", changed_at=T0))
    stale_ok = await apply(store, note("old-ok", state="OK", changed_at=T0 - timedelta(minutes=1)))
    assert stale_ok.outcome == "stale" and stale_ok.incident.state == "open"
    await apply(store, note("ok", state="OK", changed_at=T0 + timedelta(minutes=5)))
    late_alarm = await apply(store, note("late", changed_at=T0 + timedelta(minutes=4)))
    assert late_alarm.outcome == "stale"  # from before the resolution: no reopening
    assert len(await store.list_recent()) == 1


async def test_a_storm_for_one_alarm_from_many_replicas_opens_one_incident(store):
    notes = [note(f"m{n}", changed_at=T0 + timedelta(seconds=n)) for n in range(30)]
    applied = await asyncio.gather(*(apply(store, n) for n in notes))
    outcomes = sorted(a.outcome for a in applied)
    assert outcomes == ["opened"] + ["repeated"] * 29
    [incident] = await store.list_recent()
    assert incident.repeat_count == 29
    assert incident.last_seen_at == T0 + timedelta(seconds=29)


async def test_acknowledge_keeps_the_first_and_resolve_by_hand_keeps_the_note(store):
    incident = (await apply(store, note("m1"))).incident
    first = await store.acknowledge(incident.id, "U_LEAD")
    second = await store.acknowledge(incident.id, "U_OTHER")
    assert first.changed and not second.changed
    assert second.incident.acknowledged_by == "U_LEAD"
    assert second.incident.acknowledged_at == T0 + timedelta(minutes=5)
    closed = await store.resolve(incident.id, actor="U_LEAD", note="restarted the worker")
    again = await store.resolve(incident.id, actor="U_OTHER")
    assert closed.changed and not again.changed
    assert closed.incident.resolved_by == "U_LEAD"
    events = await store.events(incident.id)
    assert [(e.kind, e.actor) for e in events] == [
        ("fired", None),
        ("acknowledged", "U_LEAD"),
        ("resolved", "U_LEAD"),
    ]
    assert events[-1].detail == {"note": "restarted the worker"}
    assert await store.acknowledge("INC-9999", "U_LEAD") is None
    assert await store.resolve("INC-9999", actor="U_LEAD") is None


async def test_add_event_get_and_list_recent(store):
    first = (await apply(store, note("m1"))).incident
    await apply(store, note("m2", state="OK", changed_at=T0 + timedelta(minutes=1)))
    other = (await apply(store, note("m3", alarm_name="rtb-hub-error-rate"))).incident
    event = await store.add_event(other.id, "action", "U_OP", {"verb": "pause jira-queue"})
    assert (event.kind, event.actor, event.detail) == (
        "action",
        "U_OP",
        {"verb": "pause jira-queue"},
    )
    assert [i.id for i in await store.list_recent()] == [other.id, first.id]  # open first
    assert (await store.get(first.id)).state == "resolved"
    assert await store.get("INC-9999") is None
    assert (await store.get_by_card(other.card_key)).id == other.id
    assert (await store.open_for("rtb-hub-error-rate", ACCOUNT)).id == other.id


async def test_the_same_alarm_name_in_two_accounts_is_two_incidents(store):
    a = (await apply(store, note("m1"))).incident
    b = (await store.apply(note("m2", account="222222222222"), env="stg", channel=CHANNEL)).incident
    assert a.id != b.id and b.env == "stg"


async def test_the_runtime_role_opens_acknowledges_and_resolves(pg_url):
    from tests.ops.test_db_roles import runtime_url

    owner = Database("owner", pg_url)
    await owner.open()
    await migrate(owner)
    await owner.close()
    runtime = Database("bot", runtime_url(pg_url))
    await runtime.open()
    try:
        store = IncidentStore(runtime, clock=lambda: T0)
        incident = (await apply(store, note("m1"))).incident
        await store.acknowledge(incident.id, "U_LEAD")
        assert (await store.resolve(incident.id, actor="U_LEAD")).changed
    finally:
        await runtime.close()

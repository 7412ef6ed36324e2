"""The fake PagerDuty refuses what the Events API v2 refuses, and answers as it does."""

import json

import aiohttp
import pytest

from sandbox.fake_pagerduty import FakePagerDuty

KEY = "r" * 32


@pytest.fixture(scope="module")
def pd_server():
    fake = FakePagerDuty()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def pd(pd_server):
    pd_server.reset()
    return pd_server


def trigger(**changes):
    event = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "alarm-1",
        "payload": {"summary": "error rate 12%", "source": "rtb-ops-bot", "severity": "critical"},
        "links": [{"href": "https://example.slack.com/archives/C1/p1", "text": "card"}],
    }
    event.update(changes)
    return event


async def post(pd, body, *, raw=None):
    async with aiohttp.ClientSession() as session:
        kwargs = {"data": raw} if raw is not None else {"json": body}
        async with session.post(pd.events_url, **kwargs) as response:
            text = await response.text()
            return response.status, json.loads(text) if text.startswith("{") else text


async def test_a_valid_trigger_is_accepted_with_its_dedup_key_and_recorded(pd):
    status, body = await post(pd, trigger())
    assert status == 202
    assert body == {"status": "success", "message": "Event processed", "dedup_key": "alarm-1"}
    assert [(e.action, e.dedup_key, e.summary) for e in pd.events] == [
        ("trigger", "alarm-1", "error rate 12%")
    ]
    assert pd.alerts == {"alarm-1": "triggered"}


async def test_a_trigger_without_dedup_key_gets_one(pd):
    event = trigger()
    del event["dedup_key"]
    status, body = await post(pd, event)
    assert status == 202 and len(body["dedup_key"]) >= 16
    assert pd.events[0].dedup_key == body["dedup_key"]


@pytest.mark.parametrize(
    ("event", "named"),
    [
        (trigger(routing_key="short"), "routing_key"),
        (trigger(routing_key=None), "routing_key"),
        (trigger(event_action="page"), "event_action"),
        (trigger(dedup_key="x" * 256), "dedup_key"),
        (trigger(payload=None), "payload"),
        (trigger(payload={"source": "s", "severity": "critical"}), "payload.summary"),
        (trigger(payload={"summary": "x" * 1025, "source": "s", "severity": "info"}), "summary"),
        (trigger(payload={"summary": "x", "severity": "critical"}), "payload.source"),
        (trigger(payload={"summary": "x", "source": "s", "severity": "high"}), "severity"),
        (trigger(links=[{"text": "no href"}]), "links"),
        ({"routing_key": KEY, "event_action": "acknowledge"}, "dedup_key"),
        ({"routing_key": KEY, "event_action": "resolve", "dedup_key": ""}, "dedup_key"),
        ([trigger()], "object"),
    ],
)
async def test_an_invalid_event_is_refused_400_with_the_reason_and_not_recorded(pd, event, named):
    status, body = await post(pd, event)
    assert status == 400
    assert body["status"] == "invalid event"
    assert any(named in error for error in body["errors"]), body["errors"]
    assert pd.events == [] and pd.alerts == {}


async def test_a_body_that_is_not_json_is_refused(pd):
    status, body = await post(pd, None, raw=b"{not json")
    assert status == 400 and body["status"] == "invalid event"


async def test_trigger_acknowledge_resolve_move_the_alert_and_a_repeat_trigger_dedups(pd):
    assert (await post(pd, trigger()))[0] == 202
    ack = {"routing_key": KEY, "event_action": "acknowledge", "dedup_key": "alarm-1"}
    assert (await post(pd, ack))[0] == 202
    assert pd.alerts["alarm-1"] == "acknowledged"
    assert (await post(pd, trigger()))[0] == 202  # the same alert: still acknowledged
    assert pd.alerts["alarm-1"] == "acknowledged"
    resolve = {**ack, "event_action": "resolve"}
    assert (await post(pd, resolve))[0] == 202
    assert pd.alerts["alarm-1"] == "resolved"
    assert [e.action for e in pd.events_for("alarm-1")] == [
        "trigger",
        "acknowledge",
        "trigger",
        "resolve",
    ]


async def test_acknowledging_an_unknown_key_is_accepted_and_changes_nothing(pd):
    ack = {"routing_key": KEY, "event_action": "acknowledge", "dedup_key": "never-seen"}
    assert (await post(pd, ack))[0] == 202
    assert pd.alerts == {}


async def test_injected_faults_answer_before_validation_then_stop(pd):
    pd.fail(429, 2)
    pd.fail(500)
    statuses = [(await post(pd, trigger()))[0] for _ in range(4)]
    assert statuses == [429, 429, 500, 202]
    assert pd.requests == 4 and len(pd.events) == 1


async def test_down_answers_503_until_up(pd):
    pd.down()
    assert (await post(pd, trigger()))[0] == 503
    assert (await post(pd, trigger()))[0] == 503
    pd.up()
    assert (await post(pd, trigger()))[0] == 202
    assert len(pd.events) == 1


async def test_only_post_to_the_enqueue_path_is_served(pd):
    async with aiohttp.ClientSession() as session:
        async with session.get(pd.events_url) as response:
            assert response.status == 404
        async with session.post(pd.url + "/v1/enqueue", json=trigger()) as response:
            assert response.status == 404
    assert pd.events == []

"""Paging over HTTP to the fake Events API: what is sent, retries, refusals, outages, and the
routing key kept out of the logs. `page()` never raises."""

import socket
from dataclasses import dataclass

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from ops.backends.pagerduty import PagerDutyEvents
from ops.config import Config
from ops.paging import PageLink, page, pages_for
from sandbox.fake_pagerduty import FakePagerDuty

KEY = "abcdefghijklmnopqrstuvwxyz012345"  # 32 characters, like an integration key


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


@dataclass
class Waits:
    seconds: list

    async def __call__(self, delay):
        self.seconds.append(delay)


@dataclass
class FakeDeps:
    """`page()` needs only `.backends.pagerduty` of the handlers' Deps."""

    backends: object


@dataclass
class Backends:
    pagerduty: PagerDutyEvents | None


@pytest.fixture
async def pager(pd):
    waits = Waits([])
    client = PagerDutyEvents(pd.events_url, KEY, timeout=5, attempts=3, sleep=waits)
    client.waits = waits
    yield client
    await client.close()


def deps_with(client):
    return FakeDeps(Backends(client))


async def trigger(client, key="alarm:rtb-hub-workflow-engine-error-rate:prd"):
    return await page(
        deps_with(client),
        dedup_key=key,
        action="trigger",
        summary="workflow-engine error rate 12% > 5% (prd)",
        source="rtb-hub prd",
        severity="critical",
        links=[PageLink("https://example.slack.com/archives/C1/p1", "Incident card")],
        details={"alarm": "rtb-hub-workflow-engine-error-rate"},
    )


async def test_trigger_acknowledge_resolve_reach_pagerduty_under_one_dedup_key(pd, pager):
    key = "alarm:rtb-hub-workflow-engine-error-rate:prd"
    first = await trigger(pager, key)
    assert first.sent and first.outcome == "sent" and first.dedup_key == key
    assert first.attempts == 1 and first.status == 202
    assert pd.alerts[key] == "triggered"
    for action, state in (("acknowledge", "acknowledged"), ("resolve", "resolved")):
        result = await page(deps_with(pager), dedup_key=key, action=action)
        assert result.sent
        assert pd.alerts[key] == state
    sent = pd.events_for(key)
    assert [e.action for e in sent] == ["trigger", "acknowledge", "resolve"]
    body = sent[0].body
    assert body["routing_key"] == KEY
    assert body["payload"] == {
        "summary": "workflow-engine error rate 12% > 5% (prd)",
        "source": "rtb-hub prd",
        "severity": "critical",
        "custom_details": {"alarm": "rtb-hub-workflow-engine-error-rate"},
    }
    assert body["links"] == [
        {"href": "https://example.slack.com/archives/C1/p1", "text": "Incident card"}
    ]
    assert "payload" not in sent[1].body  # acknowledge/resolve carry only the key


async def test_a_long_summary_is_cut_to_what_pagerduty_takes(pd, pager):
    result = await page(deps_with(pager), dedup_key="k", action="trigger", summary="x" * 5000)
    assert result.sent and len(pd.events[0].summary) == 1024


async def test_429_and_5xx_are_retried_with_backoff_then_accepted_once(pd, pager):
    pd.fail(429)
    pd.fail(500)
    result = await trigger(pager)
    assert result.sent and result.attempts == 3
    assert pager.waits.seconds == [1.0, 2.0]  # doubled each time
    assert pd.requests == 3 and len(pd.events) == 1


async def test_pagerduty_down_is_unavailable_after_the_bounded_attempts_no_raise(pd, pager):
    pd.down()
    result = await trigger(pager)
    assert result.outcome == "unavailable" and not result.sent
    assert result.attempts == 3 and result.status == 503
    assert pd.requests == 3 and pd.events == []


async def test_an_invalid_event_is_refused_once_not_retried(pd):
    client = PagerDutyEvents(pd.events_url, "too-short", attempts=3)
    try:
        result = await trigger(client)
    finally:
        await client.close()
    assert result.outcome == "refused" and result.attempts == 1 and result.status == 400
    assert any("routing_key" in error for error in result.errors)
    assert pd.requests == 1


async def test_nothing_listening_is_unavailable_no_raise():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    waits = Waits([])
    client = PagerDutyEvents(f"http://127.0.0.1:{port}/v2/enqueue", KEY, attempts=2, sleep=waits)
    try:
        result = await trigger(client)
    finally:
        await client.close()
    assert result.outcome == "unavailable" and result.status is None and result.attempts == 2
    assert waits.seconds == [1.0]


async def test_not_configured_sends_nothing():
    result = await trigger(None)
    assert result.outcome == "not configured" and not result.sent and result.attempts == 0


async def test_the_routing_key_never_reaches_a_log_line(pd, pager):
    pd.fail(500)
    with capture_logs() as logs:
        await trigger(pager)
        pd.down()
        await trigger(pager)
    assert logs, "paging logs its outcomes"
    assert all(KEY not in repr(entry) for entry in logs)
    assert KEY not in repr(pager)


def test_the_runbook_pages_on_the_workflow_engine_error_rate_by_default(bot_config):
    assert pages_for(bot_config, alarm="rtb-hub-workflow-engine-error-rate")
    assert pages_for(bot_config, indicator="error_rate")
    assert not pages_for(bot_config, alarm="rtb-hub-bullmq-queue-depth")
    assert not pages_for(bot_config, indicator="waiting_jobs")
    assert not pages_for(bot_config)


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"pagerduty": {"oncall_lead": "lead1"}}, "pagerduty.oncall_lead"),
        ({"pagerduty": {"page_indicators": ["error_rates"]}}, "pagerduty.page_indicators.0"),
        ({"pagerduty": {"attempts": 0}}, "pagerduty.attempts"),
        ({"pagerduty": {"events_url": "not a url"}}, "pagerduty.events_url"),
        ({"escalation": {"after_minutes": -1}}, "escalation.after_minutes"),
        ({"escalation": {"scope": "stg"}}, "escalation.scope"),
        ({"escalation": {"schedule": "every minute"}}, "escalation.schedule"),
    ],
)
def test_a_wrong_paging_or_escalation_setting_is_named(section, named):
    raw = {"environments": {"int": {"account_id": "111111111111"}}, **section}
    with pytest.raises(ValidationError) as caught:
        Config.model_validate(raw)
    paths = [".".join(str(part) for part in error["loc"]) for error in caught.value.errors()]
    assert named in paths, paths

"""Escalation of stale prd approvals end to end: real PostgreSQL, two replicas of the bot, the
fake Slack (DMs through the outbox, the card redrawn) and the fake PagerDuty over HTTP."""

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from approvals.escalation import Escalations
from bot.app import create_runtime
from bot.settings import Settings
from handlers.escalation_jobs import ESCALATION_JOB, page_dedup_key, run_escalation
from handlers.jobs import JOBS
from handlers.scheduled import JobContext, fire_job
from sandbox.fake_pagerduty import FakePagerDuty
from sandbox.slack_payloads import block_actions
from tests.approvals.support import (
    PREVIEW,
    audit_outcomes,
    buttons_of,
    card,
    click_card,
    request_approval,
    seed_deployment,
    send_click,
    text_of,
)
from tests.approvals.support import replicas as replicas_of
from tests.fixtures.bot import serving

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
JOB = JOBS[ESCALATION_JOB]
LEAD_DMS = ("DULEAD1", "DULEAD2")


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


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


def escalating_settings(bot_settings, pd, *, routing_key=ROUTING_KEY, **escalation):
    config = bot_settings.config
    pagerduty = config.pagerduty.model_copy(
        update={"events_url": pd.events_url, "oncall_lead": "ULEAD1", "retry_seconds": 0}
    )
    update = {"pagerduty": pagerduty, "escalation": config.escalation.model_copy(update=escalation)}
    secrets = replace(bot_settings.secrets, pagerduty_routing_key=routing_key)
    return Settings(config.model_copy(update=update), secrets)


@pytest.fixture
async def replicas(bot_settings, pd, fake_slack, kube):
    """Two replicas on one PostgreSQL and one clock; the first serves Slack's requests."""
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    clock = Clock()
    settings = escalating_settings(bot_settings, pd)
    started = [
        create_runtime(settings, retries=0, clock=clock, replica=f"pod-{name}") for name in "ab"
    ]
    for rt in started:
        await rt.start()
    try:
        async with serving(started[0], fake_slack) as slack:
            yield slack, started, clock
    finally:
        for rt in started:
            await rt.stop()


async def fire(rt):
    fired = await fire_job(rt.deps, rt.deps.push, JOB)
    await rt.deps.push.sender.deliver_due()
    return fired


def dms(fake_slack):
    return {channel: fake_slack.messages(channel) for channel in LEAD_DMS}


async def escalation_row(rt, request_id):
    found = await rt.backends.db.fetch(
        "SELECT * FROM rtb_bot.approval_escalations WHERE request_id = %s", (request_id,)
    )
    return found[0] if found else None


async def test_a_stale_request_is_escalated_once_across_two_replicas(replicas, pd, fake_slack):
    slack, (a, b), clock = replicas
    request_id = await request_approval(slack)
    clock.advance(minutes=11)
    first, second = await asyncio.gather(fire(a), fire(b))
    assert sorted([first.status, second.status]) == ["claimed", "ran"]
    clock.advance(minutes=1)  # the next run, on the other replica, finds it escalated
    later = await fire(b)
    assert later.status == "ran" and later.result.detail["escalated"] == []
    winner = first if first.status == "ran" else second
    assert winner.result.detail["escalated"] == [request_id]
    # one DM to each lead (the requester is an operator), through the outbox
    sent = dms(fake_slack)
    assert [len(messages) for messages in sent.values()] == [1, 1]
    dm = text_of(sent["DULEAD1"][0])
    assert request_id in dm and re.search(r"has waited 1[01] min for a team lead", dm)
    assert "/archives/C_APPROVALS/p" in dm  # the card's permalink
    # one page for the on-call lead, with the card's link
    events = pd.events_for(page_dedup_key(request_id))
    assert [e.action for e in events] == ["trigger"]
    assert events[0].routing_key == ROUTING_KEY
    assert request_id in events[0].summary
    assert events[0].body["payload"]["custom_details"]["oncall_lead"] == "ULEAD1"
    assert "/archives/C_APPROVALS/p" in events[0].body["links"][0]["href"]
    # the card says it, and can still be acted on
    message = card(fake_slack, request_id)
    shown = text_of(message)
    assert "Escalated at" in shown and "DM to <@ULEAD1> <@ULEAD2>" in shown
    assert "paged <@ULEAD1> (PagerDuty)" in shown
    assert [b["action_id"] for b in buttons_of(message)] == ["approval_approve", "approval_reject"]
    assert (await audit_outcomes(slack, request_id)).count("escalated") == 1
    row = await escalation_row(a, request_id)
    assert row["page_outcome"] == "sent" and row["notified_at"] is not None


async def test_two_overlapping_runs_escalate_a_request_once(replicas, pd, fake_slack):
    """Runs of two periods at once (a slow run and the next one): the request's claim decides."""
    slack, started, clock = replicas
    request_id = await request_approval(slack)
    clock.advance(minutes=11)

    def context(rt, minute):
        deps = rt.deps
        return JobContext(deps, deps.push.outbox, f"run-{minute}", clock.now, clock.now)

    results = await asyncio.gather(
        *(run_escalation(context(rt, n)) for n, rt in enumerate(started))
    )
    for rt in started:
        await rt.deps.push.sender.deliver_due()
    assert sorted(len(r.detail["escalated"]) for r in results) == [0, 1]
    assert [len(messages) for messages in dms(fake_slack).values()] == [1, 1]
    assert len(pd.events_for(page_dedup_key(request_id))) == 1
    assert (await audit_outcomes(slack, request_id)).count("escalated") == 1


async def test_a_request_a_lead_acted_on_in_time_is_not_escalated(replicas, pd, fake_slack):
    slack, (a, _), clock = replicas
    request_id = await request_approval(slack)
    clock.advance(minutes=5)
    assert (await fire(a)).result.detail["escalated"] == []  # not stale yet
    answer = await click_card(slack, request_id, user="ULEAD1")
    assert "You approved" in answer
    clock.advance(minutes=30)
    fired = await fire(a)
    assert fired.status == "ran" and fired.result.detail["escalated"] == []
    assert dms(fake_slack) == {channel: [] for channel in LEAD_DMS}
    assert pd.requests == 0
    assert await escalation_row(a, request_id) is None
    assert "escalated" not in await audit_outcomes(slack, request_id)


async def test_pagerduty_down_the_dms_still_go_the_page_is_retried_next_run(
    replicas, pd, fake_slack
):
    slack, (a, b), clock = replicas
    request_id = await request_approval(slack)
    pd.down()
    clock.advance(minutes=11)
    fired = await fire(a)
    assert fired.status == "ran" and fired.result.detail["escalated"] == [request_id]
    assert [len(messages) for messages in dms(fake_slack).values()] == [1, 1]
    assert pd.requests == 3 and pd.events == []  # the bounded attempts, then given up
    assert "PagerDuty did not answer; the page is retried each run" in text_of(
        card(fake_slack, request_id)
    )
    pd.up()
    clock.advance(minutes=1)
    retried = await fire(b)
    assert retried.result.detail["pages_retried"] == ["sent"]
    assert [e.action for e in pd.events_for(page_dedup_key(request_id))] == ["trigger"]
    assert "paged <@ULEAD1> (PagerDuty)" in text_of(card(fake_slack, request_id))
    assert [len(messages) for messages in dms(fake_slack).values()] == [1, 1]  # no second DM
    clock.advance(minutes=1)
    assert (await fire(a)).result.detail["pages_retried"] == []  # sent: nothing to retry


async def test_the_page_is_resolved_once_a_lead_decides(replicas, pd, fake_slack):
    slack, (a, _), clock = replicas
    request_id = await request_approval(slack)
    clock.advance(minutes=11)
    await fire(a)
    key = page_dedup_key(request_id)
    assert pd.alerts[key] == "triggered"
    answer = await click_card(slack, request_id, user="ULEAD2", action_id="approval_reject")
    assert "reject" in answer.lower()
    clock.advance(minutes=1)
    assert (await fire(a)).result.detail["pages_resolved"] == [request_id]
    assert pd.alerts[key] == "resolved"
    clock.advance(minutes=1)
    assert (await fire(a)).result.detail["pages_resolved"] == []  # once


async def test_without_pagerduty_the_leads_are_dmed_and_nothing_is_paged(
    bot_settings, pd, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    clock = Clock()
    settings = escalating_settings(bot_settings, pd, routing_key="")
    rt = create_runtime(settings, retries=0, clock=clock, replica="pod-a")
    await rt.start()
    try:
        async with serving(rt, fake_slack) as slack:
            request_id = await request_approval(slack)
            clock.advance(minutes=11)
            assert (await fire(rt)).result.detail["escalated"] == [request_id]
    finally:
        await rt.stop()
    assert [len(messages) for messages in dms(fake_slack).values()] == [1, 1]
    assert pd.requests == 0
    shown = text_of(card(fake_slack, request_id))
    assert "DM to <@ULEAD1> <@ULEAD2>." in shown and "PagerDuty" not in shown


async def test_scope_incidents_escalates_only_requests_from_an_incident(
    bot_settings, pd, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    clock = Clock()
    settings = escalating_settings(bot_settings, pd, scope="incidents")
    rt = create_runtime(settings, retries=0, clock=clock, replica="pod-a")
    await rt.start()
    try:
        async with serving(rt, fake_slack) as slack:
            from_incident = await request_approval(slack, reason="INC-7Q2 error rate")
            other = await request_approval(
                slack, f"scale prd app 1 --namespace {PREVIEW}", reason="tidying up"
            )
            clock.advance(minutes=11)
            fired = await fire(rt)
    finally:
        await rt.stop()
    assert fired.result.detail["escalated"] == [from_incident]
    assert other not in fired.result.detail["escalated"]


async def test_a_claim_whose_replica_stopped_before_the_dms_is_finished_by_a_later_run(
    replicas, pd, fake_slack
):
    slack, (a, b), clock = replicas
    request_id = await request_approval(slack)
    clock.advance(minutes=11)
    escalations = Escalations(a.backends.db, a.deps.gate.audit)
    (stale,) = await escalations.stale(clock.now, timedelta(minutes=10), "prd")
    claimed = await escalations.claim(
        stale, replica="pod-a", now=clock.now, leads=("ULEAD1", "ULEAD2"), oncall=None, paging=True
    )
    assert claimed is not None  # ... and pod-a stops here, before the DMs
    clock.advance(minutes=1)
    assert (await fire(b)).result.posted == ()  # too early to call it abandoned
    clock.advance(minutes=2)
    finished = await fire(b)
    assert finished.result.detail["escalated"] == []  # escalated once, by pod-a's claim
    assert [len(messages) for messages in dms(fake_slack).values()] == [1, 1]
    assert len(pd.events_for(page_dedup_key(request_id))) == 1
    assert "DM to <@ULEAD1> <@ULEAD2>" in text_of(card(fake_slack, request_id))
    clock.advance(minutes=5)
    await fire(a)
    assert [len(messages) for messages in dms(fake_slack).values()] == [1, 1]
    assert (await audit_outcomes(slack, request_id)).count("escalated") == 1


async def test_a_lead_approves_from_the_dm_through_the_gate(replicas, pd, fake_slack, kube):
    slack, (a, _), clock = replicas
    request_id = await request_approval(slack)
    clock.advance(minutes=11)
    await fire(a)
    (dm,) = fake_slack.messages("DULEAD2")
    block = next(b for b in dm["blocks"] if b["type"] == "actions")
    payload = block_actions(
        user_id="ULEAD2",
        action_id="approval_approve",
        value=request_id,
        block_id=block["block_id"],
        channel_id="DULEAD2",
        message_ts=dm["ts"],
        message=dm,
        response_url=fake_slack.response_url(),
    )
    assert "You approved" in await send_click(slack, payload)
    assert replicas_of(kube["prd"], PREVIEW, "app") == 0
    assert "approved by <@ULEAD2>" in text_of(card(fake_slack, request_id))
    again = await send_click(slack, {**payload, "user": {**payload["user"], "id": "ULEAD1"}})
    assert "You approved" not in again  # decided: a second click changes nothing


async def test_a_lead_who_voted_has_acted_even_when_a_second_approval_is_needed(
    bot_settings, pd, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    clock = Clock()
    settings = escalating_settings(bot_settings, pd)
    approvals = settings.config.approvals.model_copy(update={"required": 2})
    settings = Settings(
        settings.config.model_copy(update={"approvals": approvals}), settings.secrets
    )
    rt = create_runtime(settings, retries=0, clock=clock, replica="pod-a")
    await rt.start()
    try:
        async with serving(rt, fake_slack) as slack:
            voted = await request_approval(slack)
            await click_card(slack, voted, user="ULEAD1")  # one of two
            untouched = await request_approval(slack, f"scale prd app 1 --namespace {PREVIEW}")
            clock.advance(minutes=11)
            fired = await fire(rt)
    finally:
        await rt.stop()
    assert fired.result.detail["escalated"] == [untouched]


async def test_each_lead_is_dmed_in_their_own_language(replicas, pd, fake_slack):
    """ULEAD1 chose Korean with `/rtb lang ko`, ULEAD2 never chose (the config's default, en):
    one escalation, each DM in its reader's language."""
    slack, (a, _b), clock = replicas
    await slack.ask("lang ko", user="ULEAD1")
    request_id = await request_approval(slack)
    clock.advance(minutes=11)
    assert (await fire(a)).result.detail["escalated"] == [request_id]
    sent = dms(fake_slack)
    assert [len(messages) for messages in sent.values()] == [1, 1]
    korean, english = text_of(sent["DULEAD1"][0]), text_of(sent["DULEAD2"][0])
    assert request_id in korean and request_id in english
    assert "분째 팀장을 기다리고 있습니다" in korean and "has waited" not in korean
    assert re.search(r"has waited 1[01] min for a team lead", english)
    assert not re.search("[가-힣]", english)

"""The preview TTL notice end to end: the sandbox's clusters (int PROJ-123 ends in 1 h 30 min),
the bot's real PostgreSQL, two replicas, the fake Slack and the fake Jira; the buttons as signed
clicks through the policy gate."""

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import create_runtime
from bot.settings import Settings
from handlers.jobs import JOBS
from handlers.render.ttl_notice import DELETE_ACTION, EXTEND_ACTION
from handlers.scheduled import fire_job
from handlers.ttl_notices import notice_pass
from ops.config import Jira, TtlNotice
from ops.previews import EXPIRES_AT
from sandbox.fake_jira import FakeJira
from sandbox.seed_kube import PREVIEWS, seed_cluster
from sandbox.slack_payloads import plain_text_value
from tests.approvals.support import (
    buttons_of,
    card,
    click_card,
    request_id_in,
    rows,
    text_of,
)
from tests.fixtures.bot import answer_text, serving

JOB = JOBS["ttl-notice"]
ALERTS = "C_ALERTS"
JIRA_EMAIL, JIRA_TOKEN = "rtb-bot@example.com", "jira-api-token-0123456789-secret"
INT_NS = "preview-proj-123"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def jira():
    issues = [p.issue for previews in PREVIEWS.values() for p in previews]
    fake = FakeJira(email=JIRA_EMAIL, api_token=JIRA_TOKEN, issues=issues)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def at(kube, fake_slack):
    now = datetime.now(UTC).replace(microsecond=0)
    for env, server in kube.items():
        seed_cluster(server, env, now=now)
    fake_slack.pace_messages = False  # several notices at once: pacing is the sender's tests'
    return now


def ttl_settings(bot_settings, jira, *, credentials=True, **ttl):
    notice = TtlNotice(jira=Jira(url=jira.url) if jira else None, **ttl)
    secrets = bot_settings.secrets
    if credentials:
        secrets = replace(secrets, jira_email=JIRA_EMAIL, jira_api_token=JIRA_TOKEN)
    return Settings(bot_settings.config.model_copy(update={"ttl_notice": notice}), secrets)


@pytest.fixture
async def replicas(bot_settings, jira, at):
    clock = Clock(at)
    settings = ttl_settings(bot_settings, jira)
    started = [create_runtime(settings, retries=0, clock=clock, replica=f"pod-{n}") for n in "ab"]
    for rt in started:
        await rt.start()
    yield started, clock
    for rt in started:
        await rt.stop()


@pytest.fixture
async def one(bot_settings, jira, at, fake_slack):
    """One replica behind the ack front (for clicks), its clock at `at`."""
    clock = Clock(at)
    rt = create_runtime(ttl_settings(bot_settings, jira), retries=0, clock=clock, replica="pod-a")
    await rt.start()
    try:
        async with serving(rt, fake_slack) as driver:
            yield driver, clock
    finally:
        await rt.stop()


async def run_pass(rt, clock):
    result = await notice_pass(rt.deps, rt.deps.push.outbox, clock())
    await rt.deps.push.sender.deliver_due()
    return result


def int_keys(result):
    return [key for key in result.posted if key.startswith("ttl-notice:int:")]


def notices(api, channel=ALERTS):
    return [m for m in api.messages(channel) if "expires in" in m.get("text", "")]


def expiry(kube, env, name):
    return kube[env].get("namespaces", None, name)["metadata"]["annotations"][EXPIRES_AT]


def set_expiry(kube, env, name, moment):
    ns = kube[env].get("namespaces", None, name)
    ns["metadata"]["annotations"][EXPIRES_AT] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    kube[env].apply(ns)


def set_owner(kube, env, name, owner):
    ns = kube[env].get("namespaces", None, name)
    ns["metadata"]["labels"]["rtb.io/owner"] = owner
    kube[env].apply(ns)


async def notice_rows(rt):
    return await rt.backends.db.fetch(
        "SELECT env, namespace, expires_at, issue_key, claimed_by, outbox_key, jira"
        " FROM rtb_bot.ttl_notices ORDER BY claimed_at",
        (),
    )


# -- once, and again only for a new expiry ---------------------------------------------------


async def test_one_notice_across_two_replicas_with_one_jira_comment(replicas, fake_slack, jira, at):
    (a, b), clock = replicas
    fired = [await fire_job(rt.deps, rt.deps.push, JOB) for rt in (a, b)]
    assert sorted(f.status for f in fired) == ["claimed", "ran"]
    again = await run_pass(b, clock)  # a pass outside the schedule finds the preview claimed
    assert again.posted == ()
    await a.deps.push.sender.deliver_due()

    [notice] = notices(fake_slack)
    text = text_of(notice)
    assert "Preview *PROJ-123* in *int* expires in 1 h 30 min" in text
    assert f"`{INT_NS}`" in text and "a comment was added to" in text
    value = f"int|{INT_NS}|{(at + timedelta(hours=1, minutes=30)).isoformat()}"
    assert [(b["action_id"], b["value"]) for b in buttons_of(notice)] == [
        (EXTEND_ACTION, value),
        (DELETE_ACTION, value),
    ]
    assert [c.issue_key for c in jira.comments] == ["PROJ-123"]  # 20 h, 6 h … are not due
    comment = jira.comments[0].text
    assert "(int, namespace preview-proj-123) expires in 1 h 30 min" in comment
    [row] = await notice_rows(a)
    assert row["issue_key"] == "PROJ-123" and row["jira"] == "added"
    assert row["outbox_key"] == f"ttl-notice:int:{INT_NS}:{row['expires_at'].isoformat()}"


async def test_a_claim_whose_replica_died_before_its_notice_is_taken_over(replicas, fake_slack, at):
    (a, b), clock = replicas
    expires = at + timedelta(hours=1, minutes=30)
    await a.backends.db.execute(  # pod-dead claimed PROJ-123's notice and died before sending it
        "INSERT INTO rtb_bot.ttl_notices (env, namespace, expires_at, issue_key, claimed_by,"
        " claimed_at) VALUES ('int', %s, %s, 'PROJ-123', 'pod-dead', %s)",
        (INT_NS, expires, at - timedelta(minutes=1)),
    )
    assert int_keys(await run_pass(b, clock)) == []  # a minute ago: it may still be sending
    clock.now = at + timedelta(minutes=5)
    assert len(int_keys(await run_pass(b, clock))) == 1
    assert int_keys(await run_pass(a, clock)) == []  # taken over once
    assert len(notices(fake_slack)) == 1
    [row] = [r for r in await notice_rows(a) if r["env"] == "int"]
    assert row["claimed_by"] == "pod-b" and row["outbox_key"] is not None


async def test_two_replicas_passing_at_the_same_moment_send_one_notice(replicas, fake_slack, jira):
    (a, b), clock = replicas
    results = await asyncio.gather(
        *(notice_pass(rt.deps, rt.deps.push.outbox, clock()) for rt in (a, b))
    )
    assert sorted(len(int_keys(r)) for r in results) == [0, 1]
    for rt in (a, b):
        await rt.deps.push.sender.deliver_due()
    assert len(notices(fake_slack)) == 1 and len(jira.comments) == 1


async def test_an_extension_re_arms_the_notice_and_the_same_expiry_does_not(
    replicas, fake_slack, jira, kube, at
):
    (a, _), clock = replicas
    assert len((await run_pass(a, clock)).posted) == 1
    clock.advance(minutes=10)
    assert (await run_pass(a, clock)).posted == ()  # same expiry, 1 h 20 min left: nothing

    set_expiry(kube, "int", INT_NS, at + timedelta(hours=5, minutes=30))  # extended by 4 h
    assert (await run_pass(a, clock)).posted == ()  # 5 h 20 min left: not within 2 h
    clock.advance(hours=3, minutes=50)  # 1 h 30 min before the new expiry
    assert int_keys(await run_pass(a, clock)) == [
        f"ttl-notice:int:{INT_NS}:{(at + timedelta(hours=5, minutes=30)).isoformat()}"
    ]  # (prd PROJ-101, seeded 6 h ahead, is due now too)
    assert (await run_pass(a, clock)).posted == ()

    texts = [text_of(m) for m in notices(fake_slack) if "PROJ-123" in m["text"]]
    assert len(texts) == 2 and all("expires in 1 h 30 min" in t for t in texts)
    assert len(jira.comments_on("PROJ-123")) == 2
    assert [r["expires_at"] for r in await notice_rows(a) if r["env"] == "int"] == [
        at + timedelta(hours=1, minutes=30),
        at + timedelta(hours=5, minutes=30),
    ]


async def test_a_preview_being_deleted_gets_no_notice(replicas, fake_slack, kube, at):
    (a, _), clock = replicas
    ns = kube["int"].get("namespaces", None, INT_NS)
    ns["metadata"]["deletionTimestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    ns["metadata"]["finalizers"] = ["kubernetes"]  # stuck in Terminating, still listed
    ns["status"] = {"phase": "Terminating"}
    kube["int"].apply(ns)
    assert kube["int"].get("namespaces", None, INT_NS)["metadata"]["deletionTimestamp"]
    assert int_keys(await run_pass(a, clock)) == []
    assert notices(fake_slack) == [] and await notice_rows(a) == []


# -- where it goes ---------------------------------------------------------------------------


async def test_the_owner_label_sends_the_notice_by_dm(replicas, fake_slack, kube):
    (a, _), clock = replicas
    set_owner(kube, "int", INT_NS, "UOPERATOR2")
    await run_pass(a, clock)
    [dm] = notices(fake_slack, "UOPERATOR2")
    assert "Owner: <@UOPERATOR2>" in text_of(dm)
    assert notices(fake_slack) == []


async def test_the_owners_dm_is_in_the_owners_language(replicas, fake_slack, kube):
    (a, _), clock = replicas
    await a.deps.languages.choose("UOPERATOR2", "ko")
    set_owner(kube, "int", INT_NS, "UOPERATOR2")
    await run_pass(a, clock)
    [dm] = fake_slack.messages("UOPERATOR2")
    shown = text_of(dm)
    assert INT_NS in shown and "<@UOPERATOR2>" in shown
    assert re.search("[가-힣]", shown) and "expires in" not in shown


@pytest.mark.parametrize("owner", ["U0GONE", "someone"])
async def test_an_owner_slack_does_not_know_gets_the_channel_with_a_word_why(
    replicas, fake_slack, kube, owner
):
    (a, _), clock = replicas
    fake_slack.forget_user("U0GONE")
    set_owner(kube, "int", INT_NS, owner)
    await run_pass(a, clock)
    [notice] = notices(fake_slack)
    assert f"The owner label names `{owner}`, whom Slack does not know" in text_of(notice)
    assert [c for c in fake_slack.calls_to("chat.postMessage") if c.error] == []


# -- Jira ------------------------------------------------------------------------------------


async def test_jira_down_still_sends_the_notice_and_says_the_comment_failed(
    replicas, fake_slack, jira
):
    (a, _), clock = replicas
    jira.fail_with(503)
    await run_pass(a, clock)
    [notice] = notices(fake_slack)
    text = text_of(notice)
    assert "Jira: the comment could not be added to PROJ-123 (HTTP 503 (Jira is failing))" in text
    assert JIRA_TOKEN not in text and jira.comments == []
    [row] = await notice_rows(a)
    assert row["jira"] == "failed"


async def test_jira_unreachable_still_sends_the_notice(replicas, fake_slack, jira):
    (a, _), clock = replicas
    jira.stop()
    await run_pass(a, clock)
    [notice] = notices(fake_slack)
    assert "could not be added to PROJ-123 (unreachable (connection failed))" in text_of(notice)


@pytest.mark.parametrize(
    ("with_jira", "credentials", "said"),
    [
        (False, True, "Jira: not configured (no comment)."),
        (True, False, "Jira: not commented (JIRA_EMAIL / JIRA_API_TOKEN are not set)."),
    ],
)
async def test_without_jira_the_notice_says_so(
    bot_settings, fake_slack, jira, at, with_jira, credentials, said
):
    clock = Clock(at)
    settings = ttl_settings(bot_settings, jira if with_jira else None, credentials=credentials)
    rt = create_runtime(settings, retries=0, clock=clock, replica="pod-a")
    await rt.start()
    try:
        await run_pass(rt, clock)
    finally:
        await rt.stop()
    [notice] = notices(fake_slack)
    assert said in text_of(notice) and jira.comments == []


# -- the buttons, through the gate -----------------------------------------------------------


async def click(driver, action, value, user, channel=ALERTS):
    before = len(driver.api.responses)
    assert await driver.click(action, value, user=user, channel_id=channel) == 200
    await driver.settle()
    answers = driver.api.responses[before:]
    assert answers, driver.api.describe()
    return answer_text(dict(answers[-1].body))


async def notice_value(driver, clock, action=EXTEND_ACTION):
    await run_pass(driver.runtime, clock)
    message = notices(driver.api)[-1]
    return next(b["value"] for b in buttons_of(message) if b["action_id"] == action)


async def test_extend_in_int_moves_the_ttl_once(one, kube, at):
    driver, clock = one
    value = await notice_value(driver, clock)
    answer = await click(driver, EXTEND_ACTION, value, "UOPERATOR1")
    assert "preview TTL extension is allowed" in answer
    assert expiry(kube, "int", INT_NS) == (at + timedelta(hours=5, minutes=30)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    await driver.runtime.deps.push.sender.deliver_due()
    [notice] = notices(driver.api)  # edited: says who extended it, and its buttons are gone
    assert buttons_of(notice) == []
    assert "TTL extended to " in text_of(notice) and "by <@UOPERATOR1>" in text_of(notice)
    again = await click(driver, EXTEND_ACTION, value, "UOPERATOR2")
    assert "is no longer what this was asked for" in again and "nothing was changed" in again
    assert expiry(kube, "int", INT_NS).startswith(
        (at + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M")
    )
    audit = await rows(
        driver,
        "SELECT actor, action, outcome FROM rtb_bot.audit_events WHERE action = 'preview-extend'"
        " ORDER BY id",
    )
    assert [(r["actor"], r["outcome"]) for r in audit] == [
        ("UOPERATOR1", "requested"),
        ("rtb-bot", "succeeded"),
        ("UOPERATOR2", "refused"),
    ]


async def test_the_longest_preview_name_is_extended_too(one, kube, at):
    driver, clock = one
    key = "PLATFORMOPERATIONSTEAMWITHALONGNAME-1234567890123"  # namespace of 57 characters
    name = f"preview-{key.lower()}"
    preview = dict(kube["int"].get("namespaces", None, INT_NS))
    preview["metadata"] = {
        "name": name,
        "labels": {"rtb.io/preview": "true", "rtb.io/issue-key": key},
        "annotations": {EXPIRES_AT: (at + timedelta(minutes=100)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    }
    kube["int"].apply(preview)
    await run_pass(driver.runtime, clock)
    message = next(m for m in notices(driver.api) if key in m["text"])
    value = next(b["value"] for b in buttons_of(message) if b["action_id"] == EXTEND_ACTION)
    assert len(value) > 60
    assert "preview TTL extension is allowed" in await click(
        driver, EXTEND_ACTION, value, "UOPERATOR1"
    )
    assert expiry(kube, "int", name) == (at + timedelta(minutes=340)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_a_viewer_cannot_extend_or_delete(one, kube, at):
    driver, clock = one
    value = await notice_value(driver, clock)
    before = expiry(kube, "int", INT_NS)
    for action in (EXTEND_ACTION, DELETE_ACTION):
        answer = await click(driver, action, value, "UVIEWER1")
        assert "viewers cannot request changes" in answer
    assert expiry(kube, "int", INT_NS) == before
    await driver.runtime.deps.push.sender.deliver_due()
    assert len(buttons_of(notices(driver.api)[0])) == 2  # the notice is as it was


async def test_prd_extend_asks_for_a_reason_and_waits_for_a_lead(one, kube, at):
    driver, clock = one
    set_expiry(kube, "prd", "preview-proj-101", at + timedelta(minutes=90))
    await run_pass(driver.runtime, clock)
    prd = next(m for m in notices(driver.api) if "PROJ-101" in m["text"])
    value = next(b["value"] for b in buttons_of(prd) if b["action_id"] == EXTEND_ACTION)
    before = expiry(kube, "prd", "preview-proj-101")

    await click(driver, EXTEND_ACTION, value, "UOPERATOR1")
    view = driver.api.views()[-1]
    assert view["callback_id"] == "approval_reason" and "preview-proj-101" in str(view)
    assert expiry(kube, "prd", "preview-proj-101") == before
    assert len(buttons_of(prd)) == 2 and "extended" not in text_of(prd)
    status = await driver.submit_view(
        user="UOPERATOR1",
        callback_id="approval_reason",
        private_metadata=view["private_metadata"],
        values={"reason": {"reason_input": plain_text_value("demo tomorrow morning")}},
    )
    assert status == 200
    await driver.settle()
    told = driver.api.calls_to("chat.postEphemeral")[-1].args["text"]
    request_id = request_id_in({"text": told})
    assert "preview TTL extension needs 1 team lead approval" in text_of(
        card(driver.api, request_id)
    )
    assert expiry(kube, "prd", "preview-proj-101") == before

    assert "You approved" in await click_card(driver, request_id, user="ULEAD1")
    assert expiry(kube, "prd", "preview-proj-101") == (
        at + timedelta(minutes=90) + timedelta(hours=4)
    ).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_delete_now_deletes_the_preview(one, kube):
    driver, clock = one
    value = await notice_value(driver, clock, DELETE_ACTION)
    answer = await click(driver, DELETE_ACTION, value, "UOPERATOR1")
    assert "preview namespace delete is allowed" in answer
    ns = kube["int"].get("namespaces", None, INT_NS)
    assert ns is None or ns["metadata"].get("deletionTimestamp")
    await driver.runtime.deps.push.sender.deliver_due()
    [notice] = notices(driver.api)
    assert "Deleted by <@UOPERATOR1>." in text_of(notice) and buttons_of(notice) == []


@pytest.mark.parametrize(
    ("action", "value", "said"),
    [
        (EXTEND_ACTION, "nonsense", "not part of a TTL notice"),
        (EXTEND_ACTION, "dev|preview-proj-123|2026-01-01T00:00:00+00:00", "not part of a TTL"),
        (EXTEND_ACTION, "int|preview-proj-123|yesterday", "not part of a TTL notice"),
        (DELETE_ACTION, "int|rtb-ai-hub|2026-01-01T00:00:00+00:00", "core infrastructure"),
        (EXTEND_ACTION, "prd|rtb-ai-hub|2026-01-01T00:00:00+00:00", "core infrastructure"),
    ],
)
async def test_an_edited_button_value_changes_nothing(one, kube, action, value, said):
    driver, _ = one
    before = [r for server in kube.values() for r in server.requests if r[0] != "GET"]
    answer = await click(driver, action, value, "UOPERATOR1")
    assert said in answer
    assert [r for server in kube.values() for r in server.requests if r[0] != "GET"] == before

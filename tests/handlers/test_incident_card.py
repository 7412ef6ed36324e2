"""The incident card's buttons and the incident commands, end to end: signed clicks and slash
commands over HTTP to the running app, real PostgreSQL and Redis, the fake Kubernetes API, the
fake Slack Web API (strict rules), CloudTrail through the wire-level fake AWS.

The incident is opened through the store as the SQS intake does (ops.incident_store), and its
card is written to the outbox the way the intake's card is (key `incident:<id>`)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from bullmq import Queue

from bot.app import create_runtime
from handlers.incident_cards import show_card
from handlers.incident_records import card_actions
from handlers.jobs import JOBS
from handlers.render.approvals import REASON_BLOCK, REASON_CALLBACK, REASON_INPUT
from handlers.render.incident_timeline import (
    ACK_ACTION,
    CHANGE_ACTION,
    INVESTIGATE_ACTION,
    NOTE_BLOCK,
    NOTE_INPUT,
    RESOLVE_ACTION,
    RESOLVE_CALLBACK,
)
from handlers.scheduled import fire_job
from ops.alarm_notifications import AlarmChange, AlarmMetric, AlarmNotification
from ops.config import Config
from ops.incident_store import IncidentStore
from tests.approvals.support import (
    click_card,
    replicas,
    request_id_in,
    scale_patches,
    seed_deployment,
)
from tests.fixtures.bot import ACCOUNTS, answer_text, serving

INCIDENTS = "C_INCIDENTS"  # as routed by the intake (the card's channel is the incident's)
OPENED = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
QUEUE_DEPTH = AlarmChange(
    alarm_name="rtb-hub-bullmq-queue-depth",
    account=ACCOUNTS["int"],
    region="ap-northeast-2",
    state="ALARM",
    previous_state="OK",
    reason="Threshold Crossed: 1 datapoint [212.0] was greater than the threshold (50.0).",
    changed_at=OPENED,
    description="BullMQ waiting jobs",
    metric=AlarmMetric("RTBHub/BullMQ", "WaitingJobs", "Maximum", (("Queue", "jira-queue"),)),
    comparison="GreaterThanThreshold",
    threshold=50.0,
    value=212.0,
)
PREVIEW_OOM = replace(
    QUEUE_DEPTH,
    alarm_name="rtb-preview-oom",
    account=ACCOUNTS["prd"],
    metric=AlarmMetric(
        "ContainerInsights",
        "pod_memory_utilization",
        "Maximum",
        (("Namespace", "preview-proj-7"), ("Deployment", "app")),
    ),
)


@pytest.fixture
def bot_config(config_through_fake_aws: Config) -> Config:
    return config_through_fake_aws


async def open_incident(rt, change: AlarmChange = QUEUE_DEPTH, env: str = "int", n: int = 1):
    """Open an incident as the intake does and post its card (buttons included)."""
    store = IncidentStore(rt.deps.backends.db)
    applied = await store.apply(AlarmNotification(f"msg-{n}", change), env=env, channel=INCIDENTS)
    incident = applied.incident
    actions = card_actions(rt.deps)
    await show_card(rt.deps.push.outbox, incident, timezone="Asia/Seoul", actions=actions)
    await rt.deps.push.sender.deliver_due()
    return incident


async def deliver(*runtimes) -> None:
    for rt in runtimes:
        await rt.deps.push.sender.deliver_due()


def the_card(fake_slack) -> dict[str, Any]:
    [card] = [m for m in fake_slack.messages(INCIDENTS) if m.get("thread_ts") in (None, m["ts"])]
    return card


def thread_texts(fake_slack) -> list[str]:
    card = the_card(fake_slack)
    return [answer_text(m) for m in fake_slack.thread(INCIDENTS, card["ts"])]


def button_labels(message: dict[str, Any]) -> list[str]:
    return [
        e["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def private_answers(fake_slack, since: int = 0) -> list[str]:
    return [answer_text(r.body) for r in fake_slack.responses[since:]]


async def click(slack, action_id: str, value: str, user: str) -> None:
    assert await slack.click(action_id, value, user=user, channel_id=INCIDENTS) == 200
    await slack.settle()
    await slack.runtime.deps.push.sender.deliver_due()


async def kinds(rt, incident_id: str) -> list[tuple[str, str | None]]:
    events = await IncidentStore(rt.deps.backends.db).events(incident_id)
    return [(e.kind, e.actor) for e in events]


# -- Acknowledge -----------------------------------------------------------------------------


async def test_acknowledge_by_viewer_operator_and_lead(slack, runtime, fake_slack):
    incident = await open_incident(runtime)
    assert button_labels(the_card(fake_slack)) == [
        "Acknowledge",
        "Investigate",
        "Pause jira-queue",
        "Scale workflow-engine to 3",
        "Resolve",
    ]
    await click(slack, ACK_ACTION, incident.id, "UVIEWER1")
    assert "Only operators and leads can acknowledge" in private_answers(fake_slack)[-1]
    await click(slack, ACK_ACTION, incident.id, "UOPERATOR1")
    card = the_card(fake_slack)
    assert "*Acknowledged*\\n<@UOPERATOR1> at" in answer_text(card)
    assert "Acknowledge" not in button_labels(card) and "Investigate" in button_labels(card)
    assert any("Acknowledged by <@UOPERATOR1>" in t for t in thread_texts(fake_slack))
    await click(slack, ACK_ACTION, incident.id, "ULEAD1")
    assert "Already acknowledged by <@UOPERATOR1>" in private_answers(fake_slack)[-1]
    assert await kinds(runtime, incident.id) == [("fired", None), ("acknowledged", "UOPERATOR1")]


@pytest.fixture
async def two_replicas(bot_settings):
    started = [create_runtime(bot_settings, retries=0, replica=f"pod-{n}") for n in "ab"]
    for rt in started:
        await rt.start()
    yield started
    for rt in started:
        await rt.stop()


async def test_acknowledge_racing_on_two_replicas_records_one(two_replicas, fake_slack):
    a, b = two_replicas
    incident = await open_incident(a)
    async with serving(a, fake_slack) as on_a, serving(b, fake_slack) as on_b:
        clicks = [(on_a, "ULEAD1"), (on_b, "UOPERATOR1"), (on_a, "UOPERATOR2"), (on_b, "ULEAD2")]
        await asyncio.gather(
            *(d.click(ACK_ACTION, incident.id, user=u, channel_id=INCIDENTS) for d, u in clicks)
        )
        await asyncio.gather(on_a.settle(), on_b.settle())
    await deliver(a, b)
    acks = [k for k in await kinds(a, incident.id) if k[0] == "acknowledged"]
    assert len(acks) == 1
    [(_, who)] = acks
    assert answer_text(the_card(fake_slack)).count("*Acknowledged*") == 1
    assert f"*Acknowledged*\\n<@{who}> at" in answer_text(the_card(fake_slack))
    assert sum("Acknowledged by" in t for t in thread_texts(fake_slack)) == 1
    assert sum("Already acknowledged" in t for t in private_answers(fake_slack)) == 3


# -- Investigate -----------------------------------------------------------------------------


async def test_investigate_runs_the_backlog_playbook_into_the_thread_for_a_viewer(
    slack, runtime, fake_slack
):
    incident = await open_incident(runtime)
    await click(slack, INVESTIGATE_ACTION, incident.id, "UVIEWER1")
    assert "Running `/rtb diagnose backlog`" in private_answers(fake_slack)[-1]
    thread = thread_texts(fake_slack)
    assert any("Investigate by <@UVIEWER1>: `/rtb diagnose backlog`" in t for t in thread)
    [answer] = [t for t in thread if "`/rtb diagnose backlog` for <@UVIEWER1>" in t]
    assert "BullMQ backlog" in answer  # the playbook's own answer, as /rtb diagnose backlog gives
    assert ("action", "UVIEWER1") in await kinds(runtime, incident.id)


async def test_investigate_answers_in_the_cards_language_not_the_clickers(
    slack, runtime, fake_slack
):
    """A viewer reading Korean clicks Investigate on a card in an English channel: their
    private answer is Korean, the reads in the card's thread are English, like the card."""
    incident = await open_incident(runtime)
    await slack.ask("lang ko", user="UVIEWER1")
    await click(slack, INVESTIGATE_ACTION, incident.id, "UVIEWER1")
    assert "실행 중: `/rtb diagnose backlog`" in private_answers(fake_slack)[-1]
    [answer] = [
        t for t in thread_texts(fake_slack) if "`/rtb diagnose backlog`" in t and "BullMQ" in t
    ]
    assert (
        "`/rtb diagnose backlog` for <@UVIEWER1>" in answer and "Diagnose: BullMQ backlog" in answer
    )
    assert not re.search("[가-힣]", answer)


# -- isolate / recover through the gate ------------------------------------------------------


@pytest.fixture
async def jira_queue(redis_url):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    queue = Queue("jira-queue", {"connection": client, "prefix": "bull"})
    await queue.add("sync", {"issue": "PROJ-1"})
    try:
        yield queue
    finally:
        await client.aclose()


async def test_pause_from_the_card_goes_through_the_gate(slack, runtime, fake_slack, jira_queue):
    incident = await open_incident(runtime)
    await click(slack, f"{CHANGE_ACTION}.pause-queue", f"{incident.id}|pause-queue", "UVIEWER1")
    assert "viewer" in private_answers(fake_slack)[-1].lower()  # the gate's refusal, by role
    assert not await jira_queue.isPaused()
    await click(slack, f"{CHANGE_ACTION}.pause-queue", f"{incident.id}|pause-queue", "UOPERATOR1")
    assert await jira_queue.isPaused()
    thread = "\n".join(thread_texts(fake_slack))
    assert "<@UVIEWER1> `/rtb queue pause jira-queue`: refused by the policy" in thread
    assert "<@UOPERATOR1> `/rtb queue pause jira-queue`: ran it, succeeded" in thread
    rows = await runtime.backends.db.fetch(
        "SELECT actor, action, outcome FROM rtb_bot.audit_events ORDER BY id"
    )
    outcomes = [(r["actor"], r["outcome"]) for r in rows if r["action"] == "queue-pause"]
    assert outcomes == [
        ("UVIEWER1", "refused"),
        ("UOPERATOR1", "requested"),
        ("rtb-bot", "succeeded"),
    ]


async def test_a_prd_action_from_the_card_asks_a_lead_exactly_as_the_command(
    slack, runtime, fake_slack, kube
):
    seed_deployment(kube["prd"], "preview-proj-7", "app", replicas=2)
    incident = await open_incident(runtime, PREVIEW_OOM, env="prd")
    assert "Scale app to 0" in button_labels(the_card(fake_slack))
    await click(slack, f"{CHANGE_ACTION}.scale", f"{incident.id}|scale", "UOPERATOR1")
    from_card = fake_slack.views()[-1]
    await slack.ask("scale prd app 0 --namespace preview-proj-7")
    from_command = fake_slack.views()[-1]
    assert from_card["callback_id"] == from_command["callback_id"] == REASON_CALLBACK
    assert from_card["blocks"][0] == from_command["blocks"][0]  # the same change, the same rule
    assert any("asked for the reason a team lead needs" in t for t in thread_texts(fake_slack))
    await slack.submit_view(
        user="UOPERATOR1",
        callback_id=REASON_CALLBACK,
        private_metadata=from_card["private_metadata"],
        values={REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "INC OOM"}}},
    )
    await slack.settle()
    approvals = fake_slack.messages("C_APPROVALS")
    assert approvals and "<@ULEAD1>" in answer_text(approvals[-1])
    assert replicas(kube["prd"], "preview-proj-7", "app") == 2  # nothing runs before a lead
    assert scale_patches(kube["prd"], "preview-proj-7") == []
    await deliver(runtime)
    request = request_id_in(approvals[-1])
    assert f"Approval `{request}` requested of the team leads" in "\n".join(
        thread_texts(fake_slack)
    )
    await runtime.backends.db.execute(  # nobody decided for 11 minutes: escalated
        "UPDATE rtb_bot.approval_requests SET created_at = now() - interval '11 minutes'", ()
    )
    await fire_job(runtime.deps, runtime.deps.push, JOBS["approval-escalation"])
    await deliver(runtime)
    assert "Escalated to <@ULEAD1>, <@ULEAD2>" in "\n".join(thread_texts(fake_slack))
    said = await click_card(slack, request, user="UOPERATOR1")  # not a lead: refused
    assert replicas(kube["prd"], "preview-proj-7", "app") == 2 and said
    await click_card(slack, request, user="ULEAD1")
    await deliver(runtime)
    assert replicas(kube["prd"], "preview-proj-7", "app") == 0
    thread = "\n".join(thread_texts(fake_slack))
    assert f"Approval `{request}` approved by <@ULEAD1>: succeeded" in thread
    assert thread.count(f"Approval `{request}`") == 2  # the operator's refused click added none


async def test_an_action_not_offered_or_of_a_resolved_incident_runs_nothing(
    slack, runtime, fake_slack, jira_queue
):
    incident = await open_incident(runtime)
    await click(slack, f"{CHANGE_ACTION}.rollback", f"{incident.id}|rollback", "ULEAD1")
    assert "not one this incident offers" in private_answers(fake_slack)[-1]
    await IncidentStore(runtime.deps.backends.db).resolve(incident.id, actor="ULEAD1")
    await click(slack, f"{CHANGE_ACTION}.pause-queue", f"{incident.id}|pause-queue", "ULEAD1")
    assert (
        "is resolved; if it is still needed, run `/rtb queue pause jira-queue`"
        in (private_answers(fake_slack)[-1])
    )
    assert not await jira_queue.isPaused()


# -- Resolve ---------------------------------------------------------------------------------


def note_values(note: str) -> dict[str, Any]:
    return {NOTE_BLOCK: {NOTE_INPUT: {"type": "plain_text_input", "value": note}}}


async def test_resolve_with_a_note_by_viewer_operator_and_twice(slack, runtime, fake_slack):
    incident = await open_incident(runtime)
    await click(slack, RESOLVE_ACTION, incident.id, "UOPERATOR1")
    [form] = [v for v in fake_slack.views() if v.get("callback_id") == RESOLVE_CALLBACK]
    assert form["private_metadata"] == incident.id
    for user in ("UVIEWER1", "UOPERATOR1", "ULEAD1"):
        await slack.submit_view(
            user=user,
            callback_id=RESOLVE_CALLBACK,
            private_metadata=incident.id,
            values=note_values("rolled back; backlog drained"),
        )
        await slack.settle()
        await deliver(runtime)
    dms = [answer_text(c.args) for c in fake_slack.calls_to("chat.postMessage")] + [
        answer_text(c.args) for c in fake_slack.calls_to("chat.postEphemeral")
    ]
    assert any("Only operators and leads can resolve" in t for t in dms)
    assert any("resolved already; nothing changed" in t for t in dms)
    card = the_card(fake_slack)
    assert "by <@UOPERATOR1> · lasted" in answer_text(card) and button_labels(card) == []
    assert any(
        "Resolved by <@UOPERATOR1>: rolled back; backlog drained" in t
        for t in thread_texts(fake_slack)
    )
    assert [k for k in await kinds(runtime, incident.id) if k[0] == "resolved"] == [
        ("resolved", "UOPERATOR1")
    ]


# -- the commands ----------------------------------------------------------------------------


async def test_incidents_lists_open_then_recent(slack, runtime):
    first = await open_incident(runtime)
    second = await open_incident(runtime, PREVIEW_OOM, env="prd", n=2)
    await IncidentStore(runtime.deps.backends.db).resolve(first.id, actor="ULEAD1")
    text = answer_text(await slack.ask("incidents", user="UVIEWER1"))
    assert "1 open" in text
    assert text.index(second.id) < text.index("Recent") < text.index(first.id)
    assert "`rtb-preview-oom` in *prd*" in text


async def test_incident_shows_its_timeline(slack, runtime, fake_slack):
    incident = await open_incident(runtime)
    await click(slack, ACK_ACTION, incident.id, "ULEAD1")
    text = answer_text(await slack.ask(f"incident {incident.id.lower()}", user="UVIEWER1"))
    assert "Alarm fired (value 212)" in text and "Acknowledged by <@ULEAD1>" in text
    assert text.index("Alarm fired") < text.index("Acknowledged by")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("incident", "Missing <id>"),
        ("incident nope", "`nope` is not an incident id: they look like INC-0042."),
        ("incident INC-0002", "No incident `INC-0002`. Did you mean `INC-0001`?"),
        ("incident INC-0001 delete", "not a valid <what>: must be one of: show, export, resolve"),
        ("incident INC-0001 export now", "`export` takes nothing after it."),
        ("incidnet", "Did you mean `incident`, `incidents`?"),
    ],
)
async def test_bad_incident_commands_get_the_usage(slack, runtime, command, expected):
    await open_incident(runtime)
    answer = await slack.ask(command)
    assert expected in answer_text(answer) and answer["response_type"] == "ephemeral"


async def test_export_uploads_the_postmortem_with_the_envs_write_calls(
    slack, runtime, fake_slack, fake_aws
):
    incident = await open_incident(runtime)
    await click(slack, ACK_ACTION, incident.id, "ULEAD1")
    during = (OPENED + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = (OPENED - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fake_aws.add_trail_event(
        ACCOUNTS["int"],
        {
            "eventName": "UpdateService",
            "eventSource": "ecs.amazonaws.com",
            "eventTime": during,
            "userIdentity": {
                "arn": "arn:aws:sts::1:assumed-role/rtb-hub-deployer/U1",
                "sessionContext": {"sourceIdentity": "slack-ULEAD1"},
            },
        },
    )
    fake_aws.add_trail_event(ACCOUNTS["int"], {"eventName": "OldChange", "eventTime": before})
    fake_aws.add_trail_event(ACCOUNTS["prd"], {"eventName": "OtherEnv", "eventTime": during})
    fake_aws.add_trail_event(
        ACCOUNTS["int"], {"eventName": "DescribeX", "eventTime": during, "readOnly": True}
    )
    answer = await slack.ask(f"incident {incident.id} export", user="UOPERATOR1")
    assert "Post-mortem draft of INC-0001" in answer_text(answer)
    [upload] = fake_slack.uploads
    assert upload.filename == "postmortem-INC-0001.md"
    markdown = upload.content.decode()
    assert markdown.startswith("# Post-mortem draft: INC-0001 — rtb-hub-bullmq-queue-depth")
    assert "Alarm fired (value 212)" in markdown and "Acknowledged by <@ULEAD1>" in markdown
    assert "| ecs:UpdateService | U1 | slack-ULEAD1 | ok |" in markdown
    assert "OldChange" not in markdown and "OtherEnv" not in markdown
    assert "DescribeX" not in markdown
    assert ("note", "UOPERATOR1") in await kinds(runtime, incident.id)


async def test_resolve_by_command_and_a_note_the_database_cannot_hold(slack, runtime, fake_slack):
    incident = await open_incident(runtime)
    said = answer_text(await slack.ask(f"incident {incident.id} resolve done", user="UVIEWER1"))
    assert "Only operators and leads can resolve" in said
    await slack.submit_view(
        user="UOPERATOR1",
        callback_id=RESOLVE_CALLBACK,
        private_metadata=incident.id,
        values=note_values("fixed\x00 it"),
    )
    await slack.settle()
    dms = [answer_text(c.args) for c in fake_slack.calls_to("chat.postMessage")]
    assert any("The note contains" in t for t in dms)
    assert (await IncidentStore(runtime.deps.backends.db).get(incident.id)).is_open
    answer = await slack.ask(f"incident {incident.id} resolve rolled back", user="ULEAD1")
    assert f"{incident.id} resolved." in answer_text(answer)
    await deliver(runtime)
    assert any("Resolved by <@ULEAD1>: rolled back" in t for t in thread_texts(fake_slack))


async def test_acknowledge_and_resolve_are_heard_by_the_incident_hooks_once(
    slack, runtime, fake_slack
):
    """Where PagerDuty is wired (Deps.incident_hooks): one acknowledge, one resolve."""
    heard = []

    async def hook(incident, transition):
        heard.append((incident.id, transition, incident.acknowledged_by))

    runtime.deps.incident_hooks = [hook]
    incident = await open_incident(runtime)
    for user in ("UOPERATOR1", "ULEAD1"):
        await click(slack, ACK_ACTION, incident.id, user)
    for user in ("ULEAD1", "ULEAD2"):
        await slack.ask(f"incident {incident.id} resolve done", user=user)
    assert heard == [
        (incident.id, "acknowledged", "UOPERATOR1"),
        (incident.id, "resolved", "UOPERATOR1"),
    ]

"""Buttons where the next step is obvious, on command answers: the buttons as rendered (goldens
of the answers are in test_hub / test_cluster / test_cloud; the key facts here), then clicks as
Slack sends them (signed block_actions) through the same gate as typed commands, over a real
Redis with Node BullMQ jobs, the bot's real PostgreSQL, moto and the fake Kubernetes API."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis
from bullmq import Queue

from approvals.access_matrix import default_matrix
from handlers.command_buttons import COMMANDS, command_of
from handlers.parse import parse
from handlers.render.answer_buttons import (
    ALARM_INVESTIGATE_ACTION,
    MAX_POD_BUTTONS,
    POD_LOGS_ACTION,
    QUEUE_PAUSE_ACTION,
    QUEUE_RESUME_ACTION,
    QUEUE_RETRY_ACTION,
    render_alarm_gone,
    render_click_in_flight,
    render_investigation,
)
from handlers.render.cloud import render_alarms
from handlers.render.cluster import render_pods, render_previews
from handlers.render.hub import render_queue
from handlers.table import TABLE
from ops.alarms import Alarm, AlarmReport
from ops.pods import PodList, PodSummary, Termination
from ops.previews import Preview, PreviewReport
from ops.queues import QueueCounts, QueueDetail
from sandbox.slack_payloads import plain_text_value
from tests.approvals.support import (
    card,
    click_card,
    request_id_in,
    request_row,
    running_bot,
    with_config,
)
from tests.fixtures.bot import answer_text
from tests.fixtures.node_bullmq import run_producer
from tests.golden import assert_golden, buttons, shown
from tests.ops.test_cluster import oom_pod

QUEUE = "jira-queue"
AT = datetime(2025, 3, 10, 5, 30, tzinfo=UTC)
TZ = "Asia/Seoul"
NS = "preview-proj-118"

# -- rendered -------------------------------------------------------------------------------


def counts(waiting=0, failed=0, paused=False, name=QUEUE) -> QueueCounts:
    return QueueCounts(name, waiting, 0, 0, 0, failed, 0, 0, 0, paused)


def test_a_running_queue_offers_pause_and_retry_a_paused_one_resume():
    running = render_queue(QueueDetail(counts(55, failed=6), (), True), TZ)
    assert buttons(running) == [
        ("Pause", QUEUE_PAUSE_ACTION, f"queue pause {QUEUE}"),
        ("Retry all failed (6 now)", QUEUE_RETRY_ACTION, f"queue retry-failed {QUEUE}"),
    ]
    paused = render_queue(QueueDetail(counts(55, paused=True), (), True), TZ)
    assert buttons(paused) == [("Resume", QUEUE_RESUME_ACTION, f"queue resume {QUEUE}")]


def summary(name: str, *, oom: bool) -> PodSummary:
    ended = Termination("worker", "OOMKilled" if oom else "Error", 137, AT)
    return PodSummary(name, NS, "Running", 0, 1, 3, AT, None, False, "CrashLoopBackOff", ended)


def pod_list(*pods: PodSummary) -> PodList:
    return PodList("stg", NS, None, pods, AT, 60.0)


def test_each_oomkilled_pod_offers_its_previous_logs_and_no_other_pod_does():
    message = render_pods(pod_list(summary("worker-a", oom=True), summary("web", oom=False)), UTC)
    line = f"logs stg worker-a --namespace {NS} --container worker --previous --tail 200"
    assert buttons(message) == [("Logs (previous): worker-a", f"{POD_LOGS_ACTION}.1", line)]
    many = render_pods(pod_list(*(summary(f"w-{n}", oom=True) for n in range(8))), UTC)
    assert [action for _, action, _ in buttons(many)] == [
        f"{POD_LOGS_ACTION}.{n}" for n in range(1, MAX_POD_BUTTONS + 1)
    ]
    assert "3 more OOMKilled: `/rtb logs stg <pod> --previous`" in shown(many)
    assert buttons(render_pods(pod_list(summary("web", oom=False)), UTC)) == []


def preview(env: str, key: str, *pods: PodSummary) -> Preview:
    namespace = f"preview-{key.lower()}"
    return Preview(env, namespace, key, AT, None, False, False, pods, False, False)  # type: ignore[arg-type]


def test_previews_offer_the_previous_logs_of_their_oomkilled_pods():
    report = PreviewReport(
        ("stg", "prd"),
        (
            preview("stg", "PROJ-118", summary("worker", oom=True), summary("app", oom=False)),
            preview("prd", "PROJ-7", summary("api", oom=True)),
        ),
        (),
        AT,
        2.0,
    )
    found = buttons(render_previews(report, UTC))
    assert found == [
        (
            "Logs (previous): worker",
            f"{POD_LOGS_ACTION}.1",
            "logs stg worker --namespace preview-proj-118 --container worker --previous --tail 200",
        ),
        (
            "Logs (previous): api",
            f"{POD_LOGS_ACTION}.2",
            "logs prd api --namespace preview-proj-7 --container worker --previous --tail 200",
        ),
    ]


def alarm(name: str, state: str, env: str = "int") -> Alarm:
    return Alarm(env, name, state, "r", AT, "", "RTBHub/BullMQ/WaitingJobs")  # type: ignore[arg-type]


def test_each_alarm_in_alarm_offers_investigate_with_a_unique_action_id():
    many = (*(alarm(f"a-{n}", "ALARM") for n in range(40)), alarm("x", "INSUFFICIENT_DATA"))
    message = render_alarms(AlarmReport(("int",), AT, many, ()), TZ)
    found = buttons(message)
    assert len(found) == 30  # the alarms shown
    assert len({action for _, action, _ in found}) == 30
    assert found[0] == ("Investigate", f"{ALARM_INVESTIGATE_ACTION}.1", "int|a-0")
    assert len(message.blocks) <= 50
    assert all(len(value) <= 2000 for _, _, value in found)
    waiting = render_alarms(AlarmReport(("int",), AT, (alarm("x", "INSUFFICIENT_DATA"),), ()), TZ)
    assert buttons(waiting) == []


def test_every_command_button_line_parses_as_the_command_its_action_stands_for():
    messages = [
        render_queue(QueueDetail(counts(1, failed=2), (), True), TZ),
        render_queue(QueueDetail(counts(1, paused=True), (), True), TZ),
        render_pods(pod_list(summary("worker-a", oom=True)), UTC),
    ]
    for _, action, value in [b for m in messages for b in buttons(m)]:
        found = command_of({"action_id": action, "value": value})
        assert found is not None and found[1].verb == COMMANDS[re.sub(r"\.\d+$", "", action)]
        assert parse(value, TABLE).command.verb == found[1].verb


def test_the_words_of_investigate_and_of_refused_clicks_golden():
    firing = render_investigation(
        alarm("rtb-hub-bullmq-queue-depth", "ALARM"), ["diagnose backlog"]
    )
    assert_golden("answer_investigate", firing)
    assert firing.ephemeral and "running `/rtb diagnose backlog`" in firing.text
    settled = render_investigation(alarm("q", "OK"), ["diagnose backlog", "queues"])
    assert "is OK now, no longer in ALARM" in settled.text
    assert "`/rtb diagnose backlog`, `/rtb queues`" in settled.text
    gone = render_alarm_gone("int", "old-<alarm>")
    assert_golden("answer_alarm_gone", gone)
    assert "`old-&lt;alarm&gt;` in int any more" in gone.text
    busy = render_click_in_flight(f"queue pause {QUEUE}")
    assert_golden("answer_click_in_flight", busy)
    assert "this click ran nothing" in busy.text


# -- clicked --------------------------------------------------------------------------------


@pytest.fixture
async def queue(redis_url):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield Queue(QUEUE, {"connection": client, "prefix": "bull"})
    finally:
        await client.aclose()


def buttons_in(answer: dict[str, Any]) -> dict[str, str]:
    """action_id → value of every button of an answer (actions blocks and accessories)."""
    found = {}
    for block in answer.get("blocks", []):
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found[element["action_id"]] = element["value"]
    return found


async def click(slack, action: str, value: str, user: str) -> list[str]:
    """Click; the answers the clicker got (through the click's response_url), as shown."""
    before = len(slack.api.responses)
    assert await slack.click(action, value, user=user) == 200
    await slack.settle()
    return [html.unescape(json.dumps(r.body)) for r in slack.api.responses[before:]]


async def outcomes(slack, mutation: str) -> list[tuple[str, str]]:
    rows = await slack.runtime.backends.db.fetch(
        "SELECT actor, outcome FROM rtb_bot.audit_events WHERE action = %s ORDER BY id",
        (mutation,),
    )
    return [(r["actor"], r["outcome"]) for r in rows]


async def test_pause_runs_for_the_clicker_and_a_stale_click_is_answered(slack, redis_url, queue):
    run_producer(redis_url, QUEUE, {"waiting": 3, "failed": 2})
    shown_to_all = await slack.ask(f"queue {QUEUE}", user="UOPERATOR1")
    found = buttons_in(shown_to_all)
    assert set(found) == {QUEUE_PAUSE_ACTION, QUEUE_RETRY_ACTION}

    answers = await click(slack, QUEUE_PAUSE_ACTION, found[QUEUE_PAUSE_ACTION], "UOPERATOR2")
    assert len(answers) == 1 and f"Paused `{QUEUE}`" in answers[0]
    assert await queue.isPaused()
    assert await outcomes(slack, "queue-pause") == [
        ("UOPERATOR2", "requested"),  # the clicker, not who asked for the answer
        ("rtb-bot", "succeeded"),
    ]
    stale = await click(slack, QUEUE_PAUSE_ACTION, found[QUEUE_PAUSE_ACTION], "UOPERATOR1")
    assert len(stale) == 1 and f"`{QUEUE}` is already paused" in stale[0]
    assert await queue.isPaused()

    retried = await click(slack, QUEUE_RETRY_ACTION, found[QUEUE_RETRY_ACTION], "UOPERATOR1")
    assert "Retried 2 failed job(s)" in retried[0] and "they run once it is resumed" in retried[0]
    assert (await queue.getJobCounts("failed"))["failed"] == 0


async def test_a_double_click_pauses_once(slack, redis_url, queue):
    run_producer(redis_url, QUEUE, {"waiting": 2})
    before = len(slack.api.responses)
    value = f"queue pause {QUEUE}"
    for _ in range(2):  # both acked before either runs to its end
        assert await slack.click(QUEUE_PAUSE_ACTION, value, user="UOPERATOR1") == 200
    await slack.settle()
    answers = [html.unescape(json.dumps(r.body)) for r in slack.api.responses[before:]]
    assert len(answers) == 2 and sum(f"Paused `{QUEUE}`" in a for a in answers) == 1
    other = next(a for a in answers if f"Paused `{QUEUE}`" not in a)
    assert "is already paused" in other or "this click ran nothing" in other
    assert [o for o in await outcomes(slack, "queue-pause") if o[1] == "succeeded"] == [
        ("rtb-bot", "succeeded")
    ]
    assert await queue.isPaused()


async def test_a_viewer_clicking_gets_the_typed_refusal_and_nothing_changes(
    slack, redis_url, queue
):
    run_producer(redis_url, QUEUE, {"waiting": 2})
    answers = await click(slack, QUEUE_PAUSE_ACTION, f"queue pause {QUEUE}", "UVIEWER1")
    typed = answer_text(await slack.ask(f"queue pause {QUEUE}", user="UVIEWER1"))
    assert "Refused: viewers cannot request changes" in answers[0]
    assert "Refused: viewers cannot request changes" in typed
    assert not await queue.isPaused()
    assert await outcomes(slack, "queue-pause") == [("UVIEWER1", "refused")] * 2


@pytest.mark.parametrize(
    ("action", "value", "said"),
    [
        (QUEUE_PAUSE_ACTION, f"queue resume {QUEUE}", "does not run what it is for"),
        (QUEUE_PAUSE_ACTION, "scale int workflow-engine 0", "does not run what it is for"),
        (f"{QUEUE_RETRY_ACTION}.3", "queue pause x" + " " * 2000, "does not run what it is for"),
        (QUEUE_PAUSE_ACTION, "queue pause jira-queue!", "is not a valid <name>"),
        (QUEUE_RETRY_ACTION, f"queue retry-failed {QUEUE} --limit 0", "must be between 1"),
    ],
)
async def test_a_forged_or_bad_value_is_answered_and_changes_nothing(
    slack, redis_url, queue, action, value, said
):
    run_producer(redis_url, QUEUE, {"waiting": 2, "failed": 1})
    answers = await click(slack, action, value, "ULEAD1")
    assert len(answers) == 1 and said in answers[0]
    assert not await queue.isPaused()
    assert (await queue.getJobCounts("failed"))["failed"] == 1
    assert await outcomes(slack, "queue-pause") == []


async def test_where_pause_needs_approval_the_click_asks_a_reason_and_a_lead_approves(
    bot_settings, fake_slack, redis_url, queue
):
    """The hub's queues are int only (stg/prd: core infrastructure, refused); a policy that
    puts int queue changes behind approval shows the click takes the same approval path."""
    policy = {**default_matrix(), "hub.queue": {"int": "approval", "stg": "deny", "prd": "deny"}}
    run_producer(redis_url, QUEUE, {"waiting": 2})
    async with running_bot(with_config(bot_settings, policy=policy), fake_slack) as slack:
        found = buttons_in(await slack.ask(f"queue {QUEUE}", user="UOPERATOR1"))
        answers = await click(slack, QUEUE_PAUSE_ACTION, found[QUEUE_PAUSE_ACTION], "UOPERATOR2")
        assert "needs a team lead's approval" in answers[0]
        assert len(slack.api.calls_to("views.open")) == 1  # from the click's trigger id
        view = slack.api.views()[-1]
        assert view["callback_id"] == "approval_reason"
        assert (
            await slack.submit_view(
                user="UOPERATOR2",
                callback_id="approval_reason",
                private_metadata=view["private_metadata"],
                values={"reason": {"reason_input": plain_text_value("INC-7 backlog")}},
            )
            == 200
        )
        await slack.settle()
        told = slack.api.calls_to("chat.postEphemeral")[-1].args
        request_id = request_id_in({"text": told["text"]})
        assert (await request_row(slack, request_id))["requester"] == "UOPERATOR2"
        assert not await queue.isPaused()  # waits for a lead
        assert "You approved" in await click_card(slack, request_id, user="ULEAD1")
        assert await queue.isPaused()
        assert "Succeeded" in json.dumps(card(slack.api, request_id))


async def test_logs_previous_of_an_oomkilled_pod_from_the_pods_answer(slack, kube):
    stg = kube["stg"]
    stg.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    stg.apply(oom_pod("worker", NS))
    stg.set_pod_logs(NS, "worker", "FATAL heap out of memory\n", previous=True)
    stg.set_pod_logs(NS, "worker", "started again\n")
    found = buttons_in(await slack.ask(f"pods stg {NS}", user="UVIEWER1"))
    assert list(found) == [f"{POD_LOGS_ACTION}.1"]
    answers = await click(slack, f"{POD_LOGS_ACTION}.1", found[f"{POD_LOGS_ACTION}.1"], "UVIEWER1")
    assert len(answers) == 1 and "FATAL heap out of memory" in answers[0]
    assert "started again" not in answers[0] and "previous run" in answers[0]


def put_alarm(runtime, env: str, name: str, state: str) -> None:
    cloudwatch = runtime.backends.aws.client(env, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="RTBHub/BullMQ",
        MetricName="WaitingJobs",
        Dimensions=[{"Name": "QueueName", "Value": QUEUE}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=50,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"{name} reason")


async def test_investigate_runs_the_alarms_playbook_for_the_clicker(slack, runtime):
    put_alarm(runtime, "int", "rtb-hub-bullmq-queue-depth", "ALARM")
    found = buttons_in(await slack.ask("alarms int"))
    action = f"{ALARM_INVESTIGATE_ACTION}.1"
    assert found == {action: "int|rtb-hub-bullmq-queue-depth"}
    answers = await click(slack, action, found[action], "UVIEWER1")
    assert len(answers) == 2
    assert "Investigating `rtb-hub-bullmq-queue-depth` (int)" in answers[0]
    assert "running `/rtb diagnose backlog`" in answers[0]
    assert "Diagnose: BullMQ backlog" in answers[1]  # the card's playbook, as if typed


async def test_investigate_of_an_alarm_that_changed_or_went_says_so(slack, runtime):
    put_alarm(runtime, "int", "rtb-hub-bullmq-queue-depth", "ALARM")
    value = buttons_in(await slack.ask("alarms int"))[f"{ALARM_INVESTIGATE_ACTION}.1"]
    runtime.backends.aws.client("int", "cloudwatch").set_alarm_state(
        AlarmName="rtb-hub-bullmq-queue-depth", StateValue="OK", StateReason="recovered"
    )
    settled = await click(slack, f"{ALARM_INVESTIGATE_ACTION}.1", value, "UOPERATOR1")
    assert "is OK now, no longer in ALARM" in settled[0] and len(settled) == 2
    runtime.backends.aws.client("int", "cloudwatch").delete_alarms(
        AlarmNames=["rtb-hub-bullmq-queue-depth"]
    )
    gone = await click(slack, f"{ALARM_INVESTIGATE_ACTION}.1", value, "UOPERATOR1")
    assert len(gone) == 1 and "no alarm `rtb-hub-bullmq-queue-depth` in int any more" in gone[0]
    forged = await click(slack, f"{ALARM_INVESTIGATE_ACTION}.1", "dev|x", "UOPERATOR1")
    assert len(forged) == 1 and "nothing was run" in forged[0]

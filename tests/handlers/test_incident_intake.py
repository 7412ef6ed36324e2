"""The alarm intake over moto for real: CloudWatch's notifications published to the SNS topic,
delivered by moto into the SQS queue, long-polled by the bot (its AlarmQueue over boto3), stored
in real PostgreSQL, posted through the outbox to the fake Slack Web API."""

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import structlog
from slack_sdk.web.async_client import AsyncWebClient

from handlers.incident_intake import AlarmIntake
from handlers.incident_paging import pagerduty_hook
from handlers.outbox_sender import OutboxSender
from ops.backends.aws import AwsSessions
from ops.backends.blocking import BlockingCalls
from ops.backends.db import Database, migrate
from ops.backends.pagerduty import PagerDutyEvents
from ops.backends.sqs import AlarmQueue
from ops.incident_store import IncidentStore
from ops.outbox import Outbox
from sandbox.alarm_intake import create_alarm_queues
from sandbox.alarm_notifications import (
    MetricAlarmSpec,
    alarm_message,
    composite_message,
    eventbridge_event,
)
from sandbox.fake_pagerduty import FakePagerDuty
from sandbox.seed_aws import assumed_session, seed_topic
from tests.fixtures.bot import ACCOUNTS, make_config
from tests.golden import shown

T0 = datetime(2026, 12, 3, 0, 58, tzinfo=UTC)
QUEUE_DEPTH = MetricAlarmSpec(
    "rtb-hub-bullmq-queue-depth",
    ACCOUNTS["int"],
    "RTBHub/BullMQ",
    "WaitingJobs",
    50.0,
    {"Queue": "jira-queue"},
    description="BullMQ jira-queue waiting + prioritized jobs > 50",
)
INCIDENTS = "#rtb-incidents"


@dataclass
class World:
    """The int account's alarm topic and queues, and a way to publish to them."""

    session: object
    endpoint: str
    topic_arn: str
    queue_url: str
    dlq_url: str
    subscription_arn: str

    def publish(self, message: dict) -> None:
        sns = self.session.client("sns", endpoint_url=self.endpoint)
        sns.publish(TopicArn=self.topic_arn, Message=json.dumps(message), Subject="alarm")

    def send_raw(self, body: str) -> None:
        """What EventBridge (an SQS target) or a stray producer puts in the queue directly."""
        sqs = self.session.client("sqs", endpoint_url=self.endpoint)
        sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def waiting(self, queue_url: str | None = None) -> int:
        sqs = self.session.client("sqs", endpoint_url=self.endpoint)
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def dead_letters(self) -> list[str]:
        sqs = self.session.client("sqs", endpoint_url=self.endpoint)
        answer = sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10)
        return [m["Body"] for m in answer.get("Messages", [])]


@pytest.fixture
def world(aws_endpoint, aws_env):
    session = assumed_session(aws_endpoint, ACCOUNTS["int"])
    topic = seed_topic(session, aws_endpoint)
    # Visibility 0: a message not deleted is visible again at once, so a test sees "it returns
    # to the queue" without waiting for a timeout.
    queues = create_alarm_queues(session, aws_endpoint, topic, visibility_seconds=0)
    return World(
        session,
        aws_endpoint,
        topic,
        queues.queue_url,
        queues.dead_letter_queue_url,
        queues.subscription_arn,
    )


@pytest.fixture
async def bot_db(pg_url):
    db = Database("PostgreSQL (bot)", pg_url, timeout=5.0)
    await db.open()
    await migrate(db)
    yield db
    await db.close()


@dataclass
class Replica:
    intake: AlarmIntake
    sender: OutboxSender
    blocking: BlockingCalls
    store: IncidentStore


def config_for(world, fake_slack, **aws):
    return make_config(
        kube_urls=dict.fromkeys(ACCOUNTS, "http://127.0.0.1:9"),
        aws_endpoint=world.endpoint,
        slack_api_url=fake_slack.base_url,
        incidents={
            "queue_url": world.queue_url,
            "dead_letter_queue_url": world.dlq_url,
            "wait_seconds": 0,
            "max_receives": 3,
        },
        timeouts={"backend_seconds": 10.0, "fanout_seconds": 15.0},
        **aws,
    )


@pytest.fixture
def replicas(world, fake_slack):
    built = []

    def build(db, name="pod-a", **aws):
        config = config_for(world, fake_slack, **aws)
        blocking = BlockingCalls(max_workers=4)
        queue = AlarmQueue(config, AwsSessions(config, max_attempts=1), blocking, max_attempts=1)
        outbox = Outbox(db)
        store = IncidentStore(db)
        client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.base_url)
        sender = OutboxSender(outbox, client, name, per_channel_seconds=0.0)
        replica = Replica(AlarmIntake(queue, store, outbox, config), sender, blocking, store)
        built.append(replica)
        return replica

    yield build
    for replica in built:
        replica.blocking.close()


def cards(fake_slack):
    return [m for m in fake_slack.messages(INCIDENTS) if "thread_ts" not in m]


async def drain(*replicas_, passes=50):
    """Passes until every replica received nothing (bounded: a loop that never empties fails)."""
    outcomes = []
    for _ in range(passes):
        reports = await asyncio.gather(*(r.intake.run_once(wait=0) for r in replicas_))
        for report in reports:
            outcomes.extend(report.outcomes.elements())
        if not any(report.received for report in reports):
            return sorted(outcomes)
    raise AssertionError(f"the queue did not empty in {passes} passes")


async def deliver(replica, fake_slack):
    fake_slack.pace_messages = False
    await replica.sender.deliver_due()


SHAPES = {
    "sns envelope, metric alarm": lambda w: w.publish(
        alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0)
    ),
    "sns envelope, composite alarm": lambda w: w.publish(
        composite_message(
            "rtb-hub-bullmq-queue-depth",
            ACCOUNTS["int"],
            "ALARM",
            at=T0,
            rule="ALARM(rtb-hub-error-rate) AND ALARM(rtb-hub-queue-wait)",
            children={"rtb-hub-error-rate": "ALARM"},
        )
    ),
    "eventbridge event, in the queue": lambda w: w.send_raw(
        json.dumps(eventbridge_event(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    ),
    "eventbridge event, through the topic": lambda w: w.publish(
        eventbridge_event(QUEUE_DEPTH, "ALARM", at=T0, value=412.0)
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
async def test_each_shape_travels_sns_to_sqs_to_one_card(
    world, bot_db, replicas, fake_slack, shape
):
    replica = replicas(bot_db)
    SHAPES[shape](world)
    assert await drain(replica) == ["opened"]
    await deliver(replica, fake_slack)
    [card] = cards(fake_slack)
    text = shown_message(card)
    assert "rtb-hub-bullmq-queue-depth" in text and "INC-0001" in text
    assert "*int* · 111111111111 · ap-northeast-2" in text
    assert "cloudwatch/home?region=ap-northeast-2#alarmsV2:alarm/rtb-hub-bullmq-queue-depth" in text
    if "composite" not in shape:
        assert "was *412*, above the threshold *50*" in text
    assert world.waiting() == 0  # deleted once stored


async def test_raw_message_delivery_is_read_too(world, bot_db, replicas, fake_slack):
    sns = world.session.client("sns", endpoint_url=world.endpoint)
    sns.set_subscription_attributes(
        SubscriptionArn=world.subscription_arn,
        AttributeName="RawMessageDelivery",
        AttributeValue="true",
    )
    replica = replicas(bot_db)
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    assert await drain(replica) == ["opened"]


def shown_message(message):
    from handlers.render.message import Message

    class Posted(Message):
        def blocks_json(self):
            return message.get("blocks", [])

    return shown(Posted(text=message.get("text", "")))


async def test_a_repeat_edits_the_card_and_ok_resolves_it(world, bot_db, replicas, fake_slack):
    replica = replicas(bot_db)
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    await drain(replica)
    await deliver(replica, fake_slack)
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0 + timedelta(minutes=3), value=530.0))
    assert await drain(replica) == ["repeated"]
    await deliver(replica, fake_slack)
    [card] = cards(fake_slack)
    assert "2 times, last at" in shown_message(card) and "*530*" in shown_message(card)
    world.publish(alarm_message(QUEUE_DEPTH, "OK", at=T0 + timedelta(minutes=12), value=3.0))
    assert await drain(replica) == ["resolved"]
    await deliver(replica, fake_slack)
    [card] = cards(fake_slack)
    text = shown_message(card)
    assert "Resolved" in text and "the alarm is OK · lasted 12 min" in text
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len(fake_slack.calls_to("chat.update")) == 2


async def test_insufficient_data_shows_as_such_not_resolved(world, bot_db, replicas, fake_slack):
    replica = replicas(bot_db)
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    world.publish(alarm_message(QUEUE_DEPTH, "INSUFFICIENT_DATA", at=T0 + timedelta(minutes=2)))
    assert await drain(replica) == ["insufficient_data", "opened"]
    await deliver(replica, fake_slack)
    [card] = cards(fake_slack)
    text = shown_message(card)
    assert "Insufficient data (still open)" in text and "Resolved" not in text


async def test_one_message_received_by_two_replicas_is_applied_once(
    world, bot_db, replicas, fake_slack
):
    a, b = replicas(bot_db, "pod-a"), replicas(bot_db, "pod-b")
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    [seen_by_a] = await a.intake.queue.receive(wait=0)
    [seen_by_b] = await b.intake.queue.receive(wait=0)  # visible again: SQS hands it out twice
    assert seen_by_a.body == seen_by_b.body
    outcomes = await asyncio.gather(a.intake.handle(seen_by_a), b.intake.handle(seen_by_b))
    # The one that applied it may find its receipt handle replaced by the other's receive
    # (undeleted: it comes back, and is a duplicate then).
    assert sorted(outcomes) in (["duplicate", "opened"], ["duplicate", "undeleted"])
    assert set(await drain(a)) <= {"duplicate"}
    assert world.waiting() == 0
    await asyncio.gather(deliver(a, fake_slack), deliver(b, fake_slack))
    assert len(cards(fake_slack)) == 1
    assert len(await a.store.events("INC-0001")) == 1


async def test_a_replica_that_posted_but_never_deleted_leaves_no_second_card(
    world, bot_db, replicas, fake_slack, fake_aws
):
    """The first replica stores the incident and the card is posted, then its delete never
    happens (SQS refuses it here; a kill at that moment looks the same to the queue)."""
    aws = {"endpoint_url": world.endpoint, "service_endpoints": {"sqs": fake_aws.url}}
    dying = replicas(bot_db, "pod-a", aws=aws)
    fake_aws.inject_fault("DeleteMessage", error="InternalError", status=500, count=None)
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    assert (await dying.intake.run_once(wait=0)).outcomes == {"undeleted": 1}
    await deliver(dying, fake_slack)
    assert len(cards(fake_slack)) == 1
    assert world.waiting() == 1  # the message is back in the queue
    survivor = replicas(bot_db, "pod-b")
    assert await drain(survivor) == ["duplicate"]
    await deliver(survivor, fake_slack)
    assert len(cards(fake_slack)) == 1
    assert fake_slack.calls_to("chat.update") == []  # the card already showed it all
    assert world.waiting() == 0


async def test_the_database_down_while_a_message_is_in_flight_loses_nothing(
    world, replicas, fake_slack, pg_proxy, pg_url
):
    proxy, url = pg_proxy
    owner = Database("owner", pg_url)
    await owner.open()
    await migrate(owner)
    await owner.close()
    db = Database("PostgreSQL (bot)", url, timeout=2.0)
    await db.open()
    try:
        replica = replicas(db)
        world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
        proxy.cut()
        report = await replica.intake.run_once(wait=0)
        assert (report.received, report.failed) == (1, 1)
        assert world.waiting() == 1  # not deleted: it returns to the queue
        proxy.restore()
        assert await drain(replica) == ["opened"]
        await deliver(replica, fake_slack)
        assert len(cards(fake_slack)) == 1
        assert world.waiting() == 0
    finally:
        await db.close()


async def test_an_unreadable_message_goes_to_the_dead_letter_queue_after_n_receives(
    world, bot_db, replicas, fake_slack
):
    replica = replicas(bot_db)
    world.send_raw("this is not an alarm")
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    with structlog.testing.capture_logs() as logs:
        outcomes = await drain(replica)
    assert outcomes == ["dead_lettered", "opened", "unreadable", "unreadable"]
    assert world.dead_letters() == ["this is not an alarm"]
    assert world.waiting() == 0
    unreadable = [e for e in logs if "unreadable" in e["event"]]
    assert {e["reason"] for e in unreadable} == {"not_json"}
    assert all(e["sqs_message_id"] for e in unreadable)
    assert "this is not an alarm" not in json.dumps(logs, default=str)  # never the body
    await deliver(replica, fake_slack)
    assert len(cards(fake_slack)) == 1  # the good message was not held up


async def test_without_a_dead_letter_queue_an_unreadable_message_stays_for_the_redrive(
    world, bot_db, replicas, fake_slack
):
    replica = replicas(bot_db)
    replica.intake.queue.dead_letter_queue_url = None
    world.send_raw('{"Type": "Notification", "MessageId": "m", "Message": "{}"}')
    for _ in range(4):
        assert (await replica.intake.run_once(wait=0)).outcomes == {"unreadable": 1}
    assert world.waiting() == 1


async def test_a_storm_from_two_replicas_is_one_card_per_alarm(world, bot_db, replicas, fake_slack):
    a, b = replicas(bot_db, "pod-a"), replicas(bot_db, "pod-b")
    alarms = [
        MetricAlarmSpec(f"rtb-hub-storm-{n:02d}", ACCOUNTS["int"], "RTBHub/Storm", "Errors", 1.0)
        for n in range(12)
    ]
    for repeat in range(8):
        for spec in alarms:
            world.publish(
                alarm_message(spec, "ALARM", at=T0 + timedelta(seconds=repeat), value=5.0 + repeat)
            )
    outcomes = await drain(a, b, passes=200)
    assert outcomes.count("opened") == 12
    # With the queue's visibility at 0 both replicas receive many messages twice: one applies
    # it, the other finds it applied (duplicate); a delete may be refused when the other
    # replica's receive replaced the receipt handle (undeleted: it comes back, a duplicate).
    assert set(outcomes) <= {"opened", "repeated", "duplicate", "undeleted"}
    for incident in await a.store.list_recent(limit=50):
        events = await a.store.events(incident.id)
        assert [e.kind for e in events] == ["fired"] + ["repeat"] * 7  # each message once
    await asyncio.gather(deliver(a, fake_slack), deliver(b, fake_slack))
    posted = cards(fake_slack)
    assert len(posted) == 12
    assert len({m["text"].split(":")[1] for m in posted}) == 12  # one card per alarm
    assert all("8 times" in shown_message(m) for m in posted)


async def test_the_hooks_hear_each_change_and_a_failing_one_stops_nothing(
    world, bot_db, replicas, fake_slack
):
    heard = []

    async def broken(incident, transition):
        raise RuntimeError("PagerDuty is down")

    async def listener(incident, transition):
        heard.append((incident.id, transition, incident.alarm_state))

    replica = replicas(bot_db)
    replica.intake.hooks = lambda: (broken, listener)
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0 + timedelta(minutes=1), value=500.0))
    world.publish(alarm_message(QUEUE_DEPTH, "OK", at=T0 + timedelta(minutes=2), value=3.0))
    with structlog.testing.capture_logs() as logs:
        assert await drain(replica) == ["opened", "repeated", "resolved"]
    assert heard == [
        ("INC-0001", "opened", "ALARM"),
        ("INC-0001", "repeated", "ALARM"),
        ("INC-0001", "resolved", "OK"),
    ]
    failures = [e for e in logs if e["event"] == "incident hook failed"]
    assert [e["error"] for e in failures] == ["RuntimeError"] * 3
    assert "PagerDuty is down" not in json.dumps(logs, default=str)
    assert world.waiting() == 0


async def test_an_alarm_the_runbook_pages_on_is_triggered_and_resolved_in_pagerduty(
    world, bot_db, replicas, fake_slack
):
    error_rate = MetricAlarmSpec(
        "rtb-hub-workflow-engine-error-rate", ACCOUNTS["int"], "RTBHub/Workflows", "ErrorRate", 5.0
    )
    pagerduty = FakePagerDuty()
    pagerduty.start()
    try:
        client = PagerDutyEvents(pagerduty.events_url, "0123456789abcdef" * 2, retry_seconds=0)
        replica = replicas(bot_db)
        config = config_for(world, fake_slack)
        deps = SimpleNamespace(config=config, backends=SimpleNamespace(pagerduty=client))
        replica.intake.hooks = lambda: (pagerduty_hook(deps),)
        for name in (error_rate, QUEUE_DEPTH):  # the queue depth does not page (runbook §3.1)
            world.publish(alarm_message(name, "ALARM", at=T0, value=12.0))
            world.publish(alarm_message(name, "ALARM", at=T0 + timedelta(minutes=1), value=13.0))
            world.publish(alarm_message(name, "OK", at=T0 + timedelta(minutes=2), value=1.0))
        await drain(replica)
        await client.close()
        sent = [(e.action, e.dedup_key) for e in pagerduty.events]
    finally:
        pagerduty.stop()
    assert sent == [("trigger", "rtb-incident-INC-0001"), ("resolve", "rtb-incident-INC-0001")]


async def test_an_alarm_the_bot_itself_alerts_on_is_left_to_the_bot(
    world, bot_db, replicas, fake_slack
):
    replica = replicas(bot_db, threshold_alerts={"owners": {}})  # the bot owns waiting jobs
    world.publish(alarm_message(QUEUE_DEPTH, "ALARM", at=T0, value=412.0))
    assert await drain(replica) == ["owned by the bot"]
    await deliver(replica, fake_slack)
    assert cards(fake_slack) == [] and world.waiting() == 0  # deleted, no second alert

"""The §3.1 evaluator and the WaitingJobs publisher as scheduled jobs, on real Redis (BullMQ),
PostgreSQL, moto, the fake clusters and the fake Slack: hysteresis over real readings, the
thread, the reminder, routing, ownership, two replicas, and the metric in moto's CloudWatch."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import redis.asyncio as aioredis
from bullmq import Queue

from bot.app import create_runtime
from bot.settings import Settings
from handlers.jobs import JOBS
from handlers.scheduled import fire_job
from handlers.threshold_jobs import evaluate
from ops.thresholds import ThresholdStates
from sandbox.fake_pagerduty import FakePagerDuty
from tests.fixtures.bot import ACCOUNTS
from tests.ops.test_status import seed_hub_rows

ALERTS, COSTS = "#rtb-alerts", "#rtb-costs"
EVALUATE, PUBLISH = JOBS["thresholds"], JOBS["waiting-jobs-metric"]


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


def with_thresholds(settings, **changes):
    config = settings.config
    alerts = config.threshold_alerts.model_copy(update=changes)
    return Settings(config.model_copy(update={"threshold_alerts": alerts}), settings.secrets)


@pytest.fixture
def clock():
    return Clock(datetime.now(UTC).replace(second=0, microsecond=0))


@pytest.fixture
async def start_replicas(bot_settings, clock):
    """Replicas where the bot owns all five indicators (waiting jobs is the example here;
    by default it belongs to the runbook's CloudWatch alarm)."""
    started = []
    bot_owns_all = with_thresholds(bot_settings, owners={})

    async def start(*names, settings=bot_owns_all):
        for name in names:
            rt = create_runtime(settings, retries=0, clock=clock, replica=f"pod-{name}")
            await rt.start()
            started.append(rt)
        return started[-len(names) :]

    yield start
    for rt in started:
        await rt.stop()


async def set_waiting(redis_url, queue, count):
    """`count` waiting jobs in `queue` (real BullMQ jobs; any before are removed)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        bull = Queue(queue, {"connection": client, "prefix": "bull"})
        await bull.drain()
        if count:
            await bull.addBulk([{"name": "job", "data": {}, "opts": {}}] * count)
    finally:
        await client.aclose()


async def fire(rt, clock, job=EVALUATE):
    """One scheduled period: the job fired as the scheduler would, then the clock a minute on."""
    fired = await fire_job(rt.deps, rt.deps.push, job)
    await rt.deps.push.sender.deliver_due()
    clock.advance(minutes=1)
    return fired


def text_of(message):
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")


async def test_alert_after_two_evaluations_over_then_silence_then_recovery_in_its_thread(
    start_replicas, redis_url, fake_slack, clock
):
    (rt,) = await start_replicas("a")
    await set_waiting(redis_url, "jira-queue", 80)
    await set_waiting(redis_url, "pr-review-queue", 3)

    await fire(rt, clock)
    assert fake_slack.messages(ALERTS) == []  # one evaluation over: not yet

    await fire(rt, clock)
    (alert,) = fake_slack.messages(ALERTS)
    text = text_of(alert)
    assert (
        "*BullMQ waiting jobs (busiest queue)* is over its threshold: `80` (threshold 50)" in text
    )
    assert "jira-queue 80 · pr-review-queue 3 · total 83" in text
    assert "Over for 2 evaluations in a row (every 1 min)." in text

    for _ in range(3):  # still over: no repeat
        await fire(rt, clock)
    assert len(fake_slack.messages(ALERTS)) == 1

    await set_waiting(redis_url, "jira-queue", 10)
    await fire(rt, clock)
    assert len(fake_slack.messages(ALERTS)) == 1  # one evaluation under: not yet
    await fire(rt, clock)
    messages = fake_slack.messages(ALERTS)
    assert len(messages) == 2
    (recovery,) = fake_slack.thread(ALERTS, alert["ts"])
    assert "is back under its threshold: `10` (threshold 50)" in text_of(recovery)
    assert "it was over for 5 min" in text_of(recovery)


async def test_sums_over_fifty_are_no_alert_when_no_queue_is(
    start_replicas, redis_url, fake_slack, clock
):
    (rt,) = await start_replicas("a")
    await set_waiting(redis_url, "jira-queue", 30)
    await set_waiting(redis_url, "pr-review-queue", 30)
    for _ in range(3):
        await fire(rt, clock)
    assert fake_slack.messages(ALERTS) == []


async def test_a_reminder_in_the_thread_when_it_stays_over_for_a_day(
    start_replicas, redis_url, fake_slack, clock
):
    (rt,) = await start_replicas("a")
    await set_waiting(redis_url, "jira-queue", 70)
    await fire(rt, clock)
    await fire(rt, clock)
    (alert,) = fake_slack.messages(ALERTS)
    clock.advance(hours=23, minutes=58)  # the next pass is 24 h after the alert
    await fire(rt, clock)
    await fire(rt, clock)
    (reminder,) = fake_slack.thread(ALERTS, alert["ts"])
    assert "is still over its threshold after 24 h 00 min: `70`" in text_of(reminder)
    assert len(fake_slack.messages(ALERTS)) == 2


async def test_two_replicas_firing_the_same_periods_post_one_alert(
    start_replicas, redis_url, fake_slack, clock
):
    a, b = await start_replicas("a", "b")
    await set_waiting(redis_url, "jira-queue", 90)
    for _ in range(2):
        fired = [await fire_job(rt.deps, rt.deps.push, EVALUATE) for rt in (a, b)]
        assert sorted(f.status for f in fired) == ["claimed", "ran"]
        clock.advance(minutes=1)
    for rt in (a, b):
        await rt.deps.push.sender.deliver_due()
    assert len(fake_slack.messages(ALERTS)) == 1


async def test_a_replica_continues_the_count_another_started(
    start_replicas, redis_url, fake_slack, clock
):
    a, b = await start_replicas("a", "b")
    await set_waiting(redis_url, "jira-queue", 90)
    await fire(a, clock)
    await a.stop()  # pod a goes away after its first evaluation
    await fire(b, clock)
    (alert,) = fake_slack.messages(ALERTS)
    assert "`90`" in text_of(alert)


async def test_error_rate_pages_and_goes_to_alerts_and_the_cost_to_costs(
    start_replicas, redis_url, pg_url, fake_slack, clock
):
    await seed_hub_rows(pg_url)  # error rate 12 %, AI cost today $120
    (rt,) = await start_replicas("a")
    await fire(rt, clock)
    await fire(rt, clock)
    (error_alert,) = fake_slack.messages(ALERTS)
    text = text_of(error_alert)
    assert "*workflow-engine error rate* is over its threshold: `12.0 %` (threshold 5 %)" in text
    assert "PagerDuty is not configured here: nobody was paged." in text
    (cost_alert,) = fake_slack.messages(COSTS)
    assert "*AI cost today* is over its threshold: `$120.00` (threshold $100)" in text_of(
        cost_alert
    )


async def test_the_error_rate_pages_pagerduty_once_and_the_alert_says_so(
    start_replicas, bot_settings, pg_url, fake_slack, clock
):
    await seed_hub_rows(pg_url)  # error rate 12 %
    pagerduty = FakePagerDuty()
    pagerduty.start()
    try:
        config = bot_settings.config
        paging = config.pagerduty.model_copy(
            update={"events_url": pagerduty.events_url, "retry_seconds": 0}
        )
        secrets = replace(bot_settings.secrets, pagerduty_routing_key="0123456789abcdef" * 2)
        settings = Settings(config.model_copy(update={"pagerduty": paging}), secrets)
        a, b = await start_replicas("a", "b", settings=settings)
        for rt in (a, b, a, b):  # two replicas, four passes: one alert, one page
            await fire(rt, clock)
        (error_alert, *_) = [m for m in fake_slack.messages(ALERTS) if "error rate" in text_of(m)]
        triggers = [e for e in pagerduty.events if e.action == "trigger"]
    finally:
        pagerduty.stop()
    assert len(triggers) == 1 and "error rate 12" in triggers[0].summary
    assert "nobody was paged" not in text_of(error_alert)
    assert "PagerDuty" in text_of(error_alert)


async def test_an_indicator_owned_by_its_cloudwatch_alarm_is_left_to_it(
    start_replicas, bot_settings, redis_url, pg_url, fake_slack, clock
):
    await seed_hub_rows(pg_url)
    await set_waiting(redis_url, "jira-queue", 90)
    owned = {"waiting_jobs": "cloudwatch", "error_rate": "cloudwatch"}
    (rt,) = await start_replicas("a", settings=with_thresholds(bot_settings, owners=owned))
    for _ in range(3):
        await fire(rt, clock)
    assert fake_slack.messages(ALERTS) == []  # both left to their alarms
    assert len(fake_slack.messages(COSTS)) == 1  # the bot still owns the cost
    rows = await rt.backends.db.fetch("SELECT indicator FROM rtb_bot.threshold_states")
    assert {row["indicator"] for row in rows}.isdisjoint(owned)


def int_cloudwatch(aws_endpoint):
    sts = boto3.client("sts", region_name="ap-northeast-2", endpoint_url=aws_endpoint)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNTS['int']}:role/rtb-hub-deployer", RoleSessionName="test"
    )["Credentials"]
    return boto3.client(
        "cloudwatch",
        region_name="ap-northeast-2",
        endpoint_url=aws_endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def newest(cloudwatch, at, dimensions):
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "w",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "RTBHub/BullMQ",
                        "MetricName": "WaitingJobs",
                        "Dimensions": dimensions,
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=at - timedelta(minutes=5),
        EndTime=at + timedelta(minutes=5),
    )
    return answer["MetricDataResults"][0]["Values"]


async def test_waiting_jobs_per_queue_and_the_total_published_once_in_the_int_account(
    start_replicas, redis_url, aws_endpoint, clock
):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        jira = Queue("jira-queue", {"connection": client, "prefix": "bull"})
        plans = [{}] * 38 + [{"priority": 2}] * 17 + [{"delay": 600_000}] * 4
        await jira.addBulk([{"name": "jira-auto-dev", "data": {}, "opts": p} for p in plans])
    finally:
        await client.aclose()
    await set_waiting(redis_url, "pr-review-queue", 3)
    a, b = await start_replicas("a", "b")
    at = clock()
    fired = [await fire_job(rt.deps, rt.deps.push, PUBLISH) for rt in (a, b)]
    assert sorted(f.status for f in fired) == ["claimed", "ran"]

    cloudwatch = int_cloudwatch(aws_endpoint)
    listed = cloudwatch.list_metrics(Namespace="RTBHub/BullMQ", MetricName="WaitingJobs")
    dimension_sets = sorted(
        tuple((d["Name"], d["Value"]) for d in m["Dimensions"]) for m in listed["Metrics"]
    )
    assert dimension_sets == [
        (),
        (("QueueName", "jira-queue"),),
        (("QueueName", "pr-review-queue"),),
    ]
    jira_dims = [{"Name": "QueueName", "Value": "jira-queue"}]
    assert newest(cloudwatch, at, jira_dims) == [55.0]  # 38 waiting + 17 prioritized
    review_dims = [{"Name": "QueueName", "Value": "pr-review-queue"}]
    assert newest(cloudwatch, at, review_dims) == [3.0]
    assert newest(cloudwatch, at, []) == [58.0]  # once: the second replica found the claim


async def test_per_minute_claims_older_than_two_days_are_pruned(start_replicas, clock):
    (rt,) = await start_replicas("a")
    for job in (EVALUATE, PUBLISH):
        await fire(rt, clock, job)
    clock.advance(days=2)
    for job in (EVALUATE, PUBLISH):
        await fire(rt, clock, job)
    rows = await rt.backends.db.fetch(
        "SELECT job, count(*) AS n FROM rtb_bot.job_claims GROUP BY job ORDER BY job"
    )
    assert [(row["job"], row["n"]) for row in rows] == [
        ("thresholds", 1),
        ("waiting-jobs-metric", 1),
    ]


async def test_publishing_switched_off_publishes_nothing(
    start_replicas, bot_settings, redis_url, aws_endpoint, clock
):
    await set_waiting(redis_url, "jira-queue", 5)
    settings = with_thresholds(bot_settings, publish_waiting_jobs=False)
    (rt,) = await start_replicas("a", settings=settings)
    fired = await fire(rt, clock, PUBLISH)
    assert fired.status == "ran" and "skipped" in fired.result.detail
    listed = int_cloudwatch(aws_endpoint).list_metrics(Namespace="RTBHub/BullMQ")
    assert listed["Metrics"] == []


async def test_a_pass_that_ends_after_a_newer_one_posts_nothing(start_replicas, redis_url, clock):
    """Replica b's pass for 10:00 was slow; a's pass for 10:01 saved first (one over so far):
    b's late pass must not count as the second evaluation over."""
    (rt,) = await start_replicas("a")
    await set_waiting(redis_url, "jira-queue", 90)
    outbox = rt.deps.push.outbox
    await evaluate(rt.deps, outbox, clock(), "pod-a")
    late = await evaluate(rt.deps, outbox, clock() - timedelta(minutes=1), "pod-b")
    assert late.posted == () and late.events == ()
    states = (await ThresholdStates(rt.backends.db).load()).states
    assert (states["waiting_jobs"].alerting, states["waiting_jobs"].streak) == (False, 1)

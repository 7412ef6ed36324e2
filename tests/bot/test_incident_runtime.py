"""`serve` runs the alarm intake in every replica: a notification published to the topic
becomes a card with nobody driving a pass, and stop() ends the loop cleanly."""

import json
from datetime import UTC, datetime

from bot.app import create_runtime
from bot.settings import Settings
from sandbox.alarm_intake import create_alarm_queues
from sandbox.alarm_notifications import MetricAlarmSpec, alarm_message
from sandbox.seed_aws import assumed_session, seed_topic
from tests.fixtures.bot import ACCOUNTS, make_config, secrets_for

SPEC = MetricAlarmSpec(
    "rtb-hub-bullmq-queue-depth", ACCOUNTS["int"], "RTBHub/BullMQ", "WaitingJobs", 50.0
)


async def test_serve_runs_the_intake_until_stopped(
    aws_endpoint, aws_env, fake_slack, kube, pg_url, redis_url
):
    session = assumed_session(aws_endpoint, ACCOUNTS["int"])
    topic = seed_topic(session, aws_endpoint)
    queues = create_alarm_queues(session, aws_endpoint, topic)
    config = make_config(
        kube_urls={env: server.url for env, server in kube.items()},
        aws_endpoint=aws_endpoint,
        slack_api_url=fake_slack.base_url,
        incidents={"queue_url": queues.queue_url},  # 20 s long polls, as in production
    )
    runtime = create_runtime(
        Settings(config, secrets_for(pg_url, redis_url)), retries=0, run_schedules=True
    )
    assert runtime.intake is not None
    await runtime.start()
    try:
        sns = session.client("sns", endpoint_url=aws_endpoint)
        message = alarm_message(SPEC, "ALARM", at=datetime.now(UTC), value=412.0)
        sns.publish(TopicArn=topic, Message=json.dumps(message))
        await fake_slack.await_for(lambda: fake_slack.messages("#rtb-incidents"), timeout=30)
        [card] = fake_slack.messages("#rtb-incidents")
        assert card["text"] == "INC-0001 ALARM: rtb-hub-bullmq-queue-depth in int"
    finally:
        await runtime.stop()
    loop = runtime._intake_loop
    # It ended on stop(), in the middle of a 20 s long poll: not cancelled after a grace wait.
    assert loop is not None and loop.done() and not loop.cancelled()

"""The AWS side of the alarm intake, as README (Incidents) tells an operator to build it: an
SQS queue and its dead-letter queue in int, a queue policy that lets the alarm topic send to
it, and the topic → queue subscription. The sandbox builds it in moto; the tests and the bench
build it the same way, and publish CloudWatch's notifications to the topic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

QUEUE_NAME = "rtb-ops-bot-alarms"
DEAD_LETTER_QUEUE_NAME = "rtb-ops-bot-alarms-dlq"


@dataclass(frozen=True)
class AlarmQueues:
    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str
    subscription_arn: str


def queue_policy(queue_arn: str, topic_arns: list[str]) -> dict[str, Any]:
    """Only the alarm topics may send to the queue (README: Incidents)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "alarm-topics-send",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns}},
            }
        ],
    }


def create_alarm_queues(
    session: boto3.Session,
    endpoint_url: str,
    topic_arn: str,
    *,
    visibility_seconds: int = 60,
    raw_delivery: bool = False,
    suffix: str = "",
) -> AlarmQueues:
    """The queue, its DLQ, the policy and the subscription; `suffix` keeps tests apart."""
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    sns = session.client("sns", endpoint_url=endpoint_url)
    dlq_url = sqs.create_queue(QueueName=DEAD_LETTER_QUEUE_NAME + suffix)["QueueUrl"]
    queue_url = sqs.create_queue(
        QueueName=QUEUE_NAME + suffix,
        Attributes={
            "VisibilityTimeout": str(visibility_seconds),
            "ReceiveMessageWaitTimeSeconds": "20",
            "MessageRetentionPeriod": str(4 * 24 * 3600),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"Policy": json.dumps(queue_policy(queue_arn, [topic_arn]))},
    )
    subscription = sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true" if raw_delivery else "false"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return AlarmQueues(queue_url, queue_arn, dlq_url, subscription)


def seed_alarm_intake(
    endpoint_url: str, int_account: str, *, region: str, topic_name: str
) -> AlarmQueues:
    """The sandbox's intake: the queue in int, subscribed to int's alarm topic (seeded with
    the alarms by sandbox.seed_aws).

    moto 5.2 does not deliver SNS to an SQS queue of another account (its publish looks the
    queue up in the topic's account: NonExistentQueue), so the sandbox has no stg/prd topics:
    `/sandbox alarm … --env stg` publishes the stg alarm's notification (its own account id
    inside) to int's topic. In AWS, README's cross-account subscription does that part.
    """
    from sandbox.seed_aws import assumed_session  # the seed's own way into the account

    session = assumed_session(endpoint_url, int_account)
    topic = f"arn:aws:sns:{region}:{int_account}:{topic_name}"
    return create_alarm_queues(session, endpoint_url, topic)

"""`/sandbox alarm <AlarmName> ALARM|OK|INSUFFICIENT_DATA [--env E]`: an alarm changes state.

The alarm must exist in the env's account in moto (the seeded ones: `rtb-hub-bullmq-queue-depth`
and `rtb-hub-webhook-p99` in int, `rtb-hub-stg-preview-pod-restarts` in stg). The verb sets its
state in CloudWatch (so `/rtb alarms` agrees) and publishes the notification CloudWatch would
have published, built from the alarm's own definition, to the alarm topic: moto delivers it
into the bot's SQS queue. Then it drives the bot's intake (passes until the queue is empty), and
the console delivers the outbox: the card shows in the transcript.
"""

from __future__ import annotations

import asyncio
import difflib
import json
from datetime import UTC, datetime
from typing import Any

from ops.alarm_notifications import ALARM_STATES
from ops.config import ENV_NAMES
from sandbox.alarm_notifications import MetricAlarmSpec, alarm_message, spec_from_described
from sandbox.seed_aws import REGION, TOPIC_NAME, assumed_session
from sandbox.verbs import Verb, VerbContext

USAGE = "<AlarmName> ALARM|OK|INSUFFICIENT_DATA [--env int|stg|prd]"
MAX_PASSES = 20  # a pass takes up to 10 messages; the sandbox's queue holds a few


def _parse(words: list[str]) -> tuple[str, str, str] | str:
    """(alarm, state, env), or what is wrong with the words."""
    env = "int"
    if "--env" in words:
        at = words.index("--env")
        if at + 1 >= len(words) or words[at + 1] not in ENV_NAMES:
            return f"--env takes one of {', '.join(ENV_NAMES)}"
        env = words[at + 1]
        words = words[:at] + words[at + 2 :]
    if len(words) != 2:
        return f"usage: /sandbox alarm {USAGE}"
    name, state = words
    if state.upper() not in ALARM_STATES:
        return f"the state is one of {', '.join(ALARM_STATES)}, not `{state}`"
    return name, state.upper(), env


def _publish(
    endpoint: str, account: str, int_account: str, name: str, state: str
) -> tuple[str, str] | str:
    """Set the alarm's state and publish its notification; (previous state, message id) or
    why not (no such alarm)."""
    session = assumed_session(endpoint, account)
    cloudwatch = session.client("cloudwatch", endpoint_url=endpoint)
    described = cloudwatch.describe_alarms(AlarmNames=[name]).get("MetricAlarms", [])
    if not described:
        known = [a["AlarmName"] for a in cloudwatch.describe_alarms().get("MetricAlarms", [])]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        return f"no alarm `{name}` in that account.{hint} Alarms there: {', '.join(known) or '-'}"
    alarm: dict[str, Any] = described[0]
    spec = spec_from_described(alarm, account, REGION)
    previous = str(alarm.get("StateValue", "OK"))
    at = datetime.now(UTC)
    message = alarm_message(spec, state, at=at, value=_value(spec, state), old_state=previous)
    cloudwatch.set_alarm_state(
        AlarmName=name, StateValue=state, StateReason=message["NewStateReason"]
    )
    sns = assumed_session(endpoint, int_account).client("sns", endpoint_url=endpoint)
    topic = f"arn:aws:sns:{REGION}:{int_account}:{TOPIC_NAME}"
    published = sns.publish(TopicArn=topic, Message=json.dumps(message), Subject=f"{state}: {name}")
    return previous, str(published["MessageId"])


def _value(spec: MetricAlarmSpec, state: str) -> float | None:
    """A datapoint that explains the state: over the threshold for ALARM, under it for OK."""
    if state == "INSUFFICIENT_DATA":
        return None
    factor = 1.5 if state == "ALARM" else 0.5
    return round(spec.threshold * factor + (1 if state == "ALARM" else 0), 1)


async def publish_alarm(context: VerbContext, words: list[str]) -> str:
    parsed = _parse(words)
    if isinstance(parsed, str):
        return parsed
    name, state, env = parsed
    stack, intake = context.stack, context.runtime.intake
    if intake is None or stack.alarm_queues is None:
        return "the sandbox has no alarm queue (incidents.queue_url is not set)"
    accounts = stack.config_data()["environments"]
    published = await asyncio.to_thread(
        _publish,
        stack.moto.url,
        accounts[env]["account_id"],
        accounts["int"]["account_id"],
        name,
        state,
    )
    if isinstance(published, str):
        return published
    previous, message_id = published
    outcomes = await _drain(context)
    return (
        f"{name} ({env}): {previous} → {state}; notification {message_id} published to"
        f" {TOPIC_NAME} → SQS → the bot: {outcomes}"
    )


async def _drain(context: VerbContext) -> str:
    intake = context.runtime.intake
    assert intake is not None
    handled: list[str] = []
    for _ in range(MAX_PASSES):
        report = await intake.run_once(wait=0)
        handled.extend(report.outcomes.elements())
        if not report.received:
            break
    return ", ".join(handled) or "nothing received"


ALARM_VERBS = (
    Verb(
        "alarm",
        USAGE,
        "a CloudWatch alarm changes state: SNS → SQS → an incident card",
        publish_alarm,
    ),
)

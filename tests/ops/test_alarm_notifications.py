"""The parser of alarm notifications, on payloads in the shapes AWS documents (the SNS
notification of a metric and of a composite alarm, raw or in SNS's envelope, and EventBridge's
"CloudWatch Alarm State Change" event)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ops.alarm_notifications import (
    AlarmMetric,
    UnreadableMessage,
    change_from_json,
    change_to_json,
    read_notification,
)

PAYLOADS = Path(__file__).parent / "alarm_payloads"


def body(name: str) -> str:
    return (PAYLOADS / f"{name}.json").read_text()


def test_the_sns_envelope_of_a_metric_alarm():
    notification = read_notification(body("sns_envelope_metric_alarm"))
    change = notification.change
    assert notification.message_id == "3f2a7c1e-5b8d-5e0a-9c4f-2d6b1a8e7f30"
    assert change.alarm_name == "rtb-hub-bullmq-queue-depth"
    assert (change.account, change.region) == ("111111111111", "ap-northeast-2")
    assert (change.state, change.previous_state) == ("ALARM", "OK")
    assert change.changed_at == datetime(2026, 12, 3, 0, 58, 10, 274000, tzinfo=UTC)
    assert change.metric == AlarmMetric(
        "RTBHub/BullMQ", "WaitingJobs", "MAXIMUM", (("Queue", "jira-queue"),), 60, 3
    )
    assert (change.comparison, change.threshold, change.value) == (
        "GreaterThanThreshold",
        50.0,
        412.0,
    )
    assert change.description == "BullMQ jira-queue waiting + prioritized jobs > 50"
    assert not change.is_composite


def test_raw_delivery_is_the_same_change_named_by_the_alarm_state_and_time():
    raw = read_notification(body("sns_raw_metric_alarm"))
    wrapped = read_notification(body("sns_envelope_metric_alarm"))
    assert raw.change == wrapped.change
    assert raw.message_id == (
        "111111111111:ap-northeast-2:rtb-hub-bullmq-queue-depth:ALARM:2026-12-03T00:58:10.274000+00:00"
    )
    assert read_notification(body("sns_raw_metric_alarm")).message_id == raw.message_id


def test_a_composite_alarm_in_its_envelope():
    change = read_notification(body("sns_envelope_composite_alarm")).change
    assert change.is_composite
    assert (
        change.composite_rule == "ALARM(rtb-hub-error-rate) AND ALARM(rtb-hub-bullmq-queue-depth)"
    )
    assert change.triggering_alarms == ("rtb-hub-error-rate",)
    assert (change.account, change.state, change.metric, change.value) == (
        "333333333333",
        "ALARM",
        None,
        None,
    )


def test_the_eventbridge_event_of_a_metric_alarm():
    notification = read_notification(body("eventbridge_metric_alarm"))
    change = notification.change
    assert notification.message_id == "a1b2c3d4-e5f6-7081-92a3-b4c5d6e7f809"
    assert (change.alarm_name, change.account, change.region) == (
        "rtb-hub-error-rate",
        "222222222222",
        "ap-northeast-2",
    )
    assert (change.state, change.previous_state) == ("ALARM", "OK")
    assert change.changed_at == datetime(2026, 12, 3, 0, 58, 10, 274000, tzinfo=UTC)
    assert change.metric == AlarmMetric(
        "RTBHub/WorkflowEngine", "ErrorRate", "Average", (("Service", "workflow-engine"),), 300
    )
    assert (change.threshold, change.value) == (5.0, 7.25)
    assert change.comparison == "GreaterThanThreshold"  # from the reason: the event names none


def test_the_eventbridge_event_of_a_composite_alarm():
    change = read_notification(body("eventbridge_composite_alarm")).change
    assert change.is_composite and change.state == "OK"
    assert change.triggering_alarms == ("rtb-hub-error-rate",)


def test_an_eventbridge_event_inside_an_sns_envelope():
    event = json.loads(body("eventbridge_metric_alarm"))
    envelope = json.loads(body("sns_envelope_metric_alarm")) | {"Message": json.dumps(event)}
    notification = read_notification(json.dumps(envelope))
    assert notification.message_id == envelope["MessageId"]  # SNS's id: what SQS redelivers
    assert notification.change.alarm_name == "rtb-hub-error-rate"


def test_an_ok_notification_names_the_datapoint_that_was_not_over():
    metric = json.loads(body("sns_raw_metric_alarm"))
    metric |= {
        "NewStateValue": "OK",
        "OldStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed: 1 datapoint (3.0) was not greater than the"
        " threshold (50.0).",
    }
    change = read_notification(json.dumps(metric)).change
    assert (change.state, change.value) == ("OK", 3.0)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json at all", "not_json"),
        ("[1, 2]", "not_json"),
        ('{"Type": "Notification", "MessageId": "x", "Message": "nope"}', "message_not_json"),
        ('{"Type": "Notification", "MessageId": "x", "Message": "{}"}', "unknown_shape"),
        ('{"hello": "world"}', "unknown_shape"),
        ('{"detail-type": "CloudWatch Alarm State Change", "detail": {}}', "missing:detail.state"),
    ],
)
def test_what_is_not_an_alarm_state_change_is_unreadable_with_a_code(text, code):
    with pytest.raises(UnreadableMessage) as raised:
        read_notification(text)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("NewStateValue", "PANIC", "bad:state"),
        ("AWSAccountId", "12345", "bad:account"),
        ("StateChangeTime", "yesterday", "bad:time"),
        ("StateChangeTime", "2026-12-03T00:58:10", "bad:time"),  # no zone: which 00:58?
        ("AlarmName", "", "missing:AlarmName"),
    ],
)
def test_a_field_the_card_needs_that_is_wrong_is_unreadable(field, value, code):
    metric = json.loads(body("sns_raw_metric_alarm")) | {field: value}
    with pytest.raises(UnreadableMessage) as raised:
        read_notification(json.dumps(metric))
    assert raised.value.code == code


@pytest.mark.parametrize("name", sorted(p.stem for p in PAYLOADS.glob("*.json")))
def test_a_change_survives_the_store_round_trip(name):
    change = read_notification(body(name)).change
    assert change_from_json(json.loads(json.dumps(change_to_json(change)))) == change

"""CloudWatch alarm notifications as AWS writes them, for the sandbox and the tests.

moto does not evaluate alarms nor run their actions (shared/TESTING.md), so whoever wants an
alarm to reach the bot publishes what CloudWatch would have published: `alarm_message` is the
JSON CloudWatch puts in an SNS notification for a metric alarm (the shape of AWS's documented
examples: `AlarmName … Trigger{MetricName, Namespace, Statistic, Dimensions[{value, name}],
Period, EvaluationPeriods, ComparisonOperator, Threshold}`), `composite_message` the same for a
composite alarm, `eventbridge_event` the "CloudWatch Alarm State Change" event. SNS wraps the
message in its envelope when it delivers to SQS (unless RawMessageDelivery is set); moto does
that for real.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

REGION_NAMES = {"ap-northeast-2": "Asia Pacific (Seoul)", "us-east-1": "US East (N. Virginia)"}
OPERATOR_WORDS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


@dataclass(frozen=True)
class MetricAlarmSpec:
    """What CloudWatch knows of a metric alarm (as describe_alarms answers it)."""

    name: str
    account: str
    namespace: str
    metric: str
    threshold: float
    dimensions: Mapping[str, str] = field(default_factory=dict)
    statistic: str = "Maximum"
    comparison: str = "GreaterThanThreshold"
    period: int = 60
    evaluation_periods: int = 1
    description: str = ""
    region: str = "ap-northeast-2"

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account}:alarm:{self.name}"


def spec_from_described(alarm: Mapping[str, Any], account: str, region: str) -> MetricAlarmSpec:
    """A spec from one `describe_alarms()["MetricAlarms"]` entry."""
    return MetricAlarmSpec(
        name=alarm["AlarmName"],
        account=account,
        namespace=alarm.get("Namespace", ""),
        metric=alarm.get("MetricName", ""),
        threshold=float(alarm.get("Threshold", 0.0)),
        dimensions={d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])},
        statistic=alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Maximum",
        comparison=alarm.get("ComparisonOperator", "GreaterThanThreshold"),
        period=int(alarm.get("Period", 60)),
        evaluation_periods=int(alarm.get("EvaluationPeriods", 1)),
        description=alarm.get("AlarmDescription", ""),
        region=region,
    )


def threshold_reason(spec: MetricAlarmSpec, state: str, value: float | None, at: datetime) -> str:
    """NewStateReason as CloudWatch words it."""
    if state == "INSUFFICIENT_DATA" or value is None:
        return f"Insufficient Data: {spec.evaluation_periods} datapoints were unknown."
    words = OPERATOR_WORDS.get(spec.comparison, "greater than")
    verb = "was" if state == "ALARM" else "was not"
    moved = "OK -> ALARM" if state == "ALARM" else "ALARM -> OK"
    return (
        f"Threshold Crossed: 1 out of the last {spec.evaluation_periods} datapoints"
        f" [{value} ({at:%d/%m/%y %H:%M:%S})] {verb} {words} the threshold ({spec.threshold})"
        f" (minimum 1 datapoint for {moved} transition)."
    )


def _cloudwatch_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def alarm_message(
    spec: MetricAlarmSpec,
    state: str,
    *,
    at: datetime,
    value: float | None = None,
    old_state: str = "OK",
    reason: str | None = None,
) -> dict[str, Any]:
    """The JSON CloudWatch publishes to SNS when the metric alarm changes state."""
    return {
        "AlarmName": spec.name,
        "AlarmDescription": spec.description or None,
        "AWSAccountId": spec.account,
        "AlarmConfigurationUpdatedTimestamp": _cloudwatch_time(at),
        "NewStateValue": state,
        "NewStateReason": reason or threshold_reason(spec, state, value, at),
        "StateChangeTime": _cloudwatch_time(at),
        "Region": REGION_NAMES.get(spec.region, spec.region),
        "AlarmArn": spec.arn,
        "OldStateValue": old_state,
        "OKActions": [],
        "AlarmActions": [],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": spec.metric,
            "Namespace": spec.namespace,
            "StatisticType": "Statistic",
            "Statistic": spec.statistic.upper(),
            "Unit": None,
            "Dimensions": [{"value": v, "name": k} for k, v in spec.dimensions.items()],
            "Period": spec.period,
            "EvaluationPeriods": spec.evaluation_periods,
            "DatapointsToAlarm": 1,
            "ComparisonOperator": spec.comparison,
            "Threshold": spec.threshold,
            "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def composite_message(
    name: str,
    account: str,
    state: str,
    *,
    at: datetime,
    rule: str,
    children: Mapping[str, str],
    region: str = "ap-northeast-2",
) -> dict[str, Any]:
    """A composite alarm's SNS message; `children` maps a child alarm's name to its state."""
    arn = f"arn:aws:cloudwatch:{region}:{account}:alarm:"
    triggering = [
        {"Arn": arn + child, "State": {"Value": value, "Timestamp": _cloudwatch_time(at)}}
        for child, value in children.items()
    ]
    first = next(iter(children), "")
    return {
        "AlarmName": name,
        "AlarmDescription": None,
        "AWSAccountId": account,
        "NewStateValue": state,
        "NewStateReason": f"{arn}{first} transitioned to {children.get(first, state)}"
        f" at {at:%A %d %B, %Y %H:%M:%S} UTC",
        "StateChangeTime": _cloudwatch_time(at),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": arn + name,
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "AlarmRule": rule,
        "TriggeringChildren": triggering,
    }


def eventbridge_event(
    spec: MetricAlarmSpec,
    state: str,
    *,
    at: datetime,
    value: float | None = None,
    previous: str = "OK",
    event_id: str | None = None,
) -> dict[str, Any]:
    """The "CloudWatch Alarm State Change" event EventBridge delivers for the metric alarm."""
    reason_data = {
        "version": "1.0",
        "queryDate": _cloudwatch_time(at),
        "statistic": spec.statistic,
        "period": spec.period,
        "recentDatapoints": [] if value is None else [value],
        "threshold": spec.threshold,
    }
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": spec.account,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": spec.region,
        "resources": [spec.arn],
        "detail": {
            "alarmName": spec.name,
            "configuration": {
                "description": spec.description,
                "metrics": [
                    {
                        "id": "m1",
                        "metricStat": {
                            "metric": {
                                "dimensions": dict(spec.dimensions),
                                "name": spec.metric,
                                "namespace": spec.namespace,
                            },
                            "period": spec.period,
                            "stat": spec.statistic,
                        },
                        "returnData": True,
                    }
                ],
            },
            "previousState": {"reason": "", "timestamp": _cloudwatch_time(at), "value": previous},
            "state": {
                "reason": threshold_reason(spec, state, value, at),
                "reasonData": json.dumps(reason_data),
                "timestamp": _cloudwatch_time(at),
                "value": state,
            },
        },
    }


def sns_envelope(
    message: Mapping[str, Any], topic_arn: str, *, subject: str = ""
) -> dict[str, Any]:
    """What SNS delivers to an SQS subscriber without RawMessageDelivery (for tests that put
    a message in the queue directly; the sandbox publishes and lets moto wrap it)."""
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic_arn,
        "Subject": subject,
        "Message": json.dumps(message),
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.example/cert.pem",
        "UnsubscribeURL": "https://sns.example/unsubscribe",
    }

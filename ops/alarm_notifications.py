"""CloudWatch alarm state changes as they arrive in the bot's SQS queue, read into one shape.

Three shapes reach the queue (README, Incidents: the AWS side):
- the **SNS envelope** (`{"Type": "Notification", "MessageId": …, "Message": "<json>"}`) whose
  `Message` is CloudWatch's alarm notification (`AlarmName, NewStateValue, Trigger{…}` …), for a
  metric alarm or a composite alarm (`AlarmRule`, `TriggeringChildren`);
- the same notification **raw** (the subscription's `RawMessageDelivery`), with no envelope;
- the EventBridge event **"CloudWatch Alarm State Change"**, directly or inside an SNS envelope.

`read_notification` is pure: it returns an `AlarmNotification` or raises `UnreadableMessage`
with a code (never the body's text, which may be anything). The id a message is deduplicated
on is the SNS MessageId, else the EventBridge event id, else (raw delivery carries no id) the
alarm's own identity: its ARN, the state and the state-change time — one state change, one id,
however many times SNS delivers it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, cast

AlarmState = Literal["ALARM", "OK", "INSUFFICIENT_DATA"]
ALARM_STATES: tuple[AlarmState, ...] = ("ALARM", "OK", "INSUFFICIENT_DATA")
EVENTBRIDGE_TYPE = "CloudWatch Alarm State Change"  # internal: the event's detail-type

# "… 1 out of the last 1 datapoints [5000.0 (03/12/26 00:58:00)] …" or "1 datapoint (10.0) was …"
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_DATAPOINT = re.compile(rf"(?:datapoints \[|datapoint \()({_NUMBER})")
_THRESHOLD = re.compile(rf"the threshold \(({_NUMBER})\)")  # internal: CloudWatch's
# The comparison in CloudWatch's reason ("… was greater than the threshold …"), for the
# EventBridge event, which names no ComparisonOperator. Longest phrase first.
_REASON_COMPARISONS = (
    ("greater than or equal to the threshold", "GreaterThanOrEqualToThreshold"),  # internal
    ("less than or equal to the threshold", "LessThanOrEqualToThreshold"),  # internal
    ("greater than the threshold", "GreaterThanThreshold"),  # internal
    ("less than the threshold", "LessThanThreshold"),  # internal
)
_ARN_REGION = re.compile(r"^arn:aws[\w-]*:(?:cloudwatch|sns):([a-z0-9-]+):")


class UnreadableMessage(Exception):
    """Not an alarm state change the bot can read; `code` says why (safe to log)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class AlarmMetric:
    namespace: str
    name: str
    statistic: str
    dimensions: tuple[tuple[str, str], ...] = ()
    period_seconds: int | None = None
    evaluation_periods: int | None = None


@dataclass(frozen=True)
class AlarmChange:
    """One state change of one alarm. `value` is the newest datapoint the reason names."""

    alarm_name: str
    account: str
    region: str
    state: AlarmState
    previous_state: AlarmState | None
    reason: str
    changed_at: datetime
    description: str | None = None
    metric: AlarmMetric | None = None
    comparison: str | None = None  # CloudWatch's ComparisonOperator, e.g. GreaterThanThreshold
    threshold: float | None = None
    value: float | None = None
    composite_rule: str | None = None  # set for composite alarms
    triggering_alarms: tuple[str, ...] = ()  # composite: the children that moved it

    @property
    def is_composite(self) -> bool:
        return self.composite_rule is not None


@dataclass(frozen=True)
class AlarmNotification:
    message_id: str
    change: AlarmChange


def read_notification(body: str) -> AlarmNotification:
    """The alarm state change in an SQS message body, in any of the three shapes."""
    document = _json_object(body, "not_json")
    if document.get("Type") == "Notification" and "Message" in document:
        inner = _json_object(_text(document, "Message"), "message_not_json")
        return AlarmNotification(_text(document, "MessageId"), _read_inner(inner, document))
    change = _read_inner(document, {})
    message_id = document.get("id") if _is_eventbridge(document) else None
    return AlarmNotification(str(message_id or _natural_id(change)), change)


def _read_inner(document: dict[str, Any], envelope: dict[str, Any]) -> AlarmChange:
    if _is_eventbridge(document):
        return _from_eventbridge(document)
    if "AlarmName" in document and "NewStateValue" in document:
        return _from_sns_alarm(document, envelope)
    raise UnreadableMessage("unknown_shape")


def _is_eventbridge(document: dict[str, Any]) -> bool:
    return document.get("detail-type") == EVENTBRIDGE_TYPE


def _from_sns_alarm(doc: dict[str, Any], envelope: dict[str, Any]) -> AlarmChange:
    reason = str(doc.get("NewStateReason") or "")
    trigger = doc.get("Trigger") if isinstance(doc.get("Trigger"), dict) else None
    children = doc.get("TriggeringChildren") or []
    arn = str(doc.get("AlarmArn") or envelope.get("TopicArn") or "")
    return AlarmChange(
        alarm_name=_text(doc, "AlarmName"),
        account=_account(doc.get("AWSAccountId")),
        region=_region(arn) or str(doc.get("Region") or ""),
        state=_state(doc.get("NewStateValue")),
        previous_state=_optional_state(doc.get("OldStateValue")),
        reason=reason,
        changed_at=_time(doc.get("StateChangeTime")),
        description=_optional_text(doc.get("AlarmDescription")),
        metric=_sns_metric(trigger) if trigger else None,
        comparison=_optional_text(trigger.get("ComparisonOperator")) if trigger else None,
        threshold=_number(trigger.get("Threshold")) if trigger else _reason_threshold(reason),
        value=_reason_value(reason),
        composite_rule=_optional_text(doc.get("AlarmRule")),
        triggering_alarms=tuple(_child_name(c) for c in children if isinstance(c, dict)),
    )


def _sns_metric(trigger: dict[str, Any]) -> AlarmMetric | None:
    if not trigger.get("MetricName"):
        return None  # a metric-math alarm names its metrics elsewhere
    dimensions = trigger.get("Dimensions") or []
    return AlarmMetric(
        namespace=str(trigger.get("Namespace") or ""),
        name=str(trigger["MetricName"]),
        statistic=str(trigger.get("Statistic") or trigger.get("ExtendedStatistic") or ""),
        dimensions=tuple(
            (str(d.get("name")), str(d.get("value"))) for d in dimensions if isinstance(d, dict)
        ),
        period_seconds=_integer(trigger.get("Period")),
        evaluation_periods=_integer(trigger.get("EvaluationPeriods")),
    )


def _from_eventbridge(event: dict[str, Any]) -> AlarmChange:
    detail = event.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("state"), dict):
        raise UnreadableMessage("missing:detail.state")
    state, previous = detail["state"], detail.get("previousState") or {}
    configuration = detail.get("configuration") or {}
    reason = str(state.get("reason") or "")
    data = _reason_data(state.get("reasonData"))
    datapoints = data.get("recentDatapoints") or []
    resources = event.get("resources") or [""]
    return AlarmChange(
        alarm_name=_text(detail, "alarmName"),
        account=_account(event.get("account")),
        region=str(event.get("region") or _region(str(resources[0])) or ""),
        state=_state(state.get("value")),
        previous_state=_optional_state(previous.get("value")),
        reason=reason,
        changed_at=_time(state.get("timestamp") or event.get("time")),
        description=_optional_text(configuration.get("description")),
        metric=_eventbridge_metric(configuration),
        comparison=_reason_comparison(reason),
        threshold=_number(data.get("threshold")) if "threshold" in data else None,
        value=_number(datapoints[0]) if datapoints else _reason_value(reason),
        composite_rule=_optional_text(configuration.get("alarmRule")),
        triggering_alarms=tuple(_child_name(a) for a in data.get("triggeringAlarms") or []),
    )


def _eventbridge_metric(configuration: dict[str, Any]) -> AlarmMetric | None:
    metrics = configuration.get("metrics") or []
    stats = [m["metricStat"] for m in metrics if isinstance(m, dict) and "metricStat" in m]
    if len(stats) != 1:
        return None  # composite, or metric math over several metrics
    metric = stats[0].get("metric") or {}
    return AlarmMetric(
        namespace=str(metric.get("namespace") or ""),
        name=str(metric.get("name") or ""),
        statistic=str(stats[0].get("stat") or ""),
        dimensions=tuple(
            sorted((str(k), str(v)) for k, v in (metric.get("dimensions") or {}).items())
        ),
        period_seconds=_integer(stats[0].get("period")),
    )


def _child_name(child: dict[str, Any]) -> str:
    arn = str(child.get("arn") or child.get("Arn") or "")
    return arn.rsplit(":alarm:", 1)[-1]


def _natural_id(change: AlarmChange) -> str:
    at = change.changed_at.isoformat()
    return f"{change.account}:{change.region}:{change.alarm_name}:{change.state}:{at}"


def _json_object(text: str, code: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise UnreadableMessage(code) from exc
    if not isinstance(value, dict):
        raise UnreadableMessage(code)
    return value


def _text(document: dict[str, Any], field: str) -> str:
    value = document.get(field)
    if not isinstance(value, str) or not value:
        raise UnreadableMessage(f"missing:{field}")
    return value


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _account(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{12}", value):
        raise UnreadableMessage("bad:account")
    return value


def _state(value: Any) -> AlarmState:
    if value not in ALARM_STATES:
        raise UnreadableMessage("bad:state")
    return cast(AlarmState, value)


def _optional_state(value: Any) -> AlarmState | None:
    return cast(AlarmState, value) if value in ALARM_STATES else None


def _time(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise UnreadableMessage("bad:time") from exc
    if parsed.tzinfo is None:
        raise UnreadableMessage("bad:time")
    return parsed


def _region(arn: str) -> str | None:
    found = _ARN_REGION.match(arn)
    return found.group(1) if found else None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _reason_value(reason: str) -> float | None:
    found = _DATAPOINT.search(reason)
    return float(found.group(1)) if found else None


def _reason_comparison(reason: str) -> str | None:
    for phrase, operator in _REASON_COMPARISONS:
        if phrase in reason:
            return operator
    return None


def _reason_threshold(reason: str) -> float | None:
    found = _THRESHOLD.search(reason)
    return float(found.group(1)) if found else None


def _reason_data(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if isinstance(value, str) else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def change_to_json(change: AlarmChange) -> dict[str, Any]:
    """The change as JSON for the store (times as ISO 8601)."""
    document = asdict(change)
    document["changed_at"] = change.changed_at.isoformat()
    return document


def change_from_json(document: dict[str, Any]) -> AlarmChange:
    metric = document.get("metric")
    return AlarmChange(
        **{
            **document,
            "changed_at": datetime.fromisoformat(document["changed_at"]),
            "metric": None
            if metric is None
            else AlarmMetric(
                **{**metric, "dimensions": tuple(tuple(d) for d in metric["dimensions"])}
            ),
            "triggering_alarms": tuple(document.get("triggering_alarms") or ()),
        }
    )

"""The incident card: what fired, where, why in plain words, since when, and a link.

One card per incident, posted once and edited as the incident changes (repeats, OK,
INSUFFICIENT_DATA, acknowledgement). The renderer is pure: the same incident renders the same
card, so the intake can tell "nothing to edit" by comparing blocks.

Shape (card11 extends it): header, the reason section, a fields section (env/account, since,
seen, incident id, acknowledgement, resolution), the console link; then, when `actions` are
given, one actions block with `block_id` `incident-actions:<id>` holding them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, ButtonElement

from handlers.render.message import Message, buttons, context, escape, header, section
from ops.alarm_notifications import AlarmChange, AlarmMetric
from ops.incidents import Incident

ACTIONS_BLOCK = "incident-actions:"
HEADERS = {
    "ALARM": ":rotating_light: ALARM",
    "INSUFFICIENT_DATA": ":grey_question: Insufficient data (still open)",
    "OK": ":white_check_mark: Resolved",
}
# CloudWatch's ComparisonOperator in the words of "the value was … the threshold".
COMPARISONS = {
    "GreaterThanThreshold": "above",
    "GreaterThanOrEqualToThreshold": "at or above",
    "LessThanThreshold": "below",
    "LessThanOrEqualToThreshold": "at or below",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band of",
    "GreaterThanUpperThreshold": "above the band of",
    "LessThanLowerThreshold": "below the band of",
}


def render_incident_card(
    incident: Incident, *, timezone: str, actions: Sequence[ButtonElement] = ()
) -> Message:
    zone = ZoneInfo(timezone)
    change = incident.change
    blocks: list[Block] = [
        header(f"{_title(incident)} · {change.alarm_name}"),
        section(_what(change)),
        section("", fields=_fields(incident, zone)),
        context(f"<{console_url(change)}|Open the alarm in the CloudWatch console>"),
    ]
    if actions:
        blocks.append(buttons(*actions, block_id=f"{ACTIONS_BLOCK}{incident.id}"))
    return Message(text=_notification(incident), blocks=tuple(blocks))


def _title(incident: Incident) -> str:
    if not incident.is_open:
        return HEADERS["OK"]
    return HEADERS[incident.alarm_state] if incident.alarm_state != "OK" else HEADERS["ALARM"]


def _notification(incident: Incident) -> str:
    state = "resolved" if not incident.is_open else incident.alarm_state
    where = incident.env or f"account {incident.account}"
    return f"{incident.id} {state}: {escape(incident.alarm_name)} in {where}"


def _what(change: AlarmChange) -> str:
    lines = [f"_{escape(change.description)}_"] if change.description else []
    lines.append(plain_reason(change))
    return "\n".join(lines)


def plain_reason(change: AlarmChange) -> str:
    """The reason in words: the metric, its value against the threshold; CloudWatch's own
    sentence only where the notification says no more."""
    if change.is_composite:
        moved = ", ".join(f"`{escape(a)}`" for a in change.triggering_alarms) or "its children"
        rule = escape(change.composite_rule or "")
        return f"Composite alarm, rule `{rule}`: moved by {moved}."
    if change.state == "INSUFFICIENT_DATA":
        return f"No data: CloudWatch could not evaluate {_metric_name(change.metric)}."
    if change.metric is None or change.value is None or change.threshold is None:
        return escape(change.reason) or "CloudWatch gave no reason."
    value, threshold = number(change.value), number(change.threshold)
    metric = f"{_metric_name(change.metric)} ({_statistic(change.metric)})"
    if change.state == "OK":
        return f"{metric} is back at *{value}* (threshold {threshold})."
    words = COMPARISONS.get(change.comparison or "", "past")
    return f"{metric} was *{value}*, {words} the threshold *{threshold}*."


def _metric_name(metric: AlarmMetric | None) -> str:
    if metric is None:
        return "the alarm's metrics"
    dimensions = ", ".join(f"{k}={v}" for k, v in metric.dimensions)
    suffix = f" [{escape(dimensions)}]" if dimensions else ""
    return f"*{escape(metric.name)}*{suffix}"


def _statistic(metric: AlarmMetric) -> str:
    statistic = metric.statistic.capitalize() if metric.statistic.isupper() else metric.statistic
    if metric.period_seconds is None:
        return statistic
    return f"{statistic} over {duration(timedelta(seconds=metric.period_seconds))}"


def _fields(incident: Incident, zone: ZoneInfo) -> list[str]:
    where = f"*{incident.env}*" if incident.env else "*account not configured*"
    fields = [
        f"*Where*\n{where} · {incident.account} · {incident.region}",
        f"*Since*\n{_when(incident.opened_at, zone)}",
        f"*Seen*\n{_seen(incident, zone)}",
        f"*Incident*\n{incident.id}",
    ]
    if incident.acknowledged_by and incident.acknowledged_at:
        ack = f"<@{incident.acknowledged_by}> at {_when(incident.acknowledged_at, zone)}"
        fields.append(f"*Acknowledged*\n{ack}")
    if not incident.is_open and incident.resolved_at is not None:
        fields.append(f"*Resolved*\n{_resolution(incident, zone)}")
    return fields


def _seen(incident: Incident, zone: ZoneInfo) -> str:
    times = incident.repeat_count + 1
    if times == 1:
        return "once"
    return f"{times} times, last at {_when(incident.last_seen_at, zone)}"


def _resolution(incident: Incident, zone: ZoneInfo) -> str:
    assert incident.resolved_at is not None
    by = f"by <@{incident.resolved_by}>" if incident.resolved_by else "the alarm is OK"
    lasted = duration(incident.resolved_at - incident.opened_at)
    return f"{_when(incident.resolved_at, zone)}, {by} · lasted {lasted}"


def _when(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%H:%M %Z} {local:%a %d %b}"


def duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def console_url(change: AlarmChange) -> str:
    region = change.region
    name = quote(change.alarm_name, safe="")
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{name}"
    )

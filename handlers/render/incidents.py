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

from handlers.render.i18n import N_, _
from handlers.render.message import Message, buttons, context, escape, header, section
from ops.alarm_notifications import AlarmChange, AlarmMetric
from ops.incidents import Incident

ACTIONS_BLOCK = "incident-actions:"
HEADERS = {
    "ALARM": N_(":rotating_light: ALARM"),
    "INSUFFICIENT_DATA": N_(":grey_question: Insufficient data (still open)"),
    "OK": N_(":white_check_mark: Resolved"),
}
# CloudWatch's ComparisonOperator: the sentence "the metric was … the threshold", whole, so
# each language can order it its own way.
COMPARISONS = {
    "GreaterThanThreshold": N_("{metric} was *{value}*, above the threshold *{threshold}*."),
    "GreaterThanOrEqualToThreshold": N_(
        "{metric} was *{value}*, at or above the threshold *{threshold}*."
    ),
    "LessThanThreshold": N_("{metric} was *{value}*, below the threshold *{threshold}*."),
    "LessThanOrEqualToThreshold": N_(
        "{metric} was *{value}*, at or below the threshold *{threshold}*."
    ),
    "LessThanLowerOrGreaterThanUpperThreshold": N_(
        "{metric} was *{value}*, outside the band of the threshold *{threshold}*."
    ),
    "GreaterThanUpperThreshold": N_(
        "{metric} was *{value}*, above the band of the threshold *{threshold}*."
    ),
    "LessThanLowerThreshold": N_(
        "{metric} was *{value}*, below the band of the threshold *{threshold}*."
    ),
}
PAST_THRESHOLD = N_("{metric} was *{value}*, past the threshold *{threshold}*.")


def render_incident_card(
    incident: Incident, *, timezone: str, actions: Sequence[ButtonElement] = ()
) -> Message:
    zone = ZoneInfo(timezone)
    change = incident.change
    blocks: list[Block] = [
        header(f"{_title(incident)} · {change.alarm_name}"),
        section(_what(change)),
        section("", fields=_fields(incident, zone)),
        context(_("<{url}|Open the alarm in the CloudWatch console>", url=console_url(change))),
    ]
    if actions:
        blocks.append(buttons(*actions, block_id=f"{ACTIONS_BLOCK}{incident.id}"))
    return Message(text=_notification(incident), blocks=tuple(blocks))


def _title(incident: Incident) -> str:
    """Resolved (by the alarm or by hand) or the alarm's state; an open incident is never OK."""
    return _(HEADERS["OK"] if not incident.is_open else HEADERS[incident.alarm_state])


def _notification(incident: Incident) -> str:
    where = incident.env or _("account {account}", account=incident.account)
    alarm = escape(incident.alarm_name)
    if not incident.is_open:
        return _("{id} resolved: {alarm} in {where}", id=incident.id, alarm=alarm, where=where)
    return _(
        "{id} {state}: {alarm} in {where}",
        id=incident.id,
        state=incident.alarm_state,
        alarm=alarm,
        where=where,
    )


def _what(change: AlarmChange) -> str:
    lines = [f"_{escape(change.description)}_"] if change.description else []
    lines.append(plain_reason(change))
    return "\n".join(lines)


def plain_reason(change: AlarmChange) -> str:
    """The reason in words: the metric, its value against the threshold; CloudWatch's own
    sentence only where the notification says no more."""
    if change.is_composite:
        rule = escape(change.composite_rule or "")
        if not change.triggering_alarms:
            return _("Composite alarm, rule `{rule}`: moved by its children.", rule=rule)
        moved = ", ".join(f"`{escape(a)}`" for a in change.triggering_alarms)
        return _("Composite alarm, rule `{rule}`: moved by {moved}.", rule=rule, moved=moved)
    if change.state == "INSUFFICIENT_DATA":
        return _(
            "No data: CloudWatch could not evaluate {metric}.", metric=_metric_name(change.metric)
        )
    if change.metric is None or change.value is None or change.threshold is None:
        return escape(change.reason) or _("CloudWatch gave no reason.")
    value, threshold = number(change.value), number(change.threshold)
    metric = f"{_metric_name(change.metric)} ({_statistic(change.metric)})"
    if change.state == "OK":
        return _(
            "{metric} is back at *{value}* (threshold {threshold}).",
            metric=metric,
            value=value,
            threshold=threshold,
        )
    sentence = COMPARISONS.get(change.comparison or "", PAST_THRESHOLD)
    return _(sentence, metric=metric, value=value, threshold=threshold)


def _metric_name(metric: AlarmMetric | None) -> str:
    if metric is None:
        return _("the alarm's metrics")
    dimensions = ", ".join(f"{k}={v}" for k, v in metric.dimensions)
    suffix = f" [{escape(dimensions)}]" if dimensions else ""
    return f"*{escape(metric.name)}*{suffix}"


def _statistic(metric: AlarmMetric) -> str:
    statistic = metric.statistic.capitalize() if metric.statistic.isupper() else metric.statistic
    if metric.period_seconds is None:
        return statistic
    period = duration(timedelta(seconds=metric.period_seconds))
    return _("{statistic} over {period}", statistic=statistic, period=period)


def _fields(incident: Incident, zone: ZoneInfo) -> list[str]:
    where = f"*{incident.env}*" if incident.env else _("*account not configured*")
    fields = [
        _(
            "*Where*\n{where} · {account} · {region}",
            where=where,
            account=incident.account,
            region=incident.region,
        ),
        _("*Since*\n{when}", when=_when(incident.opened_at, zone)),
        _("*Seen*\n{seen}", seen=_seen(incident, zone)),
        _("*Incident*\n{id}", id=incident.id),
    ]
    if incident.acknowledged_by and incident.acknowledged_at:
        ack = _(
            "*Acknowledged*\n<@{user}> at {when}",
            user=incident.acknowledged_by,
            when=_when(incident.acknowledged_at, zone),
        )
        fields.append(ack)
    if not incident.is_open and incident.resolved_at is not None:
        fields.append(_("*Resolved*\n{resolution}", resolution=_resolution(incident, zone)))
    return fields


def _seen(incident: Incident, zone: ZoneInfo) -> str:
    times = incident.repeat_count + 1
    if times == 1:
        return _("once")
    return _("{times} times, last at {when}", times=times, when=_when(incident.last_seen_at, zone))


def _resolution(incident: Incident, zone: ZoneInfo) -> str:
    assert incident.resolved_at is not None
    at = _when(incident.resolved_at, zone)
    lasted = duration(incident.resolved_at - incident.opened_at)
    if incident.resolved_by:
        return _(
            "{when}, by <@{user}> · lasted {lasted}",
            when=at,
            user=incident.resolved_by,
            lasted=lasted,
        )
    return _("{when}, the alarm is OK · lasted {lasted}", when=at, lasted=lasted)


def _when(at: datetime, zone: ZoneInfo) -> str:
    return _("{at:%H:%M %Z %a %d %b}", at=at.astimezone(zone))


def duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 1:
        return _("under a minute")
    if minutes < 60:
        return _("{minutes} min", minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if not rest:
        return _("{hours} h", hours=hours)
    return _("{hours} h {minutes} min", hours=hours, minutes=rest)


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

"""What the §3.1 evaluator posts: an alert, its recovery and reminders (replies in its thread).

Numbers are shown as `/rtb status` shows them (`handlers.render.hub`), so the alert and the
status answer read the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from handlers.render.hub import LABELS, format_threshold, format_value
from handlers.render.i18n import N_, _, ngettext
from handlers.render.message import Message, context, escape, section
from ops.thresholds import Reading, ThresholdEvent

PageOutcome = Literal["paged", "not configured", "failed"]  # internal: outcome codes
MAX_BREAKDOWN = 6
_PAGE_LINES: dict[PageOutcome, str] = {
    "paged": N_(":pager: PagerDuty: the on-call engineer was paged."),
    "not configured": N_(  # internal: the key is an outcome code
        ":pager: PagerDuty is not configured here: nobody was paged."
    ),
    "failed": N_(
        ":pager: PagerDuty did not accept the page (details in the bot's log): "
        "page the on-call engineer yourself."
    ),
}


def render_threshold_event(
    event: ThresholdEvent, every_minutes: int, timezone: str, page: PageOutcome | None = None
) -> Message:
    if event.kind == "alert":
        return _alert(event, every_minutes, timezone, page)
    if event.kind == "recovery":
        return _recovery(event, timezone, page)
    return _reminder(event, timezone)


def _alert(
    event: ThresholdEvent, every_minutes: int, timezone: str, page: PageOutcome | None
) -> Message:
    reading, label = event.reading, _label(event.reading)
    lines = [
        _(
            ":rotating_light: *{label}* is over its threshold: {numbers}",
            label=label,
            numbers=_numbers(reading),
        ),
        ngettext(
            "Over for {n} evaluation in a row (every {every} min).",
            "Over for {n} evaluations in a row (every {every} min).",
            event.consecutive,
            every=every_minutes,
        ),
    ]
    lines += _breakdown(reading)
    if page is not None:
        lines.append(_(_PAGE_LINES[page]))
    note = _(
        "runbook §3.1 · raised {at} ({timezone}) · the recovery is posted in this thread · "
        "`/rtb status` shows every indicator",
        at=_local(event.at, timezone),
        timezone=timezone,
    )
    text = _("{label} over its threshold: {reading}", label=label, reading=_plain(reading))
    return Message(text=text, blocks=(section("\n".join(lines)), context(note)))


def _recovery(event: ThresholdEvent, timezone: str, page: PageOutcome | None) -> Message:
    reading, label = event.reading, _label(event.reading)
    lines = [
        _(
            ":large_green_circle: *{label}* is back under its threshold: {numbers}",
            label=label,
            numbers=_numbers(reading),
        ),
        ngettext(
            "Under for {n} evaluation in a row; it was over for {span} (since {since}).",
            "Under for {n} evaluations in a row; it was over for {span} (since {since}).",
            event.consecutive,
            span=_span(event.at - event.opened_at),
            since=_local(event.opened_at, timezone),
        ),
    ]
    lines += _breakdown(reading)
    if page == "failed":
        lines.append(_(":pager: PagerDuty did not accept the resolve: resolve the incident there."))
    text = _("{label} recovered: {reading}", label=label, reading=_plain(reading))
    return Message(text=text, blocks=(section("\n".join(lines)),))


def _reminder(event: ThresholdEvent, timezone: str) -> Message:
    reading, label = event.reading, _label(event.reading)
    lines = [
        _(
            ":alarm_clock: *{label}* is still over its threshold after {span}: {numbers}",
            label=label,
            span=_span(event.at - event.opened_at),
            numbers=_numbers(reading),
        ),
        _(
            "Over since {since} ({timezone}).",
            since=_local(event.opened_at, timezone),
            timezone=timezone,
        ),
    ]
    lines += _breakdown(reading)
    text = _("{label} still over: {reading}", label=label, reading=_plain(reading))
    return Message(text=text, blocks=(section("\n".join(lines)),))


def _label(reading: Reading) -> str:
    return _(LABELS[reading.key])


def _numbers(reading: Reading) -> str:
    return _(
        "`{value}` (threshold {threshold})",
        value=_value(reading),
        threshold=format_threshold(reading.key, reading.threshold),
    )


def _plain(reading: Reading) -> str:
    return _(
        "{value} (threshold {threshold})",
        value=_value(reading),
        threshold=format_threshold(reading.key, reading.threshold),
    )


def _value(reading: Reading) -> str:
    return "?" if reading.value is None else format_value(reading.key, reading.value)


def _breakdown(reading: Reading) -> list[str]:
    """Waiting jobs per queue (each judged alone) with the total; previews per env."""
    if not reading.breakdown:
        return []
    shown = [
        f"{escape(name)} {format_value(reading.key, value)}"
        for name, value in reading.breakdown[:MAX_BREAKDOWN]
    ]
    more = len(reading.breakdown) - MAX_BREAKDOWN
    if more > 0:
        shown.append(_("+{more} more", more=more))
    if reading.total is not None:
        shown.append(_("total {value}", value=format_value(reading.key, reading.total)))
    return [" · ".join(shown)]


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return _("{minutes} min", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    return _("{hours} h {minutes:02d} min", hours=hours, minutes=minutes)


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M")

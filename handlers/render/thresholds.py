"""What the §3.1 evaluator posts: an alert, its recovery and reminders (replies in its thread).

Numbers are shown as `/rtb status` shows them (`handlers.render.hub`), so the alert and the
status answer read the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from handlers.render.hub import LABELS, format_threshold, format_value
from handlers.render.message import Message, context, escape, section
from ops.thresholds import Reading, ThresholdEvent

PageOutcome = Literal["paged", "not configured", "failed"]
MAX_BREAKDOWN = 6
_PAGE_LINES: dict[PageOutcome, str] = {
    "paged": ":pager: PagerDuty: the on-call engineer was paged.",
    "not configured": ":pager: PagerDuty is not configured here: nobody was paged.",
    "failed": ":pager: PagerDuty did not accept the page (details in the bot's log): "
    "page the on-call engineer yourself.",
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
    reading, label = event.reading, LABELS[event.reading.key]
    lines = [
        f":rotating_light: *{label}* is over its threshold: {_numbers(reading)}",
        f"Over for {event.consecutive} evaluations in a row (every {every_minutes} min).",
    ]
    lines += _breakdown(reading)
    if page is not None:
        lines.append(_PAGE_LINES[page])
    note = (
        f"runbook §3.1 · raised {_local(event.at, timezone)} ({timezone}) · the recovery is "
        "posted in this thread · `/rtb status` shows every indicator"
    )
    text = f"{label} over its threshold: {_plain(reading)}"
    return Message(text=text, blocks=(section("\n".join(lines)), context(note)))


def _recovery(event: ThresholdEvent, timezone: str, page: PageOutcome | None) -> Message:
    reading, label = event.reading, LABELS[event.reading.key]
    lines = [
        f":large_green_circle: *{label}* is back under its threshold: {_numbers(reading)}",
        f"Under for {event.consecutive} evaluations in a row; it was over for "
        f"{_span(event.at - event.opened_at)} (since {_local(event.opened_at, timezone)}).",
    ]
    lines += _breakdown(reading)
    if page == "failed":
        lines.append(":pager: PagerDuty did not accept the resolve: resolve the incident there.")
    return Message(
        text=f"{label} recovered: {_plain(reading)}", blocks=(section("\n".join(lines)),)
    )


def _reminder(event: ThresholdEvent, timezone: str) -> Message:
    reading, label = event.reading, LABELS[event.reading.key]
    lines = [
        f":alarm_clock: *{label}* is still over its threshold after "
        f"{_span(event.at - event.opened_at)}: {_numbers(reading)}",
        f"Over since {_local(event.opened_at, timezone)} ({timezone}).",
    ]
    lines += _breakdown(reading)
    return Message(
        text=f"{label} still over: {_plain(reading)}", blocks=(section("\n".join(lines)),)
    )


def _numbers(reading: Reading) -> str:
    value = "?" if reading.value is None else format_value(reading.key, reading.value)
    return f"`{value}` (threshold {format_threshold(reading.key, reading.threshold)})"


def _plain(reading: Reading) -> str:
    value = "?" if reading.value is None else format_value(reading.key, reading.value)
    return f"{value} (threshold {format_threshold(reading.key, reading.threshold)})"


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
        shown.append(f"+{more} more")
    if reading.total is not None:
        shown.append(f"total {format_value(reading.key, reading.total)}")
    return [" · ".join(shown)]


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M")

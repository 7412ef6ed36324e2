"""What the alarms, CloudTrail and Logs Insights answers share: times, spans as typed, a
backend that did not answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.failures import failure_text
from handlers.render.i18n import _
from handlers.render.message import clip, escape, section
from ops.fanout import Failed


def failure_blocks(failures: Sequence[Failed], consequence: str) -> list[Block]:
    """`consequence` is already translated ("its alarms are not shown")."""
    return [
        section(
            _(
                ":warning: *{backend}*: {reason} — {consequence}.",
                backend=escape(f.backend),
                reason=escape(failure_text(f)),
                consequence=consequence,
            )
        )
        for f in failures
    ]


def quoted(text: str) -> str:
    """User text shown back inside `code`: no backticks, mrkdwn-escaped, short."""
    shown = clip(text.replace("`", "'"), 80)
    return f"`{escape(shown)}`"


def stamp(moment: datetime | None, tz: ZoneInfo, *, seconds: bool = False) -> str:
    if moment is None:
        return "--"
    return moment.astimezone(tz).strftime("%m-%d %H:%M:%S" if seconds else "%m-%d %H:%M")


def clock(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def when(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    return f"{stamp(moment, tz)} ({ago(now - moment)})"


def ago(delta: timedelta) -> str:
    """`3m ago`, `2h 5m ago`, `1d 4h ago` (compact, as the tables write spans)."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return _("just now")
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return _("{days}d {hours}h ago", days=days, hours=hours % 24)
    if hours:
        return _("{hours}h {minutes}m ago", hours=hours, minutes=minutes % 60)
    return _("{minutes}m ago", minutes=minutes)


def span(delta: timedelta) -> str:
    """As typed: 30m, 1h, 24h, 7d (whole days from 2 days up)."""
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400}d"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"

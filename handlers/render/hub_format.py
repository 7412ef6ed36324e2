"""How the hub's numbers read in every hub answer: counts, money, durations, windows.

Money is in dollars (the team pays AWS and the AI APIs in dollars): `$12.34` in English,
`US$12.34` in Korean (`money`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from handlers.render.failures import failure_text
from handlers.render.i18n import _, babel_locale, money, number
from handlers.render.message import clip, escape
from ops.fanout import Failed
from ops.status import State

MARKS: dict[State, str] = {
    "green": ":large_green_circle:",
    "red": ":red_circle:",
    "unknown": ":white_circle:",
}
REASON_CHARS = 200


def count(value: float) -> str:
    return number(int(value))


def usd(value: float | Decimal) -> str:
    return money(value)


def whole_usd(value: float | Decimal) -> str:
    """A threshold in whole dollars: `$100` (`US$100` in Korean)."""
    # imported here, as in i18n: Babel stays out of an idle bot's memory (bench/ack.py)
    from babel.numbers import format_currency

    shown = format_currency(
        value, "USD", format="¤#,##0", currency_digits=False, locale=babel_locale()
    )
    return str(shown)


def duration_ms(value: float | None) -> str:
    """In a table's column: units as the hub's dashboards write them, in every language."""
    if value is None:
        return "–"
    if value < 1000:
        return f"{value:.0f} ms"
    if value < 120_000:
        return f"{value / 1000:.1f} s"
    return f"{value / 60_000:.1f} min"


def window(span: timedelta) -> str:
    """As typed in --since: 15m → "15 min", 24h → "24h", 7d → "7d"."""
    seconds = int(span.total_seconds())
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return _("{minutes} min", minutes=seconds // 60)
    return _("{seconds} s", seconds=seconds)


def local(moment: datetime, timezone: str, fmt: str = "%m-%d %H:%M") -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime(fmt)


def failure(failed: Failed) -> str:
    return f"*{escape(failed.backend)}*: {escape(failure_text(failed))}"


def user_text(text: str, limit: int = 60) -> str:
    """User input echoed back inside `code`: no backticks, short."""
    return escape(clip(text.replace("`", "'"), limit))


def backend_text(text: str, limit: int = REASON_CHARS) -> str:
    """Text stored by the hub (job reasons, error messages): one line, escaped, clipped."""
    return escape(clip(" ".join(text.split()), limit))

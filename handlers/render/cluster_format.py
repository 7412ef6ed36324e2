"""What the cluster answers share: compact spans (as kubectl writes ages), local times, code
spans and monospace tables.

Table column names stay as kubectl and BullMQ print them (NAME, READY, AGE…): the team reads
them in English in every tool, and Hangul is two columns wide in a monospace block."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from unicodedata import east_asian_width

from slack_sdk.models.blocks import Block

from handlers.render.i18n import _
from handlers.render.message import MAX_SECTION_TEXT, code_block, context, escape, section

_CHUNK = MAX_SECTION_TEXT - 100  # room for the ``` fences and a header line
_MAX_TABLE_SECTIONS = 20


def span(seconds: float) -> str:
    """A compact duration: 45s, 12m, 1h30m, 20h, 2d4h, 9d."""
    total = int(max(0, seconds))
    if total < 60:
        return f"{total}s"
    minutes, hours, days = total // 60, total // 3600, total // 86400
    if total < 3600:
        return f"{minutes}m"
    if total < 86400:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest and hours < 10 else f"{hours}h"
    rest = hours % 24
    return f"{days}d{rest}h" if rest and days < 3 else f"{days}d"


def age(moment: datetime | None, now: datetime) -> str:
    return span((now - moment).total_seconds()) if moment else "?"


def local(moment: datetime, zone: tzinfo, fmt: str = "%m-%d %H:%M") -> str:
    return moment.astimezone(zone).strftime(fmt)


def zone_name(now: datetime, zone: tzinfo) -> str:
    return now.astimezone(zone).strftime("%Z")


def code(text: str) -> str:
    """Backend or user text as inline code (no backticks, mrkdwn control characters escaped)."""
    cleaned = escape(text).replace("`", "'")
    return f"`{cleaned}`"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Aligned in a monospace block: a Hangul cell (`1h 남음`) counts two columns a syllable."""
    widths = [max(columns(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        aligned = [padded(c, widths[i], right=i in right) for i, c in enumerate(cells)]
        return "  ".join(aligned).rstrip()

    return [line(header), *(line(r) for r in rows)]


def columns(text: str) -> int:
    """How many monospace columns `text` takes: wide (East Asian) characters take two."""
    return sum(2 if east_asian_width(c) in ("W", "F") else 1 for c in text)


def padded(text: str, width: int, *, right: bool = False) -> str:
    """`text` in a column `width` monospace columns wide (a Hangul syllable takes two)."""
    room = " " * max(width - columns(text), 0)
    return room + text if right else text + room


def table_sections(lines: list[str]) -> list[Block]:
    """Table lines as code-block sections that each fit, the header repeated in each."""
    header, rows = escape(lines[0]), [escape(line) for line in lines[1:]]
    chunks: list[list[str]] = [[]]
    for row in rows:
        if sum(len(r) + 1 for r in chunks[-1]) + len(row) + len(header) > _CHUNK:
            chunks.append([])
        chunks[-1].append(row)
    blocks: list[Block] = [section(code_block([header, *c])) for c in chunks]
    if len(blocks) > _MAX_TABLE_SECTIONS:
        left = sum(len(c) for c in chunks[_MAX_TABLE_SECTIONS:])
        more = _("… and {left} more rows not shown", left=left)
        blocks = [*blocks[:_MAX_TABLE_SECTIONS], context(more)]
    return blocks

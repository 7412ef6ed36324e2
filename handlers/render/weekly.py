"""The weekly checklist (runbook §6.2) as Slack messages: one digest, its overflow in the thread.

The digest holds one section per item: a mark (:white_check_mark: fine, :warning: look at it,
:x: could not be read — with which source and why), the item's numbers, and its first few
detail lines. Detail lines beyond INLINE_LINES go to the digest's thread, one message per item
(chunked so that every section stays under 3,000 characters and every message under 50
blocks); the digest says how many lines are there. The items themselves (and what marks one
:warning:) are `handlers.render.weekly_items`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.i18n import N_, _, number
from handlers.render.message import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    Message,
    clip,
    context,
    divider,
    header,
    section,
)
from handlers.render.message import escape as esc
from handlers.render.weekly_items import (
    LOOK,
    OK,
    UNREAD,
    Item,
    assume_role_item,
    fargate_item,
    scaling_item,
    ttl_item,
)
from ops.weekly.digest import WeeklyDigest

__all__ = ["INLINE_LINES", "LOOK", "OK", "UNREAD", "WeeklyMessages", "render_weekly"]

INLINE_LINES = 6  # detail lines shown in the digest itself, per item
THREAD_LINES = 600  # detail lines at most in the thread, per item (the rest is counted)
LINE_CHARS = 300
MORE_IN_THREAD = N_("_… {n} more in the thread_")
MORE_IN_POSTED_THREAD = N_("_… {n} more in the thread of the posted digest (`--post`)_")


@dataclass(frozen=True)
class WeeklyMessages:
    main: Message
    thread: tuple[Message, ...]  # the details that did not fit, item by item


def render_weekly(digest: WeeklyDigest, *, posted: bool = True) -> WeeklyMessages:
    """`posted`: the digest goes to the channel, its details to its thread; else it is shown
    privately (`/rtb digest weekly`), and the details are only counted."""
    tz = ZoneInfo(digest.timezone)
    items = (
        fargate_item(digest.fargate),
        scaling_item(digest.scaling, tz),
        assume_role_item(digest.assume_role, tz),
        ttl_item(digest.ttl, tz),
    )
    built = digest.built_at.astimezone(tz)
    blocks: list[Block] = [
        header(_("Weekly checklist · {span}", span=_span(digest, tz))),
        context(_("Runbook §6.2 · built {at:%Y-%m-%d %H:%M %Z}", at=built)),
    ]
    more = MORE_IN_THREAD if posted else MORE_IN_POSTED_THREAD
    for index, item in enumerate(items, 1):
        blocks += [divider(), section(_item_text(index, item, more))]
    thread = tuple(m for n, item in enumerate(items, 1) for m in _overflow(n, item))
    return WeeklyMessages(Message(text=_fallback(digest, items, tz), blocks=tuple(blocks)), thread)


def _span(digest: WeeklyDigest, tz: ZoneInfo) -> str:
    first = digest.week.start.astimezone(tz)
    last = digest.week.end.astimezone(tz) - timedelta(days=1)
    return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


def _fallback(digest: WeeklyDigest, items: Sequence[Item], tz: ZoneInfo) -> str:
    looks = [i.title for i in items if i.mark != OK]
    span = _span(digest, tz)
    if not looks:
        return _("Weekly checklist {span}: all fine", span=span)
    return _("Weekly checklist {span}: look at {items}", span=span, items=", ".join(looks))


def _item_text(index: int, item: Item, more: str) -> str:
    lines = [f"{item.mark} *{index}. {item.title}*", item.summary]
    lines += [f"• {line}" for line in item.details[:INLINE_LINES]]
    rest = len(item.details) - INLINE_LINES
    if rest > 0:
        lines.append(_(more, n=number(rest)))
    return _fit("\n".join(lines))


def _overflow(index: int, item: Item) -> list[Message]:
    """The item's detail lines past INLINE_LINES, as thread messages within Slack's limits."""
    rest = list(item.details[INLINE_LINES:])
    if not rest:
        return []
    cut = len(rest) - THREAD_LINES
    shown = [f"• {line}" for line in rest[:THREAD_LINES]]
    if cut > 0:
        shown.append(_("_… and {n} more not listed_", n=number(cut)))
    chunks = _chunks(shown)
    title = _("{index}. {title}: the rest", index=index, title=item.title)
    per_message = MAX_BLOCKS - 1
    messages = []
    for start in range(0, len(chunks), per_message):
        part = chunks[start : start + per_message]
        blocks: list[Block] = [context(f"*{esc(title)}*")] + [section(text) for text in part]
        messages.append(Message(text=title, blocks=tuple(blocks)))
    return messages


def _chunks(lines: Sequence[str]) -> list[str]:
    """Lines joined into texts of at most MAX_SECTION_TEXT characters (a line never split)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, LINE_CHARS)
        if current and size + len(line) + 1 > MAX_SECTION_TEXT:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


def _fit(text: str) -> str:
    return text if len(text) <= MAX_SECTION_TEXT else clip(text, MAX_SECTION_TEXT)

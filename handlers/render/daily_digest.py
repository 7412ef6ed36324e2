"""The daily checklist (§6.1) as a Slack message: one section per item, its numbers, a mark,
who checked it, and a Checked button.

Ticks live in their own context block per item (`block_id` `digest-ticks:<item>`), so a tick
rewrites those blocks of the posted message (`apply_ticks`) without rebuilding the digest
from its sources. The largest realistic day stays far under Slack's limits: 2 + 4 per item
blocks (14), every list clipped so a section stays under 3,000 characters; what is clipped is
counted ("and 12 more") and listed in full in the thread (`render_daily_details`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.failures import failure_text
from handlers.render.message import (
    Message,
    button,
    buttons,
    context,
    divider,
    escape,
    header,
    section,
)
from ops.daily_digest import (
    ITEMS,
    AiCostItem,
    CostLine,
    DailyDigest,
    FailedJobsItem,
    ItemKey,
    Mark,
    PreviewsItem,
)
from ops.fanout import Failed
from ops.previews import Preview

CHECK_ACTION = "digest_check"
TICKS_BLOCK = "digest-ticks:"
TITLES: dict[ItemKey, str] = {
    "previews": "1. Previews",
    "failed_jobs": "2. Failed jobs",
    "ai_cost": "3. Yesterday's AI cost",
}
MARKS: dict[Mark, str] = {
    "ok": ":white_check_mark:",
    "attention": ":warning:",
    "unknown": ":grey_question:",
}
MAX_LISTED = 10  # previews named per list in the message; the rest go to the thread


@dataclass(frozen=True)
class Tick:
    user: str
    at: datetime


Ticks = Mapping[str, Sequence[Tick]]  # item -> ticks, oldest first


def render_daily_digest(
    digest: DailyDigest, *, message_key: str | None = None, ticks: Ticks | None = None
) -> Message:
    """With `message_key` (a posted digest): Checked buttons carrying it; without (the private
    on-demand view): no buttons."""
    zone = ZoneInfo(digest.timezone)
    when = digest.scheduled_for.astimezone(zone)
    blocks: list[Block] = [
        header(f"Daily checklist — {when:%a %d %b %Y}"),
        context(f"Runbook §6.1 · as of {when:%H:%M %Z} · {_summary(digest)}"),
    ]
    bodies = {
        "previews": _previews(digest.previews, zone),
        "failed_jobs": _failed_jobs(digest.failed_jobs),
        "ai_cost": _ai_cost(digest.ai_cost),
    }
    for item in ITEMS:
        blocks += [
            divider(),
            section(f"*{TITLES[item]}* {MARKS[digest.mark(item)]}\n{bodies[item]}"),
        ]
        if message_key is not None:
            blocks.append(_ticks_block(item, (ticks or {}).get(item, ()), zone))
            value = f"{message_key}|{item}"
            blocks.append(buttons(button("Checked", CHECK_ACTION, value), block_id=f"check:{item}"))
    text = f"Daily checklist {when:%Y-%m-%d}: {_summary(digest)}"
    return Message(text=text, blocks=tuple(blocks), ephemeral=message_key is None)


def _summary(digest: DailyDigest) -> str:
    marks = [digest.mark(item) for item in ITEMS]
    attention = [TITLES[i].split(" ", 1)[1] for i, m in zip(ITEMS, marks, strict=True) if m != "ok"]
    return "all clear" if not attention else "look at: " + ", ".join(attention)


# -- items ------------------------------------------------------------------------------------


def _previews(item: PreviewsItem, zone: ZoneInfo) -> str:
    if not item.envs:
        return _unread("the clusters", item.failures)
    lines = []
    for row in item.envs:
        hub = "" if row.hub_listed is None else f" (hub API lists {row.hub_listed})"
        lines.append(f"• {row.env}: *{row.active}* active{hub}, {row.created} created in 24 h")
    cleaned = (
        "unknown (no earlier digest)" if item.cleaned_up is None else str(len(item.cleaned_up))
    )
    lines.append(f"Cleaned up since yesterday: {cleaned}")
    lines.append(f"Expiring in the next 24 h: *{len(item.expiring)}*{_names(item.expiring, zone)}")
    expired = len(item.expired_present)
    lines.append(
        f"Expired but still present (cleanupExpired() failed): *{expired}*"
        f"{_names(item.expired_present, zone)}"
    )
    return "\n".join(lines + _failure_lines(item.failures))


def _names(previews: Sequence[Preview], zone: ZoneInfo) -> str:
    if not previews:
        return ""
    shown = [
        f"{p.env}/{escape(p.issue_key)} ({p.expires_at.astimezone(zone):%m-%d %H:%M})"
        if p.expires_at
        else f"{p.env}/{escape(p.issue_key)}"
        for p in previews[:MAX_LISTED]
    ]
    more = len(previews) - MAX_LISTED
    return " — " + ", ".join(shown) + (f" and {more} more (in the thread)" if more > 0 else "")


def _failed_jobs(item: FailedJobsItem) -> str:
    lines = []
    if item.queues is not None:
        for q in item.queues:
            new = f"{q.new}+" if q.new_at_least else str(q.new)
            lines.append(
                f"• `{escape(q.queue)}`: *{new}* new since yesterday, {q.total} failed in all"
            )
        if item.reasons:
            top = "; ".join(f"{escape(reason)} ×{count}" for reason, count in item.reasons)
            lines.append(f"Top reasons: {top}")
    if item.executions is not None:
        failed = sum(n for _, n in item.executions)
        by_type = ", ".join(f"{escape(t)} {n}" for t, n in item.executions)
        lines.append(
            f"workflow_executions failed in 24 h: *{failed}*" + (f" ({by_type})" if by_type else "")
        )
    if not lines:
        return _unread("BullMQ and workflow_executions", item.failures)
    return "\n".join(lines + _failure_lines(item.failures))


def _ai_cost(item: AiCostItem) -> str:
    if item.total_usd is None:
        return _unread("ai_costs", item.failures)
    verdict = "over" if item.over_threshold else "under"
    limit = _usd(item.threshold_usd)
    lines = [f"{item.day}: *{_usd(item.total_usd)}* ({verdict} the {limit} daily threshold)"]
    if item.average_usd is not None:
        change = _change(item.total_usd, item.average_usd)
        lines.append(f"7-day average before it: {_usd(item.average_usd)} ({change})")
    if item.by_model:
        lines.append("By model: " + _cost_lines(item.by_model))
    if item.by_env:
        lines.append("By env: " + _cost_lines(item.by_env))
    return "\n".join(lines)


def _cost_lines(lines: Sequence[CostLine]) -> str:
    return ", ".join(f"{escape(line.name)} {_usd(line.total_usd)}" for line in lines[:MAX_LISTED])


def _change(value: Decimal, base: Decimal) -> str:
    if base == 0:
        return "no cost before"
    percent = (value - base) / base * 100
    return f"{percent:+.0f} %"


def _usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def _unread(what: str, failures: Sequence[Failed]) -> str:
    reasons = "; ".join(f"{escape(f.backend)}: {escape(failure_text(f))}" for f in failures)
    return f"Could not read {what}" + (f" — {reasons}" if reasons else "") + "."


def _failure_lines(failures: Sequence[Failed]) -> list[str]:
    return [f"_Not read: {escape(f.backend)} ({escape(f.reason)})_" for f in failures]


# -- ticks ------------------------------------------------------------------------------------


def _ticks_block(item: str, ticks: Sequence[Tick], zone: ZoneInfo) -> Block:
    block = context(ticks_text(ticks, zone))
    block.block_id = f"{TICKS_BLOCK}{item}"
    return block


def ticks_text(ticks: Sequence[Tick], zone: ZoneInfo) -> str:
    if not ticks:
        return ":white_medium_square: not checked yet"
    who = ", ".join(f"<@{t.user}> at {t.at.astimezone(zone):%H:%M}" for t in ticks)
    return f":ballot_box_with_check: checked by {who}"


def apply_ticks(blocks: list[dict[str, Any]], ticks: Ticks, timezone: str) -> list[dict[str, Any]]:
    """The posted digest's blocks with every item's tick line rewritten from `ticks`."""
    zone = ZoneInfo(timezone)
    rewritten = []
    for block in blocks:
        block_id = str(block.get("block_id") or "")
        if block_id.startswith(TICKS_BLOCK):
            item = block_id.removeprefix(TICKS_BLOCK)
            block = _ticks_block(item, ticks.get(item, ()), zone).to_dict()
        rewritten.append(block)
    return rewritten


def unchecked_items(ticks: Ticks) -> list[ItemKey]:
    return [item for item in ITEMS if not ticks.get(item)]


def render_reminder(items: Sequence[ItemKey]) -> Message:
    names = ", ".join(f"*{TITLES[i]}*" for i in items)
    text = f"Reminder: not checked yet today — {names}. Tick each one above once it is looked at."
    return Message(text=text.replace("*", ""), blocks=(section(text),))


def render_cost_alert(item: AiCostItem) -> Message:
    """To #rtb-costs when yesterday's AI cost was over the daily threshold."""
    text = (
        f":money_with_wings: AI cost on {item.day} was *{_usd(item.total_usd or Decimal(0))}*, "
        f"over the {_usd(item.threshold_usd)} daily threshold."
        f"\nBy model: {_cost_lines(item.by_model)}"
        f"\nBy env: {_cost_lines(item.by_env)}"
    )
    plain = f"AI cost on {item.day} was {_usd(item.total_usd or Decimal(0))}, over the threshold"
    return Message(text=plain, blocks=(section(text),))


def render_daily_details(digest: DailyDigest) -> Message | None:
    """The full preview lists when the message had to clip them; None when nothing was."""
    item = digest.previews
    lists = (("Expiring in 24 h", item.expiring), ("Expired but present", item.expired_present))
    long = [(title, found) for title, found in lists if len(found) > MAX_LISTED]
    if not long:
        return None
    blocks = [
        section(f"*{title}* ({len(found)})\n" + ", ".join(_preview_id(p) for p in found))
        for title, found in long
    ]
    return Message(text="Preview lists in full", blocks=tuple(blocks))


def _preview_id(preview: Preview) -> str:
    return f"{preview.env}/{escape(preview.issue_key)}"

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
from handlers.render.i18n import N_, _, money
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
    EnvPreviews,
    FailedJobsItem,
    ItemKey,
    Mark,
    PreviewsItem,
)
from ops.fanout import Failed
from ops.previews import Preview

CHECK_ACTION = "digest_check"
TICKS_BLOCK = "digest-ticks:"
TITLES: dict[ItemKey, str] = {  # marked here, translated where shown
    "previews": N_("1. Previews"),
    "failed_jobs": N_("2. Failed jobs"),
    "ai_cost": N_("3. Yesterday's AI cost"),
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
    summary = _summary(digest)
    blocks: list[Block] = [
        header(_("Daily checklist — {when:%a %d %b %Y}", when=when)),
        context(_("Runbook §6.1 · as of {when:%H:%M %Z} · {summary}", when=when, summary=summary)),
    ]
    bodies = {
        "previews": _previews(digest.previews, zone),
        "failed_jobs": _failed_jobs(digest.failed_jobs),
        "ai_cost": _ai_cost(digest.ai_cost),
    }
    for item in ITEMS:
        blocks += [
            divider(),
            section(f"*{_(TITLES[item])}* {MARKS[digest.mark(item)]}\n{bodies[item]}"),
        ]
        if message_key is not None:
            blocks.append(_ticks_block(item, (ticks or {}).get(item, ()), zone))
            check = button(_("Checked"), CHECK_ACTION, f"{message_key}|{item}")
            blocks.append(buttons(check, block_id=f"check:{item}"))
    text = _("Daily checklist {when:%Y-%m-%d}: {summary}", when=when, summary=summary)
    return Message(text=text, blocks=tuple(blocks), ephemeral=message_key is None)


def _summary(digest: DailyDigest) -> str:
    marks = [digest.mark(item) for item in ITEMS]
    attention = [_title(i) for i, m in zip(ITEMS, marks, strict=True) if m != "ok"]
    if not attention:
        return _("all clear")
    return _("look at: {items}", items=", ".join(attention))


def _title(item: ItemKey) -> str:
    """The item's title without its number."""
    return _(TITLES[item]).split(" ", 1)[1]


# -- items ------------------------------------------------------------------------------------


def _previews(item: PreviewsItem, zone: ZoneInfo) -> str:
    if not item.envs:
        return _unread(_("the clusters"), item.failures)
    lines = [_env_line(row) for row in item.envs]
    if item.cleaned_up is None:
        lines.append(_("Cleaned up since yesterday: unknown (no earlier digest)"))
    else:
        lines.append(_("Cleaned up since yesterday: {n}", n=len(item.cleaned_up)))
    lines.append(
        _(
            "Expiring in the next 24 h: *{n}*{names}",
            n=len(item.expiring),
            names=_names(item.expiring, zone),
        )
    )
    lines.append(
        _(
            "Expired but still present (cleanupExpired() failed): *{n}*{names}",
            n=len(item.expired_present),
            names=_names(item.expired_present, zone),
        )
    )
    return "\n".join(lines + _failure_lines(item.failures))


def _env_line(row: EnvPreviews) -> str:
    if row.hub_listed is None:
        return _(
            "• {env}: *{active}* active, {created} created in 24 h",
            env=row.env,
            active=row.active,
            created=row.created,
        )
    return _(
        "• {env}: *{active}* active (hub API lists {hub}), {created} created in 24 h",
        env=row.env,
        active=row.active,
        hub=row.hub_listed,
        created=row.created,
    )


def _names(previews: Sequence[Preview], zone: ZoneInfo) -> str:
    if not previews:
        return ""
    shown = [
        f"{p.env}/{escape(p.issue_key)} ({p.expires_at.astimezone(zone):%m-%d %H:%M})"
        if p.expires_at
        else f"{p.env}/{escape(p.issue_key)}"
        for p in previews[:MAX_LISTED]
    ]
    names = ", ".join(shown)
    more = len(previews) - MAX_LISTED
    if more > 0:
        names = _("{names} and {more} more (in the thread)", names=names, more=more)
    return " — " + names


def _failed_jobs(item: FailedJobsItem) -> str:
    lines = []
    if item.queues is not None:
        for q in item.queues:
            new = f"{q.new}+" if q.new_at_least else str(q.new)
            lines.append(
                _(
                    "• `{queue}`: *{new}* new since yesterday, {total} failed in all",
                    queue=escape(q.queue),
                    new=new,
                    total=q.total,
                )
            )
        if item.reasons:
            top = "; ".join(f"{_job_reason(reason)} ×{count}" for reason, count in item.reasons)
            lines.append(_("Top reasons: {reasons}", reasons=top))
    if item.executions is not None:
        lines.append(_executions_line(item.executions))
    if not lines:
        return _unread(_("BullMQ and workflow_executions"), item.failures)
    return "\n".join(lines + _failure_lines(item.failures))


def _job_reason(reason: str) -> str:
    return escape(reason) if reason else _("(no reason recorded)")


def _executions_line(executions: Sequence[tuple[str, int]]) -> str:
    failed = sum(n for _type, n in executions)
    if not executions:
        return _("workflow_executions failed in 24 h: *{failed}*", failed=failed)
    by_type = ", ".join(f"{escape(t)} {n}" for t, n in executions)
    return _(
        "workflow_executions failed in 24 h: *{failed}* ({by_type})",
        failed=failed,
        by_type=by_type,
    )


def _ai_cost(item: AiCostItem) -> str:
    if item.total_usd is None:
        return _unread("ai_costs", item.failures)
    verdict = (
        N_("{day}: *{total}* (over the {limit} daily threshold)")
        if item.over_threshold
        else N_("{day}: *{total}* (under the {limit} daily threshold)")
    )
    total, limit = _usd(item.total_usd), _usd(item.threshold_usd)
    lines = [_(verdict, day=item.day, total=total, limit=limit)]
    if item.average_usd is not None:
        change = _change(item.total_usd, item.average_usd)
        average = _usd(item.average_usd)
        lines.append(
            _("7-day average before it: {average} ({change})", average=average, change=change)
        )
    lines += _breakdowns(item)
    return "\n".join(lines)


def _breakdowns(item: AiCostItem) -> list[str]:
    lines = []
    if item.by_model:
        lines.append(_("By model: {costs}", costs=_cost_lines(item.by_model)))
    if item.by_env:
        lines.append(_("By env: {costs}", costs=_cost_lines(item.by_env)))
    return lines


def _cost_lines(lines: Sequence[CostLine]) -> str:
    return ", ".join(f"{escape(line.name)} {_usd(line.total_usd)}" for line in lines[:MAX_LISTED])


def _change(value: Decimal, base: Decimal) -> str:
    if base == 0:
        return _("no cost before")
    percent = (value - base) / base * 100
    return f"{percent:+.0f} %"


def _usd(value: Decimal) -> str:
    """$12.34 (US$12.34 in Korean), to the cent as before."""
    return money(Decimal(f"{value:.2f}"))


def _unread(what: str, failures: Sequence[Failed]) -> str:
    reasons = "; ".join(f"{escape(f.backend)}: {escape(failure_text(f))}" for f in failures)
    if not reasons:
        return _("Could not read {what}.", what=what)
    return _("Could not read {what} — {reasons}.", what=what, reasons=reasons)


def _failure_lines(failures: Sequence[Failed]) -> list[str]:
    return [
        _(
            "_Not read: {backend} ({reason})_",
            backend=escape(f.backend),
            reason=escape(failure_text(f)),
        )
        for f in failures
    ]


# -- ticks ------------------------------------------------------------------------------------


def _ticks_block(item: str, ticks: Sequence[Tick], zone: ZoneInfo) -> Block:
    block = context(ticks_text(ticks, zone))
    block.block_id = f"{TICKS_BLOCK}{item}"
    return block


def ticks_text(ticks: Sequence[Tick], zone: ZoneInfo) -> str:
    if not ticks:
        return _(":white_medium_square: not checked yet")
    who = ", ".join(
        _("<@{user}> at {time:%H:%M}", user=t.user, time=t.at.astimezone(zone)) for t in ticks
    )
    return _(":ballot_box_with_check: checked by {who}", who=who)


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
    names = ", ".join(f"*{_(TITLES[i])}*" for i in items)
    text = _(
        "Reminder: not checked yet today — {items}. Tick each one above once it is looked at.",
        items=names,
    )
    return Message(text=text.replace("*", ""), blocks=(section(text),))


def render_cost_alert(item: AiCostItem) -> Message:
    """To #rtb-costs when yesterday's AI cost was over the daily threshold."""
    total, limit = _usd(item.total_usd or Decimal(0)), _usd(item.threshold_usd)
    lines = [
        _(
            ":money_with_wings: AI cost on {day} was *{total}*, over the {limit} daily threshold.",
            day=item.day,
            total=total,
            limit=limit,
        ),
        _("By model: {costs}", costs=_cost_lines(item.by_model)),
        _("By env: {costs}", costs=_cost_lines(item.by_env)),
    ]
    text = "\n".join(lines)
    plain = _("AI cost on {day} was {total}, over the threshold", day=item.day, total=total)
    return Message(text=plain, blocks=(section(text),))


def render_daily_details(digest: DailyDigest) -> Message | None:
    """The full preview lists when the message had to clip them; None when nothing was."""
    item = digest.previews
    lists = (
        (N_("*Expiring in 24 h* ({n})\n{previews}"), item.expiring),
        (N_("*Expired but present* ({n})\n{previews}"), item.expired_present),
    )
    long = [(title, found) for title, found in lists if len(found) > MAX_LISTED]
    if not long:
        return None
    blocks = [
        section(_(title, n=len(found), previews=", ".join(_preview_id(p) for p in found)))
        for title, found in long
    ]
    return Message(text=_("Preview lists in full"), blocks=tuple(blocks))


def _preview_id(preview: Preview) -> str:
    return f"{preview.env}/{escape(preview.issue_key)}"

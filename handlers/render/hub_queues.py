"""`/rtb queues` and `/rtb queue <name>`: BullMQ's counts, and one queue's newest failures."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from handlers.render.answer_buttons import queue_buttons
from handlers.render.hub_format import backend_text, local, user_text
from handlers.render.i18n import _, ngettext, number
from handlers.render.message import Message, code_block, context, escape, header, section
from ops.queues import QueueCounts, QueueDetail, QueuesOverview

MAX_ROWS = 25
# BullMQ's own names for the states, as the hub's dashboards show them
_QUEUE_COLUMNS = ("waiting", "prio", "delayed", "active", "failed", "completed", "children")


def _queue_row(q: QueueCounts, width: int) -> str:
    numbers = (q.pending, q.prioritized, q.delayed, q.active, q.failed, q.completed)
    cells = [f"{n:>{len(c) + 2},}" for n, c in zip(numbers, _QUEUE_COLUMNS, strict=False)]
    cells.append(f"{q.waiting_children:>{len(_QUEUE_COLUMNS[-1]) + 2},}")
    return f"{q.name:<{width}}" + "".join(cells)


def render_queues(overview: QueuesOverview) -> Message:
    if not overview.queues:
        return Message(
            text=_("No queues are watched"),
            blocks=(section(_("No BullMQ queues are configured (`hub.queues`).")),),
        )
    width = max(5, *(len(q.name) for q in overview.queues)) + 1
    head = f"{'queue':<{width}}" + "".join(f"{c:>{len(c) + 2}}" for c in _QUEUE_COLUMNS)
    rows = [_queue_row(q, width) for q in overview.queues[:MAX_ROWS]]
    if len(overview.queues) > MAX_ROWS:
        rows.append(_("… {more} more", more=len(overview.queues) - MAX_ROWS))
    blocks: list[Block] = [
        header(_("BullMQ queues")),
        section(code_block([head, *rows])),
    ]
    if overview.paused:
        names = ", ".join(f"`{escape(n)}`" for n in overview.paused)
        blocks.append(section(_(":double_vertical_bar: *Paused:* {names}", names=names)))
    pending = number(overview.pending)
    blocks.append(
        context(
            _(
                "{pending} waiting in total · waiting = wait + prioritized (BullMQ's own count) "
                "· children = waiting-children · `/rtb queue <name>` for failed jobs",
                pending=pending,
            )
        )
    )
    words = {"queues": len(overview.queues), "pending": pending, "paused": len(overview.paused)}
    summary = (
        _("BullMQ queues: {queues} queues, {pending} waiting, {paused} paused", **words)
        if overview.paused
        else _("BullMQ queues: {queues} queues, {pending} waiting", **words)
    )
    return Message(text=summary, blocks=tuple(blocks))


def render_queue(detail: QueueDetail, timezone: str) -> Message:
    q = detail.counts
    state = (
        _(":double_vertical_bar: *paused*")
        if q.paused
        else _(":arrow_forward: processing (not paused)")
    )
    fields = [
        _(
            "*Waiting*\n{pending} ({prioritized} prioritized)",
            pending=number(q.pending),
            prioritized=number(q.prioritized),
        ),
        _("*Delayed*\n{count}", count=number(q.delayed)),
        _("*Active*\n{count}", count=number(q.active)),
        _("*Failed*\n{count}", count=number(q.failed)),
        _("*Completed*\n{count}", count=number(q.completed)),
        _("*Waiting-children*\n{count}", count=number(q.waiting_children)),
    ]
    blocks: list[Block] = [
        header(_("Queue {name}", name=q.name)),
        section(state, fields=fields),
        section(_failed_jobs(detail, timezone)),
        queue_buttons(q),
    ]
    if not detail.configured:
        blocks.append(context(_("Not in the watched queues (`hub.queues`); found in Redis.")))
    words = {"name": q.name, "pending": number(q.pending), "failed": number(q.failed)}
    text = (
        _("Queue {name}: {pending} waiting, {failed} failed, paused", **words)
        if q.paused
        else _("Queue {name}: {pending} waiting, {failed} failed", **words)
    )
    return Message(text=text, blocks=tuple(blocks))


def _failed_jobs(detail: QueueDetail, timezone: str) -> str:
    if not detail.failed_jobs:
        return _("No failed jobs.") if not detail.counts.failed else _("Failed jobs not listed.")
    lines = [
        _(
            "*Newest failed jobs* ({shown} of {total})",
            shown=len(detail.failed_jobs),
            total=number(detail.counts.failed),
        )
    ]
    for job in detail.failed_jobs:
        lines.append(
            _(
                "• `{id}` {name} — {reason} ({attempts}, {when})",
                id=user_text(job.id, 40),
                name=backend_text(job.name, 60),
                reason=backend_text(job.reason) or _("no reason recorded"),
                attempts=ngettext("{n} attempt", "{n} attempts", job.attempts),
                when=local(job.failed_at, timezone) if job.failed_at else "?",
            )
        )
    return "\n".join(lines)

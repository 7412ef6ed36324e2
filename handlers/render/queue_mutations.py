"""Answers to queue pause / resume / retry-failed that ran: the change, counts before and after."""

from __future__ import annotations

from typing import Any

from approvals.outcomes import Ran
from handlers.render.approvals import render_ran
from handlers.render.decisions import decision_reason
from handlers.render.message import Message, context, escape, section
from ops.queue_control import counts_from_json
from ops.queues import QueueCounts


def counts_line(counts: QueueCounts) -> str:
    return (
        f"{'paused' if counts.paused else 'running'} · waiting {counts.pending:,} · "
        f"active {counts.active:,} · delayed {counts.delayed:,} · failed {counts.failed:,} · "
        f"completed {counts.completed:,}"
    )


def render_queue_change(ran: Ran) -> Message:
    """A queue change the gate ran at once; a failure reads like every other gate answer."""
    result = ran.run.result
    if ran.run.status != "succeeded" or "before" not in result:
        return render_ran(ran)
    before, after = counts_from_json(result["before"]), counts_from_json(result["after"])
    name = escape(str(result.get("queue", ran.spec.target)))
    headline = _headline(ran.spec.mutation, name, before, after, result)
    blocks = (
        section(
            headline, fields=[f"*Before*\n{counts_line(before)}", f"*After*\n{counts_line(after)}"]
        ),
        context(f"{decision_reason(ran.decision)} · `/rtb queue {name}` shows it now"),
    )
    return Message(text=_plain(headline), blocks=blocks)


def _headline(
    mutation: str, name: str, before: QueueCounts, after: QueueCounts, result: dict[str, Any]
) -> str:
    if mutation == "queue-pause":
        return (
            f":double_vertical_bar: Paused `{name}`: workers finish the jobs they hold and take "
            f"no new ones; {after.pending:,} waiting stay queued. "
            f"`/rtb queue resume {name}` restarts it."
        )
    if mutation == "queue-resume":
        waiting = f"{after.pending:,} waiting"
        return f":arrow_forward: Resumed `{name}`: workers take jobs again ({waiting})."
    return _retried(name, before, after, result)


def _retried(name: str, before: QueueCounts, after: QueueCounts, result: dict[str, Any]) -> str:
    ids = [str(i) for i in result.get("retried") or []]
    skipped = [str(i) for i in result.get("skipped") or []]
    if ids or skipped:
        newest = len(ids) + len(skipped)
        some = f"{len(ids):,} of the {newest:,}" if skipped else f"the {newest:,}"
        text = f":repeat: Retried {some} newest failed job(s) of `{name}`"
        text += f" ({', '.join(f'`{escape(i[:40])}`' for i in ids[:20])}"
        text += ", …)" if len(ids) > 20 else ")"
        if skipped:
            text += f"; {len(skipped):,} had already left `failed` (skipped)"
    else:
        count = max(before.failed - after.failed, 0)
        text = f":repeat: Retried {count:,} failed job(s) of `{name}`"
    text += f": {before.failed:,} failed → {after.failed:,}."
    if after.paused:
        text += " The queue is paused: they run once it is resumed."
    return text


def _plain(text: str) -> str:
    return text.split(": ", 1)[-1] if text.startswith(":") else text

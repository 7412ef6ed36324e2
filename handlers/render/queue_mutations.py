"""Answers to queue pause / resume / retry-failed that ran: the change, counts before and after."""

from __future__ import annotations

from typing import Any

from approvals.outcomes import Ran
from handlers.render.decisions import decision_reason
from handlers.render.gate_answers import render_ran
from handlers.render.i18n import _, number
from handlers.render.message import Message, context, escape, section
from ops.queue_control import counts_from_json
from ops.queues import QueueCounts


def counts_line(counts: QueueCounts) -> str:
    """The runbook's terms in Korean (대기 잡 수 …); the numbers grouped per locale."""
    facts = {
        "waiting": number(counts.pending),
        "active": number(counts.active),
        "delayed": number(counts.delayed),
        "failed": number(counts.failed),
        "completed": number(counts.completed),
    }
    if counts.paused:
        return _(
            "paused · waiting {waiting} · active {active} · delayed {delayed} · "
            "failed {failed} · completed {completed}",
            **facts,
        )
    return _(
        "running · waiting {waiting} · active {active} · delayed {delayed} · "
        "failed {failed} · completed {completed}",
        **facts,
    )


def render_queue_change(ran: Ran) -> Message:
    """A queue change the gate ran at once; a failure reads like every other gate answer."""
    result = ran.run.result
    if ran.run.status != "succeeded" or "before" not in result:
        return render_ran(ran)
    before, after = counts_from_json(result["before"]), counts_from_json(result["after"])
    name = escape(str(result.get("queue", ran.spec.target)))
    mark, headline = _headline(ran.spec.mutation, name, before, after, result)
    blocks = (
        section(
            f"{mark} {headline}",
            fields=[
                _("*Before*\n{counts}", counts=counts_line(before)),
                _("*After*\n{counts}", counts=counts_line(after)),
            ],
        ),
        context(
            _(
                "{reason} · `/rtb queue {queue}` shows it now",
                reason=decision_reason(ran.decision),
                queue=name,
            )
        ),
    )
    return Message(text=headline, blocks=blocks)


def _headline(
    mutation: str, name: str, before: QueueCounts, after: QueueCounts, result: dict[str, Any]
) -> tuple[str, str]:
    """The emoji and the sentence (the notification text is the sentence alone)."""
    if mutation == "queue-pause":
        return ":double_vertical_bar:", _(
            "Paused `{queue}`: workers finish the jobs they hold and take no new ones; "
            "{waiting} waiting stay queued. `/rtb queue resume {queue}` restarts it.",
            queue=name,
            waiting=number(after.pending),
        )
    if mutation == "queue-resume":
        return ":arrow_forward:", _(
            "Resumed `{queue}`: workers take jobs again ({waiting} waiting).",
            queue=name,
            waiting=number(after.pending),
        )
    return ":repeat:", _retried(name, before, after, result)


def _retried(name: str, before: QueueCounts, after: QueueCounts, result: dict[str, Any]) -> str:
    ids = [str(i) for i in result.get("retried") or []]
    skipped = [str(i) for i in result.get("skipped") or []]
    change = {"before": number(before.failed), "after": number(after.failed), "queue": name}
    if ids or skipped:
        text = _retried_ids(ids, skipped, change)
    else:
        text = _(
            "Retried {count} failed job(s) of `{queue}`: {before} failed → {after}.",
            count=number(max(before.failed - after.failed, 0)),
            **change,
        )
    if after.paused:
        text += " " + _("The queue is paused: they run once it is resumed.")
    return text


def _retried_ids(ids: list[str], skipped: list[str], change: dict[str, str]) -> str:
    listed = ", ".join(f"`{escape(i[:40])}`" for i in ids[:20]) + (", …" if len(ids) > 20 else "")
    if skipped:
        return _(
            "Retried {count} of the {newest} newest failed job(s) of `{queue}` ({ids}); "
            "{skipped} had already left `failed` (skipped): {before} failed → {after}.",
            count=number(len(ids)),
            newest=number(len(ids) + len(skipped)),
            ids=listed,
            skipped=number(len(skipped)),
            **change,
        )
    return _(
        "Retried the {newest} newest failed job(s) of `{queue}` ({ids}): {before} failed → "
        "{after}.",
        newest=number(len(ids)),
        ids=listed,
        **change,
    )

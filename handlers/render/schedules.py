"""`/rtb schedules`: the job table with each job's next run and newest run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.message import Message, context, escape, header, section
from ops.outbox import OutboxStats
from ops.schedule import JobRun

OUTCOMES = {
    "done": ":white_check_mark: done",
    "failed": ":x: failed (see the bot's log)",
    None: ":hourglass: running, or its replica stopped before the end",
}


@dataclass(frozen=True)
class ScheduleRow:
    name: str
    summary: str
    cron: str
    next_run: datetime | None
    last: JobRun | None


def render_schedules(rows: Sequence[ScheduleRow], outbox: OutboxStats, timezone: str) -> Message:
    zone = ZoneInfo(timezone)
    blocks: list[Block] = [header("Scheduled jobs")]
    for row in rows:
        blocks.append(section(_row(row, zone)))
    waiting = f"{outbox.waiting} waiting"
    if outbox.oldest_waiting is not None:
        waiting += f" (oldest since {outbox.oldest_waiting.astimezone(zone):%m-%d %H:%M})"
    blocks.append(
        context(
            f"Times in {timezone}. Outbox: {waiting}, {outbox.given_up} given up. "
            "Every replica schedules every job; the first to claim a period runs it."
        )
    )
    return Message(text=f"{len(rows)} scheduled jobs", blocks=tuple(blocks), ephemeral=True)


def _row(row: ScheduleRow, zone: ZoneInfo) -> str:
    upcoming = f"{row.next_run.astimezone(zone):%a %m-%d %H:%M}" if row.next_run else "never"
    lines = [
        f"*{escape(row.name)}* — {escape(row.summary)}",
        f"`{escape(row.cron)}` · next: {upcoming}",
    ]
    last = row.last
    if last is None:
        lines.append("Last run: none yet")
    else:
        lines.append(
            f"Last run: {escape(_period(last.period, zone))} · "
            f"{OUTCOMES.get(last.outcome, last.outcome)} · "
            f"by `{escape(last.replica)}` at {last.claimed_at.astimezone(zone):%m-%d %H:%M:%S}"
        )
        deleted = last.detail.get("deleted")
        if isinstance(deleted, dict):  # the housekeeping job's counts
            lines.append(
                f"Deleted {_count(deleted.get('messages', 0), 'delivered message')} "
                f"({_count(deleted.get('ticks', 0), 'tick')}) and "
                f"{_count(deleted.get('claims', 0), 'claim')}"
            )
    return "\n".join(lines)


def _period(period: str, zone: ZoneInfo) -> str:
    """A period that is a moment (`2026-12-03T12:40:00+00:00`, a per-minute job's) in the
    table's zone and format, as the other times here; a day (`2026-12-03`) or a week as is."""
    try:
        moment = datetime.fromisoformat(period)
    except ValueError:
        return period
    return f"{moment.astimezone(zone):%m-%d %H:%M}" if moment.tzinfo else period


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"

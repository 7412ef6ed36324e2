"""`/rtb schedules`: the job table with each job's next run and newest run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.i18n import N_, _, babel_locale, ngettext
from handlers.render.message import Message, context, escape, header, section
from ops.outbox import OutboxStats
from ops.schedule import JobRun

# Marked for the catalogs; shown with `_(OUTCOMES[outcome])`.
OUTCOMES = {
    "done": N_(":white_check_mark: done"),
    "failed": N_(":x: failed (see the bot's log)"),
    None: N_(":hourglass: running, or its replica stopped before the end"),
}


@dataclass(frozen=True)
class ScheduleRow:
    """`summary` is the job's own line, marked with `N_` where the job is defined and
    translated here (English until its catalog entry exists)."""

    name: str
    summary: str
    cron: str
    next_run: datetime | None
    last: JobRun | None


def render_schedules(rows: Sequence[ScheduleRow], outbox: OutboxStats, timezone: str) -> Message:
    zone = ZoneInfo(timezone)
    blocks: list[Block] = [header(_("Scheduled jobs"))]
    for row in rows:
        blocks.append(section(_row(row, zone)))
    words = {"zone": timezone, "waiting": outbox.waiting, "given_up": outbox.given_up}
    if outbox.oldest_waiting is not None:
        oldest = f"{outbox.oldest_waiting.astimezone(zone):%m-%d %H:%M}"
        note = _(
            "Times in {zone}. Outbox: {waiting} waiting (oldest since {oldest}), {given_up} "
            "given up. Every replica schedules every job; the first to claim a period runs it.",
            oldest=oldest,
            **words,
        )
    else:
        note = _(
            "Times in {zone}. Outbox: {waiting} waiting, {given_up} given up. Every replica "
            "schedules every job; the first to claim a period runs it.",
            **words,
        )
    blocks.append(context(note))
    text = _("{count} scheduled jobs", count=len(rows))
    return Message(text=text, blocks=tuple(blocks), ephemeral=True)


def _row(row: ScheduleRow, zone: ZoneInfo) -> str:
    upcoming = _weekday_time(row.next_run, zone) if row.next_run else _("never")
    lines = [
        f"*{escape(row.name)}* — {escape(_(row.summary))}",
        _("`{cron}` · next: {moment}", cron=escape(row.cron), moment=upcoming),
    ]
    last = row.last
    if last is None:
        lines.append(_("Last run: none yet"))
    else:
        outcome = OUTCOMES.get(last.outcome)
        lines.append(
            _(
                "Last run: {period} · {outcome} · by `{replica}` at {moment}",
                period=escape(_period(last.period, zone)),
                outcome=_(outcome) if outcome else last.outcome,
                replica=escape(last.replica),
                moment=f"{last.claimed_at.astimezone(zone):%m-%d %H:%M:%S}",
            )
        )
        deleted = last.detail.get("deleted")
        if isinstance(deleted, dict):  # the housekeeping job's counts
            lines.append(_deleted(deleted))
    return "\n".join(lines)


def _deleted(deleted: dict[str, int]) -> str:
    return _(
        "Deleted {messages} ({ticks}) and {claims}",
        messages=ngettext(
            "{n} delivered message", "{n} delivered messages", deleted.get("messages", 0)
        ),
        ticks=ngettext("{n} tick", "{n} ticks", deleted.get("ticks", 0)),
        claims=ngettext("{n} claim", "{n} claims", deleted.get("claims", 0)),
    )


def _weekday_time(moment: datetime, zone: ZoneInfo) -> str:
    """`Thu 12-03 09:00` / `목 12-03 09:00`: the weekday in the reader's language."""
    from babel.dates import format_datetime

    pattern = "EEE MM-dd HH:mm"  # internal: a CLDR date pattern
    return str(format_datetime(moment.astimezone(zone), pattern, locale=babel_locale()))


def _period(period: str, zone: ZoneInfo) -> str:
    """A period that is a moment (`2026-12-03T12:40:00+00:00`, a per-minute job's) in the
    table's zone and format, as the other times here; a day (`2026-12-03`) or a week as is."""
    try:
        moment = datetime.fromisoformat(period)
    except ValueError:
        return period
    return f"{moment.astimezone(zone):%m-%d %H:%M}" if moment.tzinfo else period

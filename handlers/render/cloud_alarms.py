"""`/rtb alarms`: the alarms in ALARM or INSUFFICIENT_DATA, newest state change first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.answer_buttons import alarm_section
from handlers.render.cloud_format import clock, failure_blocks, when
from handlers.render.i18n import _
from handlers.render.message import Message, clip, context, escape, section
from ops.alarms import Alarm, AlarmReport

MAX_ALARMS_SHOWN = 30


def render_alarms(report: AlarmReport, timezone: str) -> Message:
    tz = ZoneInfo(timezone)
    summary, head = _headline(report)
    blocks: list[Block] = [section(head)]
    shown = report.alarms[:MAX_ALARMS_SHOWN]
    blocks += [
        alarm_section(_alarm_text(a, report.checked_at, tz), a, number)
        for number, a in enumerate(shown, start=1)
    ]
    blocks += [context(note) for note in _notes(report, hidden=len(report.alarms) - len(shown))]
    if report.missing:
        blocks.append(section(_missing_text(report.missing)))
        summary = _(
            "{summary}; {count} runbook alarm(s) missing in int",
            summary=summary,
            count=len(report.missing),
        )
    blocks += failure_blocks(report.failures, _("its alarms are not shown"))
    checked = clock(report.checked_at, tz)
    blocks.append(context(_("Checked {time} · newest state change first", time=checked)))
    return Message(text=summary, blocks=tuple(blocks))


def _headline(report: AlarmReport) -> tuple[str, str]:
    """The notification text and the first section's."""
    where = ", ".join(report.envs)
    if report.alarms:
        firing = sum(1 for a in report.alarms if a.state == "ALARM")
        counts = {"firing": firing, "waiting": len(report.alarms) - firing, "where": where}
        icon = ":rotating_light:" if firing else ":white_circle:"
        head = _("*{firing} in ALARM*, {waiting} with insufficient data — {where}", **counts)
        summary = _("{firing} in ALARM, {waiting} with insufficient data ({where})", **counts)
        return summary, f"{icon} {head}"
    if report.failures:
        found = _(":warning: No alarm found in the accounts that answered ({where})", where=where)
        return found, found
    summary = _("No alarm in ALARM or INSUFFICIENT_DATA ({where})", where=where)
    return summary, f":large_green_circle: {summary}"


def _notes(report: AlarmReport, *, hidden: int) -> list[str]:
    notes = [_("… and {hidden} more not shown.", hidden=hidden)] if hidden else []
    return notes + [
        _("{env}: more alarms than I read; only the first pages are shown.", env=env)
        for env in report.truncated
    ]


def _missing_text(names: tuple[str, ...]) -> str:
    listed = ", ".join(f"`{escape(name)}`" for name in names[:MAX_ALARMS_SHOWN])
    more = len(names) - MAX_ALARMS_SHOWN
    if more > 0:
        listed = _("{listed} and {more} more", listed=listed, more=more)
    return _(
        ":warning: *Runbook alarms missing in int*: {listed}. Nothing alarms on these yet: "
        "`rtb-bot alarms plan` prints their definitions for the infrastructure code.",
        listed=listed,
    )


def _alarm_text(alarm: Alarm, now: datetime, tz: ZoneInfo) -> str:
    icon = ":red_circle:" if alarm.state == "ALARM" else ":white_circle:"
    head = f"{icon} *{escape(alarm.name)}* · `{alarm.env}` · {alarm.state}"
    if alarm.since:
        head = _("{alarm} since {moment}", alarm=head, moment=when(alarm.since, now, tz))
    lines = [head]
    about = " · ".join(escape(x) for x in (alarm.description, alarm.metric) if x)
    if about:
        lines.append(clip(about, 300))
    if alarm.reason:
        lines.append("> " + clip(escape(alarm.reason), 400))
    return "\n".join(lines)

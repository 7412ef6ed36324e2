"""Alarms, CloudTrail lookups and Logs Insights searches as Slack messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.answer_buttons import alarm_section
from handlers.render.message import Message, clip, code_block, context, escape, section
from ops.alarms import Alarm, AlarmReport
from ops.cloudtrail import MAX_EVENTS, TrailEvent, TrailReport
from ops.fanout import Failed
from ops.logs import LogLine, LogSearch

MAX_ALARMS_SHOWN = 30
MAX_FAILED_EVENTS_SHOWN = 15
MAX_OK_EVENTS_SHOWN = 25
MAX_LOG_LINES_SHOWN = 20
MAX_MSG_SHOWN = 160


# -- alarms ----------------------------------------------------------------------------------


def render_alarms(report: AlarmReport, timezone: str) -> Message:
    tz = ZoneInfo(timezone)
    firing = sum(1 for a in report.alarms if a.state == "ALARM")
    waiting = len(report.alarms) - firing
    where = ", ".join(report.envs)
    if report.alarms:
        summary = f"{firing} in ALARM, {waiting} with insufficient data ({where})"
        icon = ":rotating_light:" if firing else ":white_circle:"
        head = f"{icon} *{firing} in ALARM*, {waiting} with insufficient data — {where}"
    elif report.failures:
        summary = head = f":warning: No alarm found in the accounts that answered ({where})"
    else:
        summary = f"No alarm in ALARM or INSUFFICIENT_DATA ({where})"
        head = f":large_green_circle: {summary}"
    blocks: list[Block] = [section(head)]
    shown = report.alarms[:MAX_ALARMS_SHOWN]
    blocks += [
        alarm_section(_alarm_text(a, report.checked_at, tz), a, number)
        for number, a in enumerate(shown, start=1)
    ]
    hidden = len(report.alarms) - len(shown)
    notes = [f"… and {hidden} more not shown."] if hidden else []
    notes += [
        f"{env}: more alarms than I read; only the first pages are shown."
        for env in report.truncated
    ]
    blocks += [context(note) for note in notes]
    if report.missing:
        blocks.append(section(_missing_text(report.missing)))
        summary += f"; {len(report.missing)} runbook alarm(s) missing in int"
    blocks += _failure_blocks(report.failures, "its alarms are not shown")
    blocks.append(context(f"Checked {_clock(report.checked_at, tz)} · newest state change first"))
    return Message(text=summary, blocks=tuple(blocks))


def _missing_text(names: tuple[str, ...]) -> str:
    listed = ", ".join(f"`{escape(name)}`" for name in names[:MAX_ALARMS_SHOWN])
    more = len(names) - MAX_ALARMS_SHOWN
    listed += f" and {more} more" if more > 0 else ""
    return (
        f":warning: *Runbook alarms missing in int*: {listed}. Nothing alarms on these yet: "
        "`rtb-bot alarms plan` prints their definitions for the infrastructure code."
    )


def _alarm_text(alarm: Alarm, now: datetime, tz: ZoneInfo) -> str:
    icon = ":red_circle:" if alarm.state == "ALARM" else ":white_circle:"
    since = f" since {_when(alarm.since, now, tz)}" if alarm.since else ""
    lines = [f"{icon} *{escape(alarm.name)}* · `{alarm.env}` · {alarm.state}{since}"]
    about = " · ".join(escape(x) for x in (alarm.description, alarm.metric) if x)
    if about:
        lines.append(clip(about, 300))
    if alarm.reason:
        lines.append("> " + clip(escape(alarm.reason), 400))
    return "\n".join(lines)


# -- CloudTrail ------------------------------------------------------------------------------


def render_trail(report: TrailReport, timezone: str) -> Message:
    tz = ZoneInfo(timezone)
    where, span = ", ".join(report.envs), _span(report.since)
    event = escape(report.event)
    count = f"{report.failed} failed of {report.read}"
    summary = f"CloudTrail {report.event} in {where}, last {span}: {count}"
    blocks: list[Block] = [section(_trail_head(report, where, span, event))]
    failed = [e for e in report.events if e.failed]
    shown_failed = failed[:MAX_FAILED_EVENTS_SHOWN]
    blocks += [section(_failed_event_text(e, report.checked_at, tz)) for e in shown_failed]
    succeeded = [e for e in report.events if not e.failed]
    if succeeded:
        lines = [_event_line(e, tz) for e in succeeded[:MAX_OK_EVENTS_SHOWN]]
        blocks.append(section(f"*Succeeded* (newest first)\n{code_block(lines)}"))
    hidden = len(failed) - len(shown_failed) + max(0, len(succeeded) - MAX_OK_EVENTS_SHOWN)
    if hidden > 0:
        hint = "narrow `--since`" + ("" if report.errors_only else " or add `--errors`")
        blocks.append(context(f"… {hidden} more not shown: {hint}."))
    blocks += [
        context(
            f"{env}: read the newest {MAX_EVENTS} events only; older ones in the window "
            "were not checked — narrow `--since`."
        )
        for env in report.capped
    ]
    blocks += _failure_blocks(report.failures, "its events are not shown")
    blocks.append(context(f"Checked {_clock(report.checked_at, tz)} · failed calls first"))
    return Message(text=summary, blocks=tuple(blocks))


def _trail_head(report: TrailReport, where: str, span: str, event: str) -> str:
    if report.read == 0 and not report.failures:
        return f":white_circle: No `{event}` calls in {where} in the last {span}."
    if report.errors_only and report.failed == 0:
        return (
            f":large_green_circle: No failed `{event}` in {where} in the last {span} "
            f"({report.read} read)."
        )
    icon = ":x:" if report.failed else ":warning:" if report.failures else ":large_green_circle:"
    return (
        f"{icon} *CloudTrail `{event}`* in {where} · last {span} — "
        f"*{report.failed} failed* of {report.read}"
    )


def _failed_event_text(event: TrailEvent, now: datetime, tz: ZoneInfo) -> str:
    lines = [
        f":x: *{escape(event.error_code)}* · `{event.env}` · {escape(event.name)} · "
        f"{_when(event.time, now, tz)}"
    ]
    who = [f"by `{escape(event.principal)}`" if event.principal else "by an unknown caller"]
    if event.source_identity:
        who.append(f"source identity `{escape(event.source_identity)}`")
    if event.source_ip:
        who.append(f"from {escape(event.source_ip)}")
    lines.append(" · ".join(who))
    if event.target_role:
        lines.append(f"role asked for: `{escape(event.target_role)}`")
    if event.error_message:
        lines.append("> " + clip(escape(event.error_message), 400))
    return "\n".join(lines)


def _event_line(event: TrailEvent, tz: ZoneInfo) -> str:
    who = event.principal.split(":", 5)[-1] if event.principal else "?"
    line = f"{_stamp(event.time, tz)}  {event.env}  {who}"
    if event.target_role:
        line += f" → {event.target_role.rsplit('/', 1)[-1]}"
    if event.source_identity:
        line += f" ({event.source_identity})"
    return escape(line)


# -- Logs Insights ---------------------------------------------------------------------------


def render_search(result: LogSearch, timezone: str) -> Message:
    tz = ZoneInfo(timezone)
    text = _quoted(result.text)
    scope = [f"last {_span(result.since)}"]
    scope += [f"level {result.level}"] if result.level else []
    scope += [f"env {result.env}"] if result.env and result.service != "preview" else []
    matching = f" matching {text}" if result.text else ""
    where = f"`{escape(result.log_group)}`{matching} · {' · '.join(scope)}"
    count = len(result.lines)
    summary = f"{count} log lines in {result.log_group}"
    if not result.lines:
        head = f":white_circle: No line in {where} ({result.scanned:,} scanned)."
    else:
        head = (
            f":mag: {where} — *{count} line{'s' if count != 1 else ''}* "
            f"({result.matched:,} matched, {result.scanned:,} scanned)"
        )
    blocks: list[Block] = [section(head)]
    if result.lines:
        shown = [_log_line(line, tz) for line in result.lines[:MAX_LOG_LINES_SHOWN]]
        blocks.append(section(code_block(shown)))
    blocks += [context(note) for note in _search_notes(result, tz)]
    files: tuple[tuple[str, str], ...] = ()
    if count > MAX_LOG_LINES_SHOWN:
        files = ((f"search-{result.service}.log", _log_file(result.lines, tz)),)
    return Message(text=summary, blocks=tuple(blocks), files=files)


def _search_notes(result: LogSearch, tz: ZoneInfo) -> list[str]:
    notes = []
    if len(result.lines) > MAX_LOG_LINES_SHOWN:
        notes.append(
            f"Showing the newest {MAX_LOG_LINES_SHOWN} of {len(result.lines)}; "
            "all of them are in the attached file."
        )
    if len(result.lines) >= result.limit:
        notes.append(
            f"Stopped at the limit of {result.limit} lines: raise `--limit` or narrow the search."
        )
    if not result.complete:
        notes.append(
            ":hourglass_flowing_sand: The query had not finished in time, so I stopped "
            "it; these are the lines that had arrived. Narrow `--since` or the text."
        )
    zone = next((line.time.astimezone(tz).tzname() for line in result.lines if line.time), None)
    notes.append(
        "Logs Insights in int (central observability) · newest first"
        + (f" · times in {zone}" if zone else "")
    )
    return notes


def _log_line(line: LogLine, tz: ZoneInfo) -> str:
    parts = [_stamp(line.time, tz, seconds=True), f"{line.level or '-':5}"]
    parts += [x for x in (line.env, line.issue_key, line.workflow_type) if x]
    if line.duration_ms is not None:
        parts.append(_duration(line.duration_ms))
    parts.append(clip(line.msg, MAX_MSG_SHOWN))
    return escape(" ".join(parts))


def _log_file(lines: Sequence[LogLine], tz: ZoneInfo) -> str:
    rows = []
    for line in lines:
        moment = line.time.astimezone(tz).isoformat(timespec="milliseconds") if line.time else "-"
        fields = (
            moment,
            line.level,
            line.env,
            line.issue_key,
            line.workflow_type,
            "" if line.duration_ms is None else f"{line.duration_ms}ms",
            line.msg,
        )
        rows.append("\t".join(f or "-" for f in fields))
    return "\n".join(rows) + "\n"


# -- shared ----------------------------------------------------------------------------------


def _failure_blocks(failures: Sequence[Failed], consequence: str) -> list[Block]:
    return [
        section(f":warning: *{escape(f.backend)}*: {escape(f.reason)} — {consequence}.")
        for f in failures
    ]


def _quoted(text: str) -> str:
    """User text shown back inside `code`: no backticks, mrkdwn-escaped, short."""
    shown = clip(text.replace("`", "'"), 80)
    return f"`{escape(shown)}`"


def _stamp(moment: datetime | None, tz: ZoneInfo, *, seconds: bool = False) -> str:
    if moment is None:
        return "--"
    return moment.astimezone(tz).strftime("%m-%d %H:%M:%S" if seconds else "%m-%d %H:%M")


def _clock(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _when(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    return f"{_stamp(moment, tz)} ({_ago(now - moment)})"


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "just now"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return f"{days}d {hours % 24}h ago"
    if hours:
        return f"{hours}h {minutes % 60}m ago"
    return f"{minutes}m ago"


def _span(delta: timedelta) -> str:
    """As typed: 30m, 1h, 24h, 7d (whole days from 2 days up)."""
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400}d"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _duration(ms: int) -> str:
    return f"{ms}ms" if ms < 1000 else f"{ms / 1000:.1f}s"

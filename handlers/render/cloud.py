"""Alarms, CloudTrail lookups and Logs Insights searches as Slack messages."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.answer_buttons import alarm_section
from handlers.render.message import Message, clip, code_block, context, escape, section, simple
from ops.alarms import Alarm, AlarmReport
from ops.cloudtrail import MAX_EVENTS, TrailEvent, TrailReport
from ops.cloudtrail_changes import ChangesReport, DeployerWrite
from ops.errors import BackendUnavailable
from ops.fanout import Failed
from ops.logs import ALL, QUERY_ENV, LogFilters, LogLine, LogSearch, short_group

MAX_ALARMS_SHOWN = 30
MAX_FAILED_EVENTS_SHOWN = 15
MAX_OK_EVENTS_SHOWN = 25
MAX_LOG_LINES_SHOWN = 20
MAX_MSG_SHOWN = 160
MAX_CHANGES_SHOWN = 40
_SECTION_CHARS = 2800  # a section's text is at most 3000 characters
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


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


# -- CloudTrail: changes through the deployer role ---------------------------------------


def render_trail_changes(report: ChangesReport, timezone: str) -> Message:
    """`/rtb trail <env> --changes`: the deployer's write calls, newest first, at most
    MAX_CHANGES_SHOWN ("N of M" beyond), with the window each account was really read."""
    tz = ZoneInfo(timezone)
    where = ", ".join(report.envs)
    shown = report.changes[:MAX_CHANGES_SHOWN]
    blocks: list[Block] = [section(_changes_head(report, where))]
    blocks.append(context(_changes_window(report, tz)))
    lines = [_change_line(w, tz) for w in shown]
    blocks += [section(chunk) for chunk in _chunks(lines)]
    if len(shown) < len(report.changes):
        blocks.append(
            context(
                f"{len(shown)} of {len(report.changes)} shown, newest first: narrow `--since` "
                "or name one env for the older ones."
            )
        )
    blocks += [
        context(
            f"{capped.env}: read back to {_clock(capped.oldest, tz)} only (its newest "
            f"{MAX_EVENTS} write calls); older changes in the window were not checked — "
            "narrow `--since`."
        )
        for capped in report.capped
    ]
    blocks += _failure_blocks(report.failures, "its changes are not shown")
    blocks.append(
        context(
            "CloudTrail write calls (`ReadOnly=false`) made by deployer-role sessions · "
            "Kubernetes changes are not in CloudTrail: `/rtb audit` has every change the bot made"
        )
    )
    failed = sum(1 for w in report.changes if w.event.failed)
    summary = f"{len(report.changes)} changes through the deployer role in {where}"
    summary += f", {failed} failed" if failed else ""
    return Message(text=summary, blocks=tuple(blocks[:50]))


def _changes_head(report: ChangesReport, where: str) -> str:
    if report.changes:
        failed = sum(1 for w in report.changes if w.event.failed)
        noun = "failed write call" if report.errors_only else "write call"
        count = f"*{len(report.changes)} {noun}{'s' if len(report.changes) != 1 else ''}*"
        tail = f", {failed} failed" if failed and not report.errors_only else ""
        icon = ":x:" if failed else ":pencil2:"
        return f"{icon} *Changes through the deployer role* in {where} — {count}{tail}"
    if report.failures and not report.read:
        return f":warning: No change found in the accounts that answered ({where})."
    what = "failed change" if report.errors_only else "change"
    others = f" ({report.read} write calls read, none by a deployer session)" if report.read else ""
    if report.capped:  # a busy account's newest write calls may cover minutes of the window
        partial = ", ".join(f"{r.env} read back to its newest {MAX_EVENTS}" for r in report.capped)
        others += f"; not the whole window: {partial} (below)"
    return f":white_circle: No {what} through the deployer role in {where}{others}."


def _changes_window(report: ChangesReport, tz: ZoneInfo) -> str:
    span = _span(report.end - report.start)
    window = f"{_clock(report.start, tz)} – {_clock(report.end, tz)} (last {span})"
    return f"Window: {window} · newest first"


def _change_line(write: DeployerWrite, tz: ZoneInfo) -> str:
    event = write.event
    call = f"{event.source.split('.')[0]}:{event.name}" if event.source else event.name
    parts = [_stamp(event.time, tz), f"*{event.env}*", f"`{escape(call)}`"]
    if event.resources:
        parts.append(f"`{escape(clip(event.resources[0], 120))}`")
    parts.append(_who(write))
    result = f":x: {escape(event.error_code)}" if event.failed else "ok"
    return "• " + " · ".join(parts) + f" → {result}"


def _who(write: DeployerWrite) -> str:
    """The Slack user behind the session (its SourceIdentity), as a mention when it is one."""
    identity = write.event.source_identity
    if _SLACK_USER.match(identity):
        who = f"<@{identity}>"
    elif identity:
        who = f"`{escape(identity)}`"
    else:
        who = f"no Slack user (session `{escape(clip(write.session, 64))}`)"
    approver = write.approver
    if approver:
        who += f", approved by <@{approver}>" if _SLACK_USER.match(approver) else f" ({approver})"
    return who


def _chunks(lines: Sequence[str]) -> list[str]:
    chunks, current = [], ""
    for line in lines:
        if current and len(current) + len(line) > _SECTION_CHARS:
            chunks.append(current.rstrip("\n"))
            current = ""
        current += line + "\n"
    return [*chunks, current.rstrip("\n")] if current else chunks


# -- Logs Insights ---------------------------------------------------------------------------


def render_search(result: LogSearch, timezone: str) -> Message:
    """Header: where (the env's groups; through OAM unless int), the filters, the window;
    then the lines, newest first, each with its log group when several were searched."""
    tz = ZoneInfo(timezone)
    where = _search_where(result)
    terms = " · ".join([*_filter_terms(result.filters), f"last {_span(result.since)}"])
    count = len(result.lines)
    summary = f"{count} log lines in {_plain_where(result)}"
    if not result.lines:
        head = f":white_circle: No line in {where} · {terms} ({result.scanned:,} scanned)."
    else:
        head = (
            f":mag: {where} · {terms} — *{count} line{'s' if count != 1 else ''}* "
            f"({result.matched:,} matched, {result.scanned:,} scanned)"
        )
    blocks: list[Block] = [section(head)]
    several = len(result.log_groups) > 1
    if result.lines:
        shown = [_log_line(line, tz, several) for line in result.lines[:MAX_LOG_LINES_SHOWN]]
        blocks.append(section(code_block(shown)))
    blocks += [context(note) for note in _search_notes(result, tz)]
    files: tuple[tuple[str, str], ...] = ()
    if count > MAX_LOG_LINES_SHOWN:
        files = ((f"search-{result.service}.log", _log_file(result.lines, tz, several)),)
    return Message(text=summary, blocks=tuple(blocks), files=files)


def render_search_unreadable(error: BackendUnavailable, env: str) -> Message:
    """Another env's groups could not be searched: the same words as any backend that does
    not answer, and where to look (int reads them only through the OAM link)."""
    return simple(
        f":warning: *{escape(error.backend)}* is not answering: {escape(error.reason)}. "
        f"{env}'s log groups are read from int through the CloudWatch OAM link: `/rtb ping` "
        f"says whether {env}'s link reaches int.",
        ephemeral=True,
    )


def _search_where(result: LogSearch) -> str:
    if result.service == ALL:
        names = ", ".join(short_group(g) for g in result.log_groups)
        return f"all {len(result.log_groups)} log groups of *{result.env}* ({escape(names)})"
    return f"`{escape(result.log_groups[0])}` of *{result.env}*"


def _plain_where(result: LogSearch) -> str:
    if result.service == ALL:
        return f"all {len(result.log_groups)} log groups of {result.env}"
    return f"{result.log_groups[0]} of {result.env}"


def _filter_terms(filters: LogFilters) -> list[str]:
    terms = [f"matching {_quoted(filters.text)}"] if filters.text else []
    terms += [f"level {filters.level}"] if filters.level else []
    named = (("issue", filters.issue), ("type", filters.workflow_type))
    terms += [f"{name} {_quoted(value)}" for name, value in named if value]
    terms += [f"service {_quoted(filters.service)}"] if filters.service else []
    if filters.min_duration_ms is not None:
        terms.append(f"took ≥ {_as_typed(filters.min_duration_ms)}")
    return terms


def _search_notes(result: LogSearch, tz: ZoneInfo) -> list[str]:
    notes = []
    if not result.lines and result.filters.text:
        notes.append(
            "The text is looked for in the message (`msg`) only, any case. Every line with "
            f"the other filters: `{_search_command(result, text='')}`"
        )
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
    source = (
        "Logs Insights in int (central observability)"
        if result.env == QUERY_ENV
        else f"Logs Insights in int over {result.env}'s log groups (CloudWatch OAM link)"
    )
    notes.append(source + " · newest first" + (f" · times in {zone}" if zone else ""))
    return notes


def _search_command(result: LogSearch, *, text: str) -> str:
    """The same search as a command (`text` instead of the one searched), as typed."""
    f = result.filters
    words = ["/rtb search", result.service]
    words += [_shell_word(text)] if text else []
    options = (
        ("env", None if result.env == QUERY_ENV else result.env),
        ("level", f.level),
        ("issue", f.issue),
        ("type", f.workflow_type),
        ("service", f.service),
        ("min-duration", None if f.min_duration_ms is None else _as_typed(f.min_duration_ms)),
        ("since", _span(result.since)),
    )
    words += [f"--{name} {_shell_word(value)}" for name, value in options if value]
    return escape(" ".join(words).replace("`", "'"))


def _shell_word(text: str) -> str:
    return shlex.quote(text)


def _as_typed(ms: int) -> str:
    """30000 → 30s, 120000 → 2m, 1500 → 1500ms (what `--min-duration` takes)."""
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _log_line(line: LogLine, tz: ZoneInfo, with_group: bool = False) -> str:
    parts = [_stamp(line.time, tz, seconds=True), f"{line.level or '-':5}"]
    parts += [short_group(line.log_group) or "-"] if with_group else []
    parts += [x for x in (line.env, line.issue_key, line.workflow_type) if x]
    if line.duration_ms is not None:
        parts.append(_duration(line.duration_ms))
    parts.append(clip(line.msg, MAX_MSG_SHOWN))
    return escape(" ".join(parts))


def _log_file(lines: Sequence[LogLine], tz: ZoneInfo, with_group: bool = False) -> str:
    rows = []
    for line in lines:
        moment = line.time.astimezone(tz).isoformat(timespec="milliseconds") if line.time else "-"
        fields = (
            moment,
            *([short_group(line.log_group)] if with_group else []),
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

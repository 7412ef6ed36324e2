"""`/rtb search`: a Logs Insights search, newest line first, each with its log group when
several were searched; more lines than fit go up as a file."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.cloud_format import quoted, span, stamp
from handlers.render.failures import failure_text
from handlers.render.i18n import _, ngettext, number
from handlers.render.message import Message, clip, code_block, context, escape, section, simple
from ops.errors import BackendError
from ops.logs import ALL, QUERY_ENV, LogFilters, LogLine, LogSearch, short_group

MAX_LOG_LINES_SHOWN = 20
MAX_MSG_SHOWN = 160


def render_search(result: LogSearch, timezone: str) -> Message:
    """Header: where (the env's groups; through OAM unless int), the filters, the window;
    then the lines, newest first, each with its log group when several were searched."""
    tz = ZoneInfo(timezone)
    where = _search_where(result)
    last = _("last {span}", span=span(result.since))
    terms = " · ".join([*_filter_terms(result.filters), last])
    count = len(result.lines)
    summary = _("{count} log lines in {where}", count=count, where=_plain_where(result))
    scanned, matched = number(result.scanned), number(result.matched)
    if not result.lines:
        head = _(
            ":white_circle: No line in {where} · {terms} ({scanned} scanned).",
            where=where,
            terms=terms,
            scanned=scanned,
        )
    else:
        lines = ngettext("*{n} line*", "*{n} lines*", count)
        head = _(
            ":mag: {where} · {terms} — {lines} ({matched} matched, {scanned} scanned)",
            where=where,
            terms=terms,
            lines=lines,
            matched=matched,
            scanned=scanned,
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


def render_search_unreadable(error: BackendError, env: str) -> Message:
    """Another env's groups could not be searched: the same words as any backend that does
    not answer, and where to look (int reads them only through the OAM link)."""
    return simple(
        _(
            ":warning: *{backend}* is not answering: {reason}. {env}'s log groups are read "
            "from int through the CloudWatch OAM link: `/rtb ping` says whether {env}'s link "
            "reaches int.",
            backend=escape(error.backend),
            reason=escape(failure_text(error)),
            env=env,
        ),
        ephemeral=True,
    )


def _search_where(result: LogSearch) -> str:
    if result.service == ALL:
        names = ", ".join(short_group(g) for g in result.log_groups)
        return _(
            "all {count} log groups of *{env}* ({names})",
            count=len(result.log_groups),
            env=result.env,
            names=escape(names),
        )
    return _("`{group}` of *{env}*", group=escape(result.log_groups[0]), env=result.env)


def _plain_where(result: LogSearch) -> str:
    if result.service == ALL:
        return _("all {count} log groups of {env}", count=len(result.log_groups), env=result.env)
    return _("{group} of {env}", group=result.log_groups[0], env=result.env)


def _filter_terms(filters: LogFilters) -> list[str]:
    terms = [_("matching {text}", text=quoted(filters.text))] if filters.text else []
    terms += [_("level {level}", level=filters.level)] if filters.level else []
    terms += [_("issue {issue}", issue=quoted(filters.issue))] if filters.issue else []
    if filters.workflow_type:
        terms.append(_("type {type}", type=quoted(filters.workflow_type)))
    terms += [_("service {service}", service=quoted(filters.service))] if filters.service else []
    if filters.min_duration_ms is not None:
        terms.append(_("took ≥ {duration}", duration=_as_typed(filters.min_duration_ms)))
    return terms


def _search_notes(result: LogSearch, tz: ZoneInfo) -> list[str]:
    notes = []
    if not result.lines and result.filters.text:
        notes.append(
            _(
                "The text is looked for in the message (`msg`) only, any case. Every line "
                "with the other filters: `{command}`",
                command=_search_command(result, text=""),
            )
        )
    if len(result.lines) > MAX_LOG_LINES_SHOWN:
        notes.append(
            _(
                "Showing the newest {shown} of {total}; all of them are in the attached file.",
                shown=MAX_LOG_LINES_SHOWN,
                total=len(result.lines),
            )
        )
    if len(result.lines) >= result.limit:
        notes.append(
            _(
                "Stopped at the limit of {limit} lines: raise `--limit` or narrow the search.",
                limit=result.limit,
            )
        )
    if not result.complete:
        notes.append(
            _(
                ":hourglass_flowing_sand: The query had not finished in time, so I stopped "
                "it; these are the lines that had arrived. Narrow `--since` or the text."
            )
        )
    notes.append(_source_note(result, tz))
    return notes


def _source_note(result: LogSearch, tz: ZoneInfo) -> str:
    zone = next((line.time.astimezone(tz).tzname() for line in result.lines if line.time), None)
    source = (
        _("Logs Insights in int (central observability)")
        if result.env == QUERY_ENV
        else _("Logs Insights in int over {env}'s log groups (CloudWatch OAM link)", env=result.env)
    )
    if zone:
        return _("{source} · newest first · times in {zone}", source=source, zone=zone)
    return _("{source} · newest first", source=source)


def _search_command(result: LogSearch, *, text: str) -> str:
    """The same search as a command (`text` instead of the one searched), as typed."""
    f = result.filters
    words = ["/rtb search", result.service]  # internal: a command as typed
    words += [shlex.quote(text)] if text else []
    options = (
        ("env", None if result.env == QUERY_ENV else result.env),
        ("level", f.level),
        ("issue", f.issue),
        ("type", f.workflow_type),
        ("service", f.service),
        ("min-duration", None if f.min_duration_ms is None else _as_typed(f.min_duration_ms)),
        ("since", span(result.since)),
    )
    words += [f"--{name} {shlex.quote(value)}" for name, value in options if value]
    return escape(" ".join(words).replace("`", "'"))


def _as_typed(ms: int) -> str:
    """30000 → 30s, 120000 → 2m, 1500 → 1500ms (what `--min-duration` takes)."""
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _log_line(line: LogLine, tz: ZoneInfo, with_group: bool = False) -> str:
    parts = [stamp(line.time, tz, seconds=True), f"{line.level or '-':5}"]
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


def _duration(ms: int) -> str:
    return f"{ms}ms" if ms < 1000 else f"{ms / 1000:.1f}s"

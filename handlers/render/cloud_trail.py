"""`/rtb trail`: CloudTrail lookups of one event name, failed calls first, and `--changes`,
the write calls made through the deployer role."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.cloud_format import clock, failure_blocks, span, stamp, when
from handlers.render.i18n import _, ngettext
from handlers.render.message import Message, clip, code_block, context, escape, section
from ops.cloudtrail import MAX_EVENTS, TrailEvent, TrailReport
from ops.cloudtrail_changes import ChangesReport, DeployerWrite

MAX_FAILED_EVENTS_SHOWN = 15
MAX_OK_EVENTS_SHOWN = 25
MAX_CHANGES_SHOWN = 40
_SECTION_CHARS = 2800  # a section's text is at most 3000 characters
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def render_trail(report: TrailReport, timezone: str) -> Message:
    tz = ZoneInfo(timezone)
    where, since = ", ".join(report.envs), span(report.since)
    summary = _(
        "CloudTrail {event} in {where}, last {span}: {failed} failed of {read}",
        event=report.event,
        where=where,
        span=since,
        failed=report.failed,
        read=report.read,
    )
    blocks: list[Block] = [section(_trail_head(report, where, since, escape(report.event)))]
    failed = [e for e in report.events if e.failed]
    shown_failed = failed[:MAX_FAILED_EVENTS_SHOWN]
    blocks += [section(_failed_event_text(e, report.checked_at, tz)) for e in shown_failed]
    succeeded = [e for e in report.events if not e.failed]
    if succeeded:
        lines = [_event_line(e, tz) for e in succeeded[:MAX_OK_EVENTS_SHOWN]]
        blocks.append(section(_("*Succeeded* (newest first)") + "\n" + code_block(lines)))
    hidden = len(failed) - len(shown_failed) + max(0, len(succeeded) - MAX_OK_EVENTS_SHOWN)
    blocks += [context(note) for note in _trail_notes(report, hidden)]
    blocks += failure_blocks(report.failures, _("its events are not shown"))
    blocks.append(
        context(_("Checked {time} · failed calls first", time=clock(report.checked_at, tz)))
    )
    return Message(text=summary, blocks=tuple(blocks))


def _trail_notes(report: TrailReport, hidden: int) -> list[str]:
    """How many were left out and how to see them; each account read only partly."""
    notes = []
    if hidden > 0 and report.errors_only:
        notes.append(_("… {hidden} more not shown: narrow `--since`.", hidden=hidden))
    elif hidden > 0:
        notes.append(
            _("… {hidden} more not shown: narrow `--since` or add `--errors`.", hidden=hidden)
        )
    return notes + [
        _(
            "{env}: read the newest {max} events only; older ones in the window "
            "were not checked — narrow `--since`.",
            env=env,
            max=MAX_EVENTS,
        )
        for env in report.capped
    ]


def _trail_head(report: TrailReport, where: str, since: str, event: str) -> str:
    words = {"event": event, "where": where, "span": since, "read": report.read}
    if report.read == 0 and not report.failures:
        return _(":white_circle: No `{event}` calls in {where} in the last {span}.", **words)
    if report.errors_only and report.failed == 0:
        return _(
            ":large_green_circle: No failed `{event}` in {where} in the last {span} ({read} read).",
            **words,
        )
    icon = ":x:" if report.failed else ":warning:" if report.failures else ":large_green_circle:"
    return (
        icon
        + " "
        + _(
            "*CloudTrail `{event}`* in {where} · last {span} — *{failed} failed* of {read}",
            failed=report.failed,
            **words,
        )
    )


def _failed_event_text(event: TrailEvent, now: datetime, tz: ZoneInfo) -> str:
    lines = [
        f":x: *{escape(event.error_code)}* · `{event.env}` · {escape(event.name)} · "
        f"{when(event.time, now, tz)}"
    ]
    who = [
        _("by `{principal}`", principal=escape(event.principal))
        if event.principal
        else _("by an unknown caller")
    ]
    if event.source_identity:
        who.append(_("source identity `{identity}`", identity=escape(event.source_identity)))
    if event.source_ip:
        who.append(_("from {ip}", ip=escape(event.source_ip)))
    lines.append(" · ".join(who))
    if event.target_role:
        lines.append(_("role asked for: `{role}`", role=escape(event.target_role)))
    if event.error_message:
        lines.append("> " + clip(escape(event.error_message), 400))
    return "\n".join(lines)


def _event_line(event: TrailEvent, tz: ZoneInfo) -> str:
    who = event.principal.split(":", 5)[-1] if event.principal else "?"
    line = f"{stamp(event.time, tz)}  {event.env}  {who}"
    if event.target_role:
        line += f" → {event.target_role.rsplit('/', 1)[-1]}"
    if event.source_identity:
        line += f" ({event.source_identity})"
    return escape(line)


# -- changes through the deployer role ------------------------------------------------------


def render_trail_changes(report: ChangesReport, timezone: str) -> Message:
    """`/rtb trail <env> --changes`: the deployer's write calls, newest first, at most
    MAX_CHANGES_SHOWN ("N of M" beyond), with the window each account was really read."""
    tz = ZoneInfo(timezone)
    where = ", ".join(report.envs)
    shown = report.changes[:MAX_CHANGES_SHOWN]
    blocks: list[Block] = [section(_changes_head(report, where))]
    blocks.append(context(_changes_window(report, tz)))
    blocks += [section(chunk) for chunk in _chunks([_change_line(w, tz) for w in shown])]
    blocks += [context(note) for note in _changes_notes(report, tz, shown=len(shown))]
    blocks += failure_blocks(report.failures, _("its changes are not shown"))
    blocks.append(
        context(
            _(
                "CloudTrail write calls (`ReadOnly=false`) made by deployer-role sessions · "
                "Kubernetes changes are not in CloudTrail: `/rtb audit` has every change the "
                "bot made"
            )
        )
    )
    failed = sum(1 for w in report.changes if w.event.failed)
    words = {"count": len(report.changes), "where": where, "failed": failed}
    summary = (
        _("{count} changes through the deployer role in {where}, {failed} failed", **words)
        if failed
        else _("{count} changes through the deployer role in {where}", **words)
    )
    return Message(text=summary, blocks=tuple(blocks[:50]))


def _changes_notes(report: ChangesReport, tz: ZoneInfo, *, shown: int) -> list[str]:
    """N of M when capped, and each account read back only to its newest MAX_EVENTS."""
    notes = []
    if shown < len(report.changes):
        notes.append(
            _(
                "{shown} of {total} shown, newest first: narrow `--since` "
                "or name one env for the older ones.",
                shown=shown,
                total=len(report.changes),
            )
        )
    return notes + [
        _(
            "{env}: read back to {oldest} only (its newest {max} write calls); older "
            "changes in the window were not checked — narrow `--since`.",
            env=capped.env,
            oldest=clock(capped.oldest, tz),
            max=MAX_EVENTS,
        )
        for capped in report.capped
    ]


def _changes_head(report: ChangesReport, where: str) -> str:
    if report.changes:
        return _changes_count_head(report, where)
    if report.failures and not report.read:
        return _(":warning: No change found in the accounts that answered ({where}).", where=where)
    head = (
        _("No failed change through the deployer role in {where}", where=where)
        if report.errors_only
        else _("No change through the deployer role in {where}", where=where)
    )
    if report.read:
        head = _(
            "{head} ({read} write calls read, none by a deployer session)",
            head=head,
            read=report.read,
        )
    if report.capped:  # a busy account's newest write calls may cover minutes of the window
        partial = ", ".join(
            _("{env} read back to its newest {max}", env=r.env, max=MAX_EVENTS)
            for r in report.capped
        )
        head = _("{head}; not the whole window: {partial} (below)", head=head, partial=partial)
    return f":white_circle: {head}."


def _changes_count_head(report: ChangesReport, where: str) -> str:
    count, failed = len(report.changes), sum(1 for w in report.changes if w.event.failed)
    icon = ":x:" if failed else ":pencil2:"
    if report.errors_only:
        counted = ngettext("*{n} failed write call*", "*{n} failed write calls*", count)
    else:
        counted = ngettext("*{n} write call*", "*{n} write calls*", count)
    head = _("*Changes through the deployer role* in {where} — {count}", where=where, count=counted)
    if failed and not report.errors_only:
        head = _("{head}, {failed} failed", head=head, failed=failed)
    return f"{icon} {head}"


def _changes_window(report: ChangesReport, tz: ZoneInfo) -> str:
    return _(
        "Window: {start} – {end} (last {span}) · newest first",
        start=clock(report.start, tz),
        end=clock(report.end, tz),
        span=span(report.end - report.start),
    )


def _change_line(write: DeployerWrite, tz: ZoneInfo) -> str:
    event = write.event
    call = f"{event.source.split('.')[0]}:{event.name}" if event.source else event.name
    parts = [stamp(event.time, tz), f"*{event.env}*", f"`{escape(call)}`"]
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
        session = escape(clip(write.session, 64))
        who = _("no Slack user (session `{session}`)", session=session)
    approver = write.approver
    if approver and _SLACK_USER.match(approver):
        who = _("{who}, approved by <@{approver}>", who=who, approver=approver)
    elif approver:
        who += f" ({approver})"
    return who


def _chunks(lines: Sequence[str]) -> list[str]:
    chunks, current = [], ""
    for line in lines:
        if current and len(current) + len(line) > _SECTION_CHARS:
            chunks.append(current.rstrip("\n"))
            current = ""
        current += line + "\n"
    return [*chunks, current.rstrip("\n")] if current else chunks

"""`/rtb incident <id> export`: the post-mortem draft (runbook §5.1 step 5) as Markdown.

A draft, not a report: what the bot knows (the alarm, the timeline, the CloudTrail write calls
in the incident's env during its window) with headings left for what only people know (impact,
root cause, follow-ups). Every number and name comes from the incident's record; the trail part
says plainly when it could not be read or was cut short, never an empty list that looks clean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.render.i18n import _
from handlers.render.incident_timeline import duration_text, event_line, when
from ops.cloudtrail import TrailEvent
from ops.incidents import Incident, IncidentEvent

MAX_TRAIL_ROWS = 200
_SLACK_MENTION_PREFIX = "<@"


@dataclass(frozen=True)
class TrailWindow:
    """The write calls of the incident's window in its env, as the export read them."""

    start: datetime
    end: datetime
    events: tuple[TrailEvent, ...]  # newest first
    complete: bool  # False: more calls than were read
    unread: str | None = None  # why they could not be read (None: read)


def postmortem_filename(incident: Incident) -> str:
    return f"postmortem-{incident.id}.md"


def render_postmortem(
    incident: Incident,
    events: Sequence[IncidentEvent],
    trail: TrailWindow,
    now: datetime,
    tz: ZoneInfo,
) -> str:
    where = incident.env or incident.account
    parts = [
        _("# Post-mortem draft: {id} — {alarm}", id=incident.id, alarm=incident.alarm_name),
        "",
        *_summary(incident, now, tz),
        "",
        _("## Timeline"),
        "",
        *(f"- {when(e.at, tz)} — {_plain(event_line(e))}" for e in events),
        "",
        _("## Changes in {where} (CloudTrail write calls)", where=where),
        "",
        *_trail(trail, tz),
        "",
        _("## Impact"),
        "",
        _("_To fill in: who or what was affected, for how long._"),
        "",
        _("## Root cause"),
        "",
        _("_To fill in._"),
        "",
        _("## Follow-ups"),
        "",
        "- [ ] " + _("_To fill in._"),
        "",
        _("_Drafted by rtb-ops-bot at {when} ({timezone})._", when=when(now, tz), timezone=tz.key),
        "",
    ]
    return "\n".join(parts)


def _summary(incident: Incident, now: datetime, tz: ZoneInfo) -> list[str]:
    change = incident.change
    end = incident.resolved_at
    lasted = duration_text((end or now) - incident.opened_at)
    last = when(incident.last_seen_at, tz)
    lines = [
        _(
            "- **Alarm**: `{alarm}` in **{env}** (account {account}, {region})",
            alarm=incident.alarm_name,
            env=incident.env or _("unknown env"),
            account=incident.account,
            region=incident.region,
        ),
        _("- **Opened**: {when}", when=when(incident.opened_at, tz)),
        _("- **Resolved**: {when} (after {lasted})", when=when(end, tz), lasted=lasted)
        if end
        else _("- **Still open** after {lasted}", lasted=lasted),
        _(
            "- **Notifications**: {count} (the last at {when})",
            count=incident.repeat_count + 1,
            when=last,
        ),
    ]
    if incident.acknowledged_by and incident.acknowledged_at:
        ack = when(incident.acknowledged_at, tz)
        who = _person(incident.acknowledged_by)
        lines.append(_("- **Acknowledged**: by {who} at {when}", who=who, when=ack))
    if change.threshold is not None and change.comparison:
        condition = f"{change.comparison} {change.threshold:g}"
        lines.append(_("- **Condition**: {condition}", condition=condition))
    if change.description:
        description = _plain(change.description)
        lines.append(_("- **Description**: {description}", description=description))
    return lines


def _trail(trail: TrailWindow, tz: ZoneInfo) -> list[str]:
    window = f"{when(trail.start, tz)} – {when(trail.end, tz)}"
    if trail.unread is not None:
        reason = _plain(trail.unread)
        return [_("_Could not be read ({reason}) for {window}._", reason=reason, window=window)]
    if not trail.events:
        return [_("_No write call recorded for {window}._", window=window)]
    rows = [
        _("| time | call | by | Slack user | result |"),
        "|---|---|---|---|---|",
        *(_trail_row(e, tz) for e in trail.events[:MAX_TRAIL_ROWS]),
    ]
    if not trail.complete or len(trail.events) > MAX_TRAIL_ROWS:
        more = _("_More calls than shown in {window}: look in CloudTrail itself._", window=window)
        rows += ["", more]
    count = _("{count} calls in {window}, newest first:", count=len(trail.events), window=window)
    return [count, "", *rows]


def _trail_row(event: TrailEvent, tz: ZoneInfo) -> str:
    cells = (
        when(event.time, tz),
        f"{event.source.split('.')[0]}:{event.name}",
        event.principal.rsplit("/", 1)[-1] or "?",
        event.source_identity or "–",
        event.error_code or "ok",
    )
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    return _plain(text).replace("|", "\\|")


def _person(user: str) -> str:
    return f"<@{user}>"


def _plain(text: str) -> str:
    """Slack mrkdwn (escaped entities, `<@U…>` kept) into Markdown text on one line."""
    unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(unescaped.split())


def window_of(incident: Incident, now: datetime, margin: timedelta) -> tuple[datetime, datetime]:
    """From `margin` before it opened (the change that caused it) to its end (or now)."""
    return incident.opened_at - margin, (incident.resolved_at or now)

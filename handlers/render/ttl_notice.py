"""The preview TTL notice, in Slack (Block Kit) and in Jira (Atlassian Document Format).

Pure functions of the notice's facts. The buttons carry only what names the preview and the
expiry the notice is about (`env|namespace|expires-at`); whoever clicks asks for the change
and the policy gate decides for them, as for a typed command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.render.message import Message, button, buttons, context, escape, section
from ops.timestamps import parse_time
from ops.ttl_notice import ExpiringPreview, JiraComment

EXTEND_ACTION = "ttl.extend"
DELETE_ACTION = "ttl.delete"
VALUE_SEPARATOR = "|"
BUTTONS_BLOCK = "ttl_notice"


@dataclass(frozen=True)
class Delivery:
    """Where the notice goes: the owner's DM, or the alerts channel (and why not the owner)."""

    channel: str
    owner: str | None = None  # DM'd to this Slack member
    owner_not_found: str | None = None  # the owner label named someone Slack does not know


@dataclass(frozen=True)
class TtlNoticeView:
    preview: ExpiringPreview
    now: datetime
    timezone: str
    extend_hours: int
    jira: JiraComment
    delivery: Delivery


def button_value(preview: ExpiringPreview) -> str:
    expires = preview.expires_at.isoformat()
    return VALUE_SEPARATOR.join((preview.env, preview.namespace, expires))


def time_left(now: datetime, until: datetime) -> str:
    """`1 h 30 min`, `45 min`, `under a minute` (to the nearest minute: 89 min 59 s is 1 h 30)."""
    minutes = round((until - now) / timedelta(minutes=1))
    if minutes < 1:
        return "under a minute"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def local_time(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def render_ttl_notice(view: TtlNoticeView) -> Message:
    p = view.preview
    left = time_left(view.now, p.expires_at)
    when = local_time(p.expires_at, view.timezone)
    headline = f":hourglass: Preview *{p.issue_key}* in *{p.env}* expires in {left}"
    lines = [headline, f"`{p.namespace}` · TTL ends {when}"]
    if view.delivery.owner:
        lines.append(f"Owner: <@{view.delivery.owner}>")
    blocks = [
        section("\n".join(lines)),
        buttons(
            button(f"Extend TTL (+{view.extend_hours} h)", EXTEND_ACTION, button_value(p)),
            button("Delete now", DELETE_ACTION, button_value(p), style="danger"),
            block_id=BUTTONS_BLOCK,
        ),
        context(*_footnotes(view)),
    ]
    text = f"Preview {p.issue_key} in {p.env} expires in {left} ({when})"
    return Message(text=text, blocks=tuple(blocks))


def _footnotes(view: TtlNoticeView) -> list[str]:
    notes = [_jira_note(view.preview, view.jira)]
    if view.delivery.owner_not_found:
        notes.append(
            f"The owner label names `{view.delivery.owner_not_found}`, whom Slack does not "
            "know: posted here instead of a DM."
        )
    notes.append("Whoever clicks asks for the change; the access policy decides (`/rtb policy`).")
    return notes


def _jira_note(preview: ExpiringPreview, jira: JiraComment) -> str:
    if jira.status == "added":
        return f"Jira: a comment was added to <{jira.issue_url}|{preview.issue_key}>."
    if jira.status == "failed":
        key, reason = preview.issue_key, jira.reason
        return f":warning: Jira: the comment could not be added to {key} ({reason})."
    if jira.status == "no credentials":
        return ":warning: Jira: not commented (JIRA_EMAIL / JIRA_API_TOKEN are not set)."
    return "Jira: not configured (no comment)."


def notice_outcome_line(action: str, user: str, result: dict[str, Any], timezone: str) -> str:
    """What a click did, for the notice itself (so nobody else acts on it again)."""
    if action == EXTEND_ACTION:
        until = parse_time(result.get("expires_at"))
        when = local_time(until, timezone) if until else "later"
        return f":white_check_mark: TTL extended to {when} by <@{escape(user)}>."
    return f":wastebasket: Deleted by <@{escape(user)}>."


def with_outcome(blocks: list[dict[str, Any]], line: str) -> list[dict[str, Any]]:
    """The notice's blocks without its buttons, with `line` at the end (pure)."""
    kept = [b for b in blocks if b.get("block_id") != BUTTONS_BLOCK]
    return [*kept, context(line).to_dict()]


def render_jira_comment(preview: ExpiringPreview, now: datetime, timezone: str) -> dict[str, Any]:
    """The comment on the issue, as Atlassian Document Format (Jira Cloud REST v3)."""
    left = time_left(now, preview.expires_at)
    when = local_time(preview.expires_at, timezone)
    first = (
        f"The preview environment of this issue ({preview.env}, namespace {preview.namespace}) "
        f"expires in {left}, at {when}, and will then be deleted."
    )
    second = "To keep it longer, use Extend TTL on the bot's notice in Slack."
    return {
        "type": "doc",
        "version": 1,
        "content": [_paragraph(first), _paragraph(second)],
    }


def _paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}

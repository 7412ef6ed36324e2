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

from handlers.render.failures import failure_text
from handlers.render.i18n import _
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
        return _("under a minute")
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("{minutes} min", minutes=rest)
    if not rest:
        return _("{hours} h", hours=hours)
    return _("{hours} h {minutes} min", hours=hours, minutes=rest)


def local_time(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def render_ttl_notice(view: TtlNoticeView) -> Message:
    p = view.preview
    left = time_left(view.now, p.expires_at)
    when = local_time(p.expires_at, view.timezone)
    headline = _(
        ":hourglass: Preview *{issue}* in *{env}* expires in {left}",
        issue=p.issue_key,
        env=p.env,
        left=left,
    )
    lines = [headline, _("`{namespace}` · TTL ends {when}", namespace=p.namespace, when=when)]
    if view.delivery.owner:
        lines.append(_("Owner: <@{owner}>", owner=view.delivery.owner))
    extend = _("Extend TTL (+{hours} h)", hours=view.extend_hours)
    blocks = [
        section("\n".join(lines)),
        buttons(
            button(extend, EXTEND_ACTION, button_value(p)),
            button(_("Delete now"), DELETE_ACTION, button_value(p), style="danger"),
            block_id=BUTTONS_BLOCK,
        ),
        context(*_footnotes(view)),
    ]
    text = _(
        "Preview {issue} in {env} expires in {left} ({when})",
        issue=p.issue_key,
        env=p.env,
        left=left,
        when=when,
    )
    return Message(text=text, blocks=tuple(blocks))


def _footnotes(view: TtlNoticeView) -> list[str]:
    notes = [_jira_note(view.preview, view.jira)]
    if view.delivery.owner_not_found:
        notes.append(
            _(
                "The owner label names `{owner}`, whom Slack does not know: posted here instead "
                "of a DM.",
                owner=view.delivery.owner_not_found,
            )
        )
    notes.append(
        _("Whoever clicks asks for the change; the access policy decides (`/rtb policy`).")
    )
    return notes


def _jira_note(preview: ExpiringPreview, jira: JiraComment) -> str:
    if jira.status == "added":
        return _(
            "Jira: a comment was added to <{url}|{issue}>.",
            url=jira.issue_url,
            issue=preview.issue_key,
        )
    if jira.status == "failed":
        return _(
            ":warning: Jira: the comment could not be added to {issue} ({reason}).",
            issue=preview.issue_key,
            reason=failure_text(jira.failure) if jira.failure else "",
        )
    if jira.status == "no credentials":  # internal: a status code
        return _(":warning: Jira: not commented (JIRA_EMAIL / JIRA_API_TOKEN are not set).")
    return _("Jira: not configured (no comment).")


def notice_outcome_line(action: str, user: str, result: dict[str, Any], timezone: str) -> str:
    """What a click did, for the notice itself (so nobody else acts on it again)."""
    if action == EXTEND_ACTION:
        until = parse_time(result.get("expires_at"))
        if until is None:
            return _(":white_check_mark: TTL extended to later by <@{user}>.", user=escape(user))
        return _(
            ":white_check_mark: TTL extended to {when} by <@{user}>.",
            when=local_time(until, timezone),
            user=escape(user),
        )
    return _(":wastebasket: Deleted by <@{user}>.", user=escape(user))


def with_outcome(blocks: list[dict[str, Any]], line: str) -> list[dict[str, Any]]:
    """The notice's blocks without its buttons, with `line` at the end (pure)."""
    kept = [b for b in blocks if b.get("block_id") != BUTTONS_BLOCK]
    return [*kept, context(line).to_dict()]


def render_jira_comment(preview: ExpiringPreview, now: datetime, timezone: str) -> dict[str, Any]:
    """The comment on the issue, as Atlassian Document Format (Jira Cloud REST v3)."""
    left = time_left(now, preview.expires_at)
    when = local_time(preview.expires_at, timezone)
    first = _(
        "The preview environment of this issue ({env}, namespace {namespace}) expires in "
        "{left}, at {when}, and will then be deleted.",
        env=preview.env,
        namespace=preview.namespace,
        left=left,
        when=when,
    )
    second = _("To keep it longer, use Extend TTL on the bot's notice in Slack.")
    return {
        "type": "doc",
        "version": 1,
        "content": [_paragraph(first), _paragraph(second)],
    }


def _paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}

"""The words of an escalation: the DM each lead gets and the page's summary (the card's line is
`escalation_note` in handlers/render/approvals.py, with the rest of the card)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from approvals.requests import ApprovalRequest
from handlers.render.approvals import APPROVE_ACTION, REJECT_ACTION
from handlers.render.message import Message, button, buttons, clip, context, escape, section


def waited_minutes(request: ApprovalRequest, now: datetime) -> int:
    return max(0, int((now - request.created_at).total_seconds() // 60))


def _what(request: ApprovalRequest) -> str:
    return f"*{request.mutation}* `{escape(request.target)}` in *{request.env}*"


def render_escalation_dm(
    request: ApprovalRequest, now: datetime, card_link: str | None, tz: ZoneInfo
) -> Message:
    """To each lead: what waits, since when, and where to act (the card)."""
    minutes = waited_minutes(request, now)
    where = f"<{card_link}|the approval card>" if card_link else "the approval card"
    asked = request.created_at.astimezone(tz).strftime("%H:%M %Z")
    text = (
        f":rotating_light: *{request.id}* has waited {minutes} min for a team lead: "
        f"<@{request.requester}> asks to {_what(request)} "
        f"({escape(request.change.before)} → {escape(request.change.after)})."
    )
    blocks = (
        section(text),
        section(f"*Reason*\n{escape(clip(request.reason, 500))}"),
        context(
            f"Requested at {asked}. Approve or reject here, on {where}, or with "
            f"`/rtb approve {request.id}` / `/rtb reject {request.id}`."
        ),
        # the card's own buttons: the gate decides whoever clicks, wherever (a later click on
        # a decided request is answered so, and changes nothing)
        buttons(
            button("Approve", APPROVE_ACTION, request.id, style="primary"),
            button("Reject", REJECT_ACTION, request.id, style="danger"),
            block_id=f"escalation:{request.id}",
        ),
    )
    plain = f"{request.id} has waited {minutes} min for a team lead: {request.mutation} in prd"
    return Message(text=plain, blocks=blocks)


def page_summary(request: ApprovalRequest, now: datetime) -> str:
    """PagerDuty's one-line summary (plain text: PagerDuty shows no Slack markup)."""
    return (
        f"prd approval {request.id} has waited {waited_minutes(request, now)} min for a team "
        f"lead: {request.mutation} {request.target} ({request.change.before} -> "
        f"{request.change.after}), reason: {clip(request.reason, 300)}"
    )

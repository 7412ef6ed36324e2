"""The words of an escalation: the DM each lead gets and the page's summary (the card's line is
`escalation_note` in handlers/render/approval_card.py, with the rest of the card)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from approvals.requests import ApprovalRequest
from handlers.render.approval_card import approve_reject
from handlers.render.approval_words import change, mention, what
from handlers.render.change_facts import said_text
from handlers.render.i18n import _, number
from handlers.render.message import Message, clip, context, escape, section


def waited_minutes(request: ApprovalRequest, now: datetime) -> int:
    return max(0, int((now - request.created_at).total_seconds() // 60))


def render_escalation_dm(
    request: ApprovalRequest, now: datetime, card_link: str | None, tz: ZoneInfo
) -> Message:
    """To each lead: what waits, since when, and where to act (the card)."""
    minutes = number(waited_minutes(request, now))
    card = _("the approval card")
    where = f"<{card_link}|{card}>" if card_link else card
    text = _(
        ":rotating_light: *{id}* has waited {minutes} min for a team lead: {requester} asks to "
        "{what} ({change}).",
        id=request.id,
        minutes=minutes,
        requester=mention(request.requester),
        what=what(request),
        change=change(request),
    )
    blocks = (
        section(text),
        section(_("*Reason*\n{reason}", reason=escape(clip(request.reason, 500)))),
        context(
            _(
                "Requested at {at}. Approve or reject here, on {where}, or with "
                "`/rtb approve {id}` / `/rtb reject {id}`.",
                at=request.created_at.astimezone(tz).strftime("%H:%M %Z"),
                where=where,
                id=request.id,
            )
        ),
        # the card's own buttons: the gate decides whoever clicks, wherever (a later click on
        # a decided request is answered so, and changes nothing)
        approve_reject(request.id, f"escalation:{request.id}"),
    )
    plain = _(
        "{id} has waited {minutes} min for a team lead: {mutation} in prd",
        id=request.id,
        minutes=minutes,
        mutation=request.mutation,
    )
    return Message(text=plain, blocks=blocks)


def page_summary(request: ApprovalRequest, now: datetime) -> str:
    """PagerDuty's one-line summary (plain text: PagerDuty shows no Slack markup)."""
    return _(
        "prd approval {id} has waited {minutes} min for a team lead: {mutation} {target} "
        "({before} -> {after}), reason: {reason}",
        id=request.id,
        minutes=number(waited_minutes(request, now)),
        mutation=request.mutation,
        target=request.target,
        before=said_text(request.change.before),
        after=said_text(request.change.after),
        reason=clip(request.reason, 300),
    )

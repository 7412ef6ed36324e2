"""The words of an escalation: the DM each lead gets, the page's summary, the card's line."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from approvals.requests import ApprovalRequest, Escalated
from handlers.render.message import Message, clip, context, escape, section

PAGE_OUTCOME_WORDS = {
    None: "paging the on-call lead…",
    "sent": "paged {oncall} (PagerDuty)",
    "unavailable": "PagerDuty did not answer; the page is retried each run",
    "refused": "PagerDuty refused the page (see the bot's log)",
    "not configured": "",
}
NOT_PAGED_WORDS = "the on-call lead was not paged (PagerDuty did not take it)"


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
            f"Requested at {asked}. Approve or reject on {where}, or "
            f"`/rtb approve {request.id}` / `/rtb reject {request.id}`."
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


def escalation_note(escalation: Escalated, tz: ZoneInfo, *, pending: bool = True) -> str:
    """The card's line: escalated when, to whom, and what became of the page (a page not
    taken is retried only while the request waits for a lead)."""
    leads = " ".join(f"<@{lead}>" for lead in escalation.leads) or "no lead (none configured)"
    at = escalation.at.astimezone(tz).strftime("%H:%M %Z")
    line = f":rotating_light: Escalated at {at}: DM to {leads}"
    if escalation.paging:
        oncall = f"<@{escalation.oncall}>" if escalation.oncall else "the on-call lead"
        words = PAGE_OUTCOME_WORDS.get(escalation.page_outcome, "")
        if not pending and escalation.page_outcome != "sent":
            words = NOT_PAGED_WORDS
        if words:
            line += "; " + words.format(oncall=oncall)
    return line + "."

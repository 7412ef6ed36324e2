"""The approval card (what a lead reads before approving a prd change), its thread, the alert
on an outcome nobody knows, and the card's escalation line. Rendered in the approvals channel's
language; env, target and mutation stay verbatim in every language."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from approvals.requests import ApprovalRequest, Escalated
from handlers.render.approval_words import (
    change,
    failure,
    mention,
    mentions,
    status_word,
    unknown,
    unrecorded_note,
    what,
    when,
)
from handlers.render.decisions import action_label
from handlers.render.i18n import N_, _, number
from handlers.render.message import (
    Message,
    button,
    buttons,
    clip,
    context,
    escape,
    header,
    section,
    simple,
)
from handlers.render.preview_cleanup import cleanup_done

APPROVE_ACTION = "approval_approve"
REJECT_ACTION = "approval_reject"


def approve_reject(request_id: str, block_id: str) -> Block:
    """The card's two buttons (also in the escalation DM): values and ids never translated."""
    return buttons(
        button(_("Approve"), APPROVE_ACTION, request_id, style="primary"),
        button(_("Reject"), REJECT_ACTION, request_id, style="danger"),
        block_id=block_id,
    )


def render_approval_card(request: ApprovalRequest, leads: Sequence[str], tz: ZoneInfo) -> Message:
    """The card in the approvals channel: buttons while pending, the outcome once decided."""
    pending = request.status == "pending"
    blocks: list[Block] = [
        header(_card_title(request)),
        section(_asks(request), fields=_card_fields(request, tz)),
        context(
            _(
                "{env}: {action} needs {count} team lead approval(s) · digest `{digest}`",
                env=request.env,
                action=escape(action_label(request.action)),
                count=number(request.required_approvals),
                digest=request.digest[:12],
            )
        ),
    ]
    if pending:
        blocks.append(section(_("Team leads: {leads}", leads=mentions(leads))))
        blocks.append(approve_reject(request.id, f"approval:{request.id}"))
    else:
        blocks.append(section(_status_line(request, tz)))
    unrecorded = unrecorded_note(request.result.get("unrecorded"))
    if unrecorded:
        blocks.append(context(unrecorded))
    if request.escalation is not None:
        blocks.append(context(escalation_note(request.escalation, tz, pending=pending)))
    return Message(text=_card_text(request, leads), blocks=tuple(blocks))


def _card_title(request: ApprovalRequest) -> str:
    facts = {"mutation": request.mutation, "env": request.env, "id": request.id}
    if request.status == "pending":
        return _("Approval needed: {mutation} in {env} ({id})", **facts)
    return _(
        "Approval {status}: {mutation} in {env} ({id})", status=status_word(request.status), **facts
    )


def _asks(request: ApprovalRequest) -> str:
    who = mention(request.requester)
    if request.status == "pending":
        return _("{requester} asks to {what}.", requester=who, what=what(request))
    return _("{requester} asked to {what}.", requester=who, what=what(request))


def _card_text(request: ApprovalRequest, leads: Sequence[str]) -> str:
    plain = {"mutation": request.mutation, "target": request.target, "env": request.env}
    if request.status == "pending":
        return _(
            "Approval needed ({id}) from {leads}: {mutation} {target} in {env}",
            id=request.id,
            leads=mentions(leads),
            **plain,
        )
    return _(
        "{id}: {mutation} {target} in {env} — {status}",
        id=request.id,
        status=status_word(request.status),
        **plain,
    )


def _card_fields(request: ApprovalRequest, tz: ZoneInfo) -> list[str]:
    counts = {"n": number(len(request.approvers)), "m": number(request.required_approvals)}
    approved = _("{n} of {m}", **counts)
    if request.approvers:
        approved = _("{n} of {m}: {approvers}", approvers=mentions(request.approvers), **counts)
    return [
        _("*Change*\n{change}", change=change(request)),
        _("*Reason*\n{reason}", reason=escape(clip(request.reason, 500))),
        _("*Approvals*\n{approved}", approved=approved),
        _("*Expires*\n{at}", at=when(request.expires_at, tz))
        if request.status == "pending"
        else _("*Requested*\n{at}", at=when(request.created_at, tz)),
    ]


def _status_line(request: ApprovalRequest, tz: ZoneInfo) -> str:
    by = mentions(request.approvers)
    decided, status = when(request.decided_at, tz), request.status
    if status in ("approved", "executing"):
        return _(":gear: *Running* — approved by {by} at {at}.", by=by, at=decided)
    if status == "succeeded":
        return _(
            ":white_check_mark: *Succeeded* — approved by {by} at {at}; done at {done}.",
            by=by,
            at=decided,
            done=when(request.finished_at, tz),
        )
    if status == "failed" and request.approvers:
        return _(
            ":x: *Failed* — approved by {by}; {failure}", by=by, failure=failure(request.result)
        )
    if status == "failed":
        return _(":x: *Failed* — {failure}", failure=failure(request.result))
    if status == "unknown":
        return _(":warning: *Outcome unknown* — {unknown}", unknown=unknown(request))
    if status == "rejected":
        return _rejected_line(request, decided)
    if status == "cancelled":
        return _(":heavy_minus_sign: *Cancelled* by the requester at {at}.", at=decided)
    return _(
        ":hourglass: *Expired* at {at} without enough approvals.",
        at=when(request.expires_at, tz),
    )


def _rejected_line(request: ApprovalRequest, at: str) -> str:
    by = mention(str(request.decided_by))
    if request.decision_note:
        note = escape(request.decision_note)
        return _(":no_entry: *Rejected* by {by} at {at}: {note}", by=by, at=at, note=note)
    return _(":no_entry: *Rejected* by {by} at {at}.", by=by, at=at)


# -- the card's thread ---------------------------------------------------------------------


def render_request_outcome(request: ApprovalRequest) -> Message:
    """Posted in the card's thread once the request is decided or has run. Whatever did not
    go as asked mentions the requester, so Slack tells them (a thread alone notifies nobody
    who has not replied in it)."""
    text = _thread_line(request)
    if request.status == "succeeded" and (done := cleanup_done(request.result)):
        text += "\n" + _("Done: {done}.", done=done)  # which way a preview cleanup ran
    unrecorded = unrecorded_note(request.result.get("unrecorded"))
    if unrecorded:
        text += f"\n{unrecorded}"
    return simple(text)


def _thread_line(request: ApprovalRequest) -> str:
    facts = {"id": request.id, "what": what(request), "requester": f"<@{request.requester}>"}
    status = request.status
    if status == "succeeded":
        return _(
            ":white_check_mark: *{id}*: {what} succeeded: {change}. Requested by {requester}, "
            "approved by {approvers}.",
            change=change(request),
            approvers=mentions(request.approvers),
            **facts,
        )
    if status == "failed":
        return _(
            ":x: {requester} *{id}*: {what} was not run: {failure}",
            failure=failure(request.result),
            **facts,
        )
    if status == "unknown":
        return _(
            ":warning: {requester} *{id}*: {what}: {unknown}", unknown=unknown(request), **facts
        )
    if status == "rejected":
        by = mention(str(request.decided_by))
        if request.decision_note:
            return _(
                ":no_entry: {requester} *{id}*: {what} was rejected by {by}: {note}",
                by=by,
                note=escape(request.decision_note),
                **facts,
            )
        return _(":no_entry: {requester} *{id}*: {what} was rejected by {by}.", by=by, **facts)
    if status == "expired":
        return _(
            ":hourglass: {requester} *{id}*: {what} expired: no lead decided in time. "
            "Nothing was run.",
            **facts,
        )
    return _("*{id}*: {what} is {status}.", status=status_word(status), **facts)


def render_unknown_alert(request: ApprovalRequest, leads: Sequence[str]) -> Message:
    return simple(
        _(
            ":warning: {leads} *{id}* ({what}, requested by {requester}) needs a human check: "
            "{unknown}",
            leads=mentions(leads),
            id=request.id,
            what=what(request),
            requester=mention(request.requester),
            unknown=unknown(request),
        )
    )


# -- escalation (handlers/escalation_jobs.py) ------------------------------------------------

PAGE_OUTCOME_WORDS = {
    None: N_("paging the on-call lead…"),
    "sent": N_("paged {oncall} (PagerDuty)"),
    "unavailable": N_("PagerDuty did not answer; the page is retried each run"),
    "refused": N_("PagerDuty refused the page (see the bot's log)"),
    "not configured": "",  # internal: a page outcome, no words on the card
}
NOT_PAGED_WORDS = N_("the on-call lead was not paged (PagerDuty did not take it)")


def escalation_note(escalation: Escalated, tz: ZoneInfo, *, pending: bool = True) -> str:
    """The card's line: escalated when, to whom, and what became of the page (a page not
    taken is retried only while the request waits for a lead)."""
    leads = " ".join(f"<@{lead}>" for lead in escalation.leads) or _("no lead (none configured)")
    at = escalation.at.astimezone(tz).strftime("%H:%M %Z")
    page = _page_words(escalation, pending)
    if page:
        return _(
            ":rotating_light: Escalated at {at}: DM to {leads}; {page}.",
            at=at,
            leads=leads,
            page=page,
        )
    return _(":rotating_light: Escalated at {at}: DM to {leads}.", at=at, leads=leads)


def _page_words(escalation: Escalated, pending: bool) -> str:
    if not escalation.paging:
        return ""
    words = PAGE_OUTCOME_WORDS.get(escalation.page_outcome, "")
    if not pending and escalation.page_outcome != "sent":
        words = NOT_PAGED_WORDS
    oncall = mention(escalation.oncall) if escalation.oncall else _("the on-call lead")
    return _(words, oncall=oncall) if words else ""

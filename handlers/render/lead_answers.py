"""Answers to a lead's click or command (approve, reject, cancel, `/rtb approvals`), in the
language of whoever clicked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from approvals.outcomes import Decided, DecisionOutcome, DecisionRefused
from approvals.requests import ApprovalRequest
from handlers.render.approval_words import (
    change,
    failure,
    mention,
    status_word,
    unknown,
    unrecorded_note,
    what,
    when,
)
from handlers.render.i18n import N_, _, number
from handlers.render.message import Message, header, section, simple


def render_decision_outcome(outcome: DecisionOutcome, tz: ZoneInfo) -> Message:
    if isinstance(outcome, DecisionRefused):
        return simple(f":no_entry: {render_refusal(outcome, tz)}", ephemeral=True)
    request = outcome.request
    if not isinstance(outcome, Decided):
        return simple(
            _(
                ":ballot_box_with_check: Your approval of *{id}* is counted ({n} of {m}); "
                "another team lead must approve too.",
                id=request.id,
                n=number(len(request.approvers)),
                m=number(request.required_approvals),
            ),
            ephemeral=True,
        )
    if request.status == "rejected":
        return simple(_("You rejected *{id}*.", id=request.id), ephemeral=True)
    if request.status == "cancelled":
        return simple(_("You cancelled *{id}*.", id=request.id), ephemeral=True)
    note = unrecorded_note(request.result.get("unrecorded"))
    if note:
        text = _("You approved *{id}*: {ran}", id=request.id, ran=_ran_words(request))
        return simple(f"{text}\n{note}", ephemeral=True)
    return simple(
        _(
            "You approved *{id}*: {status}. The card's thread has the details.",
            id=request.id,
            status=status_word(request.status),
        ),
        ephemeral=True,
    )


def _ran_words(request: ApprovalRequest) -> str:
    """What is known about a change that ran, for a lead who cannot see it recorded."""
    if request.status == "succeeded":
        return _("applied ({change}).", change=change(request))
    if request.status == "failed":
        return _("not applied: {failure}", failure=failure(request.result))
    return unknown(request)


_Sentence = Callable[[str, ApprovalRequest | None, ZoneInfo], str]
_REFUSALS: dict[str, _Sentence] = {
    "unknown_request": lambda rid, r, tz: _("There is no approval request with that id."),
    "busy": lambda rid, r, tz: _(
        "Another click on {rid} is being handled right now; the card will show the outcome.",
        rid=rid,
    ),
    "not_lead": lambda rid, r, tz: _("Only team leads can approve or reject requests."),
    "self_approval": lambda rid, r, tz: _(
        "You cannot approve your own request {rid}: another team lead must.", rid=rid
    ),
    "already_voted": lambda rid, r, tz: _(
        "You already approved {rid}; another team lead must approve too.", rid=rid
    ),
    "not_requester": lambda rid, r, tz: _(
        "Only the requester ({requester}) can cancel {rid}.",
        requester=mention(r.requester if r else "?"),
        rid=rid,
    ),
    "expired": lambda rid, r, tz: _(
        "{rid} expired at {at}; ask for it again.",
        rid=rid,
        at=when(r.expires_at if r else None, tz),
    ),
}


def render_refusal(refused: DecisionRefused, tz: ZoneInfo) -> str:
    request = refused.request
    rid = request.id if request else _("that request")
    if refused.code == "not_pending" and request is not None:
        return _("{rid} is already {settled}.", rid=rid, settled=_settled(request))
    sentence = _REFUSALS.get(refused.code)
    return sentence(rid, request, tz) if sentence else _("That cannot be done.")


_SETTLED = {
    "approved": N_("approved and about to run"),
    "executing": N_("approved and running"),
    "succeeded": N_("approved and done (succeeded)"),
    "failed": N_("closed: it did not run successfully"),
    "rejected": N_("rejected"),
    "cancelled": N_("cancelled by the requester"),
    "expired": N_("expired"),
    "unknown": N_("closed with an unknown outcome"),
}


def _settled(request: ApprovalRequest) -> str:
    return _(_SETTLED[request.status]) if request.status in _SETTLED else request.status


def render_approvals_db_down() -> Message:
    return simple(
        _(
            ":warning: I cannot reach the approvals database, so nothing was changed. "
            "Try again in a moment."
        ),
        ephemeral=True,
    )


def render_open_requests(requests: Sequence[ApprovalRequest], tz: ZoneInfo) -> Message:
    if not requests:
        return simple(_("No approval request is waiting."), ephemeral=True)
    lines = [_open_line(r, tz) for r in requests]
    blocks = [header(_("Open approval requests")), *(section(line) for line in lines[:45])]
    text = _("{count} open approval request(s)", count=number(len(requests)))
    return Message(text=text, blocks=tuple(blocks))


def _open_line(r: ApprovalRequest, tz: ZoneInfo) -> str:
    facts = {
        "id": r.id,
        "what": what(r),
        "change": change(r),
        "requester": f"<@{r.requester}>",
        "n": number(len(r.approvers)),
        "m": number(r.required_approvals),
    }
    if r.status == "pending":
        return _(
            "• *{id}* {what}: {change} — by {requester}, {n} of {m} approvals, expires {at}",
            at=when(r.expires_at, tz),
            **facts,
        )
    return _(
        "• *{id}* {what}: {change} — by {requester}, {n} of {m} approvals, {status}",
        status=status_word(r.status),
        **facts,
    )

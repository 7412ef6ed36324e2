"""Approval cards, the reason modal, and every answer of the policy gate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from approvals.mutations import MutationSpec
from approvals.outcomes import (
    ApprovalRequested,
    ConfirmNeeded,
    Decided,
    DecisionOutcome,
    DecisionRefused,
    GateOutcome,
    Ran,
    ReasonNeeded,
    Refused,
    RunResult,
)
from approvals.policy import CORE_INFRASTRUCTURE
from approvals.requests import ApprovalRequest, Escalated
from handlers.render.decisions import action_label, decision_reason
from handlers.render.errors import stored_text
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
from ops.previews import PREVIEW_LABEL

APPROVE_ACTION = "approval_approve"
REJECT_ACTION = "approval_reject"
REASON_CALLBACK = "approval_reason"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"
CONFIRM_ACTION = "mutation_confirm"
CANCEL_ACTION = "mutation_cancel"


def when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if moment else "?"


def mentions(users: Sequence[str]) -> str:
    return " ".join(f"<@{u}>" for u in users) or "nobody (no team lead is configured!)"


def _what(request: ApprovalRequest) -> str:
    return f"*{request.mutation}* `{escape(request.target)}` in *{request.env}*"


def _change(request: ApprovalRequest) -> str:
    return f"{escape(request.change.before)} → {escape(request.change.after)}"


# -- the card ------------------------------------------------------------------------------


def render_approval_card(request: ApprovalRequest, leads: Sequence[str], tz: ZoneInfo) -> Message:
    """The card in the approvals channel: buttons while pending, the outcome once decided."""
    pending = request.status == "pending"
    state = "needed" if pending else request.status
    asks = f"<@{request.requester}> {'asks' if pending else 'asked'} to {_what(request)}."
    blocks: list[Block] = [
        header(f"Approval {state}: {request.mutation} in {request.env} ({request.id})"),
        section(asks, fields=_card_fields(request, tz)),
        context(
            f"{request.env}: {escape(action_label(request.action))} needs "
            f"{request.required_approvals} team lead approval(s) · digest `{request.digest[:12]}`"
        ),
    ]
    if request.status == "pending":
        blocks.append(section(f"Team leads: {mentions(leads)}"))
        blocks.append(
            buttons(
                button("Approve", APPROVE_ACTION, request.id, style="primary"),
                button("Reject", REJECT_ACTION, request.id, style="danger"),
                block_id=f"approval:{request.id}",
            )
        )
    else:
        blocks.append(section(_status_line(request, tz)))
    unrecorded = _unrecorded_note(request.result.get("unrecorded"))
    if unrecorded:
        blocks.append(context(unrecorded))
    if request.escalation is not None:
        blocks.append(context(escalation_note(request.escalation, tz, pending=pending)))
    text = f"{request.id}: {request.mutation} {request.target} in {request.env} — {request.status}"
    if request.status == "pending":
        text = f"Approval needed ({request.id}) from {mentions(leads)}: {_plain(request)}"
    return Message(text=text, blocks=tuple(blocks))


def _plain(request: ApprovalRequest) -> str:
    return f"{request.mutation} {request.target} in {request.env}"


def _card_fields(request: ApprovalRequest, tz: ZoneInfo) -> list[str]:
    approved = f"{len(request.approvers)} of {request.required_approvals}"
    if request.approvers:
        approved += f": {mentions(request.approvers)}"
    return [
        f"*Change*\n{_change(request)}",
        f"*Reason*\n{escape(clip(request.reason, 500))}",
        f"*Approvals*\n{approved}",
        f"*Expires*\n{when(request.expires_at, tz)}"
        if request.status == "pending"
        else f"*Requested*\n{when(request.created_at, tz)}",
    ]


def _status_line(request: ApprovalRequest, tz: ZoneInfo) -> str:
    by = mentions(request.approvers) if request.approvers else None
    status = request.status
    if status in ("approved", "executing"):
        return f":gear: *Running* — approved by {by} at {when(request.decided_at, tz)}."
    if status == "succeeded":
        return (
            f":white_check_mark: *Succeeded* — approved by {by} at "
            f"{when(request.decided_at, tz)}; done at {when(request.finished_at, tz)}."
        )
    if status == "failed":
        approved = f"approved by {by}; " if by else ""
        return f":x: *Failed* — {approved}{_failure(request.result)}"
    if status == "unknown":
        return f":warning: *Outcome unknown* — {_unknown(request)}"
    if status == "rejected":
        note = f": {escape(request.decision_note)}" if request.decision_note else "."
        at = when(request.decided_at, tz)
        return f":no_entry: *Rejected* by <@{request.decided_by}> at {at}{note}"
    if status == "cancelled":
        return f":heavy_minus_sign: *Cancelled* by the requester at {when(request.decided_at, tz)}."
    return f":hourglass: *Expired* at {when(request.expires_at, tz)} without enough approvals."


def _failure(result: dict[str, object]) -> str:
    drift = result.get("drift")
    if isinstance(drift, dict):
        return (
            f"state changed since approval (was {escape(str(drift.get('was')))}, now "
            f"{escape(str(drift.get('now')))}) — request again. Nothing was changed."
        )
    if result.get("interrupted"):
        return "the bot stopped before running it; nothing was changed. Request it again."
    return f"{escape(stored_text(result.get('error', 'error')))}. Nothing was changed."


def _unknown(request: ApprovalRequest) -> str:
    cause = (
        "the bot stopped while running it"
        if request.result.get("interrupted")
        else f"no clear answer ({escape(stored_text(request.result.get('error', '?')))})"
    )
    return (
        f"{cause}: the change may or may not have been applied. Check `{escape(request.target)}` "
        f"in {request.env} by hand; it will not be re-run."
    )


# -- the card's thread ---------------------------------------------------------------------


def render_request_outcome(request: ApprovalRequest) -> Message:
    """Posted in the card's thread once the request is decided or has run. Whatever did not
    go as asked mentions the requester, so Slack tells them (a thread alone notifies nobody
    who has not replied in it)."""
    head = f"*{request.id}*: {_what(request)}"
    requester = f"<@{request.requester}>"
    if request.status == "succeeded":
        text = (
            f":white_check_mark: {head} succeeded: {_change(request)}. Requested by "
            f"<@{request.requester}>, approved by {mentions(request.approvers)}."
        )
        done = cleanup_done(request.result)  # which way a preview cleanup ran
        text += f"\nDone: {done}." if done else ""
    elif request.status == "failed":
        text = f":x: {requester} {head} was not run: {_failure(request.result)}"
    elif request.status == "unknown":
        text = f":warning: {requester} {head}: {_unknown(request)}"
    elif request.status == "rejected":
        note = f": {escape(request.decision_note)}" if request.decision_note else "."
        text = f":no_entry: {requester} {head} was rejected by <@{request.decided_by}>{note}"
    elif request.status == "expired":
        text = f":hourglass: {requester} {head} expired: no lead decided in time. Nothing was run."
    else:
        text = f"{head} is {request.status}."
    unrecorded = _unrecorded_note(request.result.get("unrecorded"))
    if unrecorded:
        text += f"\n{unrecorded}"
    return simple(text)


def _unrecorded_note(recording: object) -> str | None:
    """A result the bot's database could not take after the change was sent (Recording)."""
    if recording == "spooled" or recording is True:
        return (
            ":floppy_disk: Recording the result failed: the bot's database (PostgreSQL) stopped "
            "answering before it was written. The result is kept and will be recorded in "
            "the audit log when the database is back."
        )
    if recording == "logged":
        return (
            ":warning: Recording the result failed: the bot's database (PostgreSQL) stopped "
            "answering before it was written, and the result could not be kept on disk "
            "either: it is only in the bot's log."
        )
    return None


def render_unknown_alert(request: ApprovalRequest, leads: Sequence[str]) -> Message:
    return simple(
        f":warning: {mentions(leads)} *{request.id}* ({_what(request)}, requested by "
        f"<@{request.requester}>) needs a human check: {_unknown(request)}"
    )


# -- the modal -----------------------------------------------------------------------------


REASON_TITLE = "Approval needed"


def render_reason_modal(asked: ReasonNeeded) -> View:
    spec = asked.spec
    summary = (
        f"{_spec_what(spec)}: {escape(asked.change.before)} → {escape(asked.change.after)}\n"
        f"{decision_reason(asked.decision)}. The team leads will see your reason on the card."
    )
    return View(
        type="modal",
        callback_id=REASON_CALLBACK,
        private_metadata=asked.token,
        title=REASON_TITLE,
        submit="Request approval",
        close="Cancel",
        blocks=[
            section(summary),
            InputBlock(
                block_id=REASON_BLOCK,
                label="Why? (incident, ticket, what you expect)",
                element=PlainTextInputElement(
                    action_id=REASON_INPUT,
                    multiline=True,
                    max_length=500,
                    placeholder="e.g. incident INC-42: stop the crash loop",
                ),
            ),
        ],
    )


def _spec_what(spec: MutationSpec) -> str:
    return f"*{spec.mutation}* `{escape(str(spec.target))}` in *{spec.env}*"


# -- answers to the requester --------------------------------------------------------------


def render_gate_outcome(outcome: GateOutcome, approvals_channel: str, tz: ZoneInfo) -> Message:
    if isinstance(outcome, Refused):
        return render_refused(outcome)
    if isinstance(outcome, Ran):
        return render_ran(outcome)
    if isinstance(outcome, ReasonNeeded):
        return render_reason_asked(outcome)
    if isinstance(outcome, ConfirmNeeded):
        return render_confirmation(outcome)
    return render_request_sent(outcome, approvals_channel, tz)


def render_refused(refused: Refused) -> Message:
    """The policy's reason and rule; a change refused as core infrastructure inside a namespace
    also says why that namespace is not a preview (a `preview-…` name does not make one)."""
    text = (
        f":no_entry: Refused: {decision_reason(refused.decision)}.\nRule: `{refused.decision.rule}`"
    )
    namespace = refused.spec.params.get("namespace")
    if refused.spec.action == CORE_INFRASTRUCTURE and isinstance(namespace, str):
        text += (
            f"\n`{escape(namespace)}` is not a preview namespace: only a namespace labelled "
            f"`{PREVIEW_LABEL}=true` is one (`/rtb previews {refused.spec.env}` lists them)."
        )
    return simple(text, ephemeral=True)


def render_confirmation(asked: ConfirmNeeded) -> Message:
    """Only the requester sees it; Confirm sends the change through the gate again."""
    change = f"{escape(asked.change.before)} → {escape(asked.change.after)}"
    text = (
        f":warning: {_spec_what(asked.spec)}: {change}\n{escape(asked.why)} "
        f"Confirm to go ahead ({decision_reason(asked.decision)})."
    )
    actions = buttons(
        button("Confirm", CONFIRM_ACTION, asked.token, style="danger"),
        button("Cancel", CANCEL_ACTION, asked.token),
        block_id="mutation_confirmation",
    )
    fallback = f"Confirm {asked.spec.headline()}: {asked.change.before} → {asked.change.after}"
    return Message(text=fallback, blocks=(section(text), actions), ephemeral=True)


def render_ran(ran: Ran) -> Message:
    message = _render_ran_result(ran)
    note = _unrecorded_note(ran.recording)
    return simple(f"{message.text}\n{note}", ephemeral=message.ephemeral) if note else message


def _render_ran_result(ran: Ran) -> Message:
    what, run = _spec_what(ran.spec), ran.run
    change = f"{escape(ran.change.before)} → {escape(ran.change.after)}"
    if isinstance(run.result.get("parts"), list):
        return _render_ran_parts(ran, what, change)
    if run.status == "succeeded":
        return simple(f":white_check_mark: {what}: {change}. ({decision_reason(ran.decision)})")
    return simple(f":x: {what} {_run_problem(run)}", ephemeral=False)


_PART_MARK = {"succeeded": ":white_check_mark:", "failed": ":x:", "unknown": ":warning:"}


def _render_ran_parts(ran: Ran, what: str, change: str) -> Message:
    """A change made of parts (an emergency rollback): one line per part, as each went."""
    lines = [
        f"{_PART_MARK.get(ran.run.status, '')} {what}: {change}. ({decision_reason(ran.decision)})"
    ]
    for part in ran.run.result["parts"]:
        status = part.get("status")
        if status == "succeeded":
            outcome = "done"
        else:
            outcome = _run_problem(RunResult("unknown" if status == "unknown" else "failed", part))
        lines.append(f"• `{escape(str(part.get('target')))}`: {outcome}")
    return simple("\n".join(lines))


def _run_problem(run: RunResult) -> str:
    error = escape(stored_text(run.result.get("error", "error"))).rstrip(".")
    if run.status == "unknown":
        return f"got no clear answer ({error}): it may or may not have been applied; check it."
    return f"failed: {error}. Nothing was changed."


def render_reason_asked(asked: ReasonNeeded) -> Message:
    return simple(
        f":memo: {decision_reason(asked.decision)}: "
        "tell the team leads why in the form that opened.",
        ephemeral=True,
    )


def render_reason_form_failed(asked: ReasonNeeded) -> Message:
    return simple(
        f":warning: {decision_reason(asked.decision)}, but the form asking for your reason did not "
        'open (Slack allows 3 s). Run the command again, or add `--reason "…"` to it.',
        ephemeral=True,
    )


def render_request_sent(sent: ApprovalRequested, approvals_channel: str, tz: ZoneInfo) -> Message:
    request = sent.request
    where = "each team lead by DM" if approvals_channel == "dm" else escape(approvals_channel)
    text = (
        f":hourglass: Approval request *{request.id}* sent to {where}: {_what(request)} "
        f"({_change(request)}). It expires at {when(request.expires_at, tz)}. "
        f"`/rtb cancel {request.id}` withdraws it."
    )
    if not request.cards:
        text += " (The card could not be posted; team leads see it with `/rtb approvals`.)"
    return simple(text, ephemeral=True)


# -- answers to a lead's click or command --------------------------------------------------


def render_decision_outcome(outcome: DecisionOutcome, tz: ZoneInfo) -> Message:
    if isinstance(outcome, DecisionRefused):
        return simple(f":no_entry: {render_refusal(outcome, tz)}", ephemeral=True)
    request = outcome.request
    if not isinstance(outcome, Decided):
        return simple(
            f":ballot_box_with_check: Your approval of *{request.id}* is counted "
            f"({len(request.approvers)} of {request.required_approvals}); another team lead "
            "must approve too.",
            ephemeral=True,
        )
    verbs = {"rejected": "rejected", "cancelled": "cancelled"}
    if request.status in verbs:
        return simple(f"You {verbs[request.status]} *{request.id}*.", ephemeral=True)
    note = _unrecorded_note(request.result.get("unrecorded"))
    if note:
        return simple(f"You approved *{request.id}*: {_ran_words(request)}\n{note}", ephemeral=True)
    return simple(
        f"You approved *{request.id}*: {request.status}. The card's thread has the details.",
        ephemeral=True,
    )


def _ran_words(request: ApprovalRequest) -> str:
    """What is known about a change that ran, for a lead who cannot see it recorded."""
    if request.status == "succeeded":
        return f"applied ({_change(request)})."
    if request.status == "failed":
        return f"not applied: {_failure(request.result)}"
    return _unknown(request)


def render_refusal(refused: DecisionRefused, tz: ZoneInfo) -> str:
    request = refused.request
    rid = request.id if request else "that request"
    sentences = {
        "unknown_request": "There is no approval request with that id.",
        "busy": f"Another click on {rid} is being handled right now; the card will show the "
        "outcome.",
        "not_lead": "Only team leads can approve or reject requests.",
        "self_approval": f"You cannot approve your own request {rid}: another team lead must.",
        "already_voted": f"You already approved {rid}; another team lead must approve too.",
        "not_requester": f"Only the requester (<@{request.requester if request else '?'}>) "
        f"can cancel {rid}.",
        "expired": f"{rid} expired at {when(request.expires_at if request else None, tz)}; "
        "ask for it again.",
    }
    if refused.code == "not_pending" and request is not None:
        return f"{rid} is already {_settled(request)}."
    return sentences.get(refused.code, "That cannot be done.")


def _settled(request: ApprovalRequest) -> str:
    return {
        "approved": "approved and about to run",
        "executing": "approved and running",
        "succeeded": "approved and done (succeeded)",
        "failed": "closed: it did not run successfully",
        "rejected": "rejected",
        "cancelled": "cancelled by the requester",
        "expired": "expired",
        "unknown": "closed with an unknown outcome",
    }.get(request.status, request.status)


def render_approvals_db_down() -> Message:
    return simple(
        ":warning: I cannot reach the approvals database, so nothing was changed. "
        "Try again in a moment.",
        ephemeral=True,
    )


def render_open_requests(requests: Sequence[ApprovalRequest], tz: ZoneInfo) -> Message:
    if not requests:
        return simple("No approval request is waiting.", ephemeral=True)
    lines = [
        f"• *{r.id}* {_what(r)}: {_change(r)} — by <@{r.requester}>, "
        f"{len(r.approvers)} of {r.required_approvals} approvals, "
        + (f"expires {when(r.expires_at, tz)}" if r.status == "pending" else r.status)
        for r in requests
    ]
    blocks = [header("Open approval requests"), *(section(line) for line in lines[:45])]
    return Message(text=f"{len(requests)} open approval request(s)", blocks=tuple(blocks))


# -- escalation (handlers/escalation_jobs.py) ------------------------------------------------

PAGE_OUTCOME_WORDS = {
    None: "paging the on-call lead…",
    "sent": "paged {oncall} (PagerDuty)",
    "unavailable": "PagerDuty did not answer; the page is retried each run",
    "refused": "PagerDuty refused the page (see the bot's log)",
    "not configured": "",
}
NOT_PAGED_WORDS = "the on-call lead was not paged (PagerDuty did not take it)"


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

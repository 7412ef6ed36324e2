"""The gate's answers to whoever asked for a change (in the requester's language): refused,
ran, confirm first, a reason needed (the modal), or an approval request sent."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from approvals.outcomes import (
    ApprovalRequested,
    ConfirmNeeded,
    GateOutcome,
    Ran,
    ReasonNeeded,
    Refused,
    RunResult,
)
from approvals.policy import CORE_INFRASTRUCTURE
from handlers.render.approval_words import (
    change,
    change_line,
    spec_what,
    unrecorded_note,
    what,
    when,
)
from handlers.render.change_facts import said_text
from handlers.render.decisions import decision_reason
from handlers.render.i18n import N_, _
from handlers.render.message import Message, button, buttons, escape, section, simple
from handlers.render.stored_errors import stored_text
from ops.previews import PREVIEW_LABEL

REASON_CALLBACK = "approval_reason"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"
CONFIRM_ACTION = "mutation_confirm"
CANCEL_ACTION = "mutation_cancel"
REASON_TITLE = N_("Approval needed")  # translated where shown: _(REASON_TITLE)


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
    text = _(
        ":no_entry: Refused: {reason}.\nRule: `{rule}`",
        reason=decision_reason(refused.decision),
        rule=refused.decision.rule,
    )
    namespace = refused.spec.params.get("namespace")
    if refused.spec.action == CORE_INFRASTRUCTURE and isinstance(namespace, str):
        text += "\n" + _(
            "`{namespace}` is not a preview namespace: only a namespace labelled "
            "`{label}=true` is one (`/rtb previews {env}` lists them).",
            namespace=escape(namespace),
            label=PREVIEW_LABEL,
            env=refused.spec.env,
        )
    return simple(text, ephemeral=True)


def render_confirmation(asked: ConfirmNeeded) -> Message:
    """Only the requester sees it; Confirm sends the change through the gate again."""
    text = _(
        ":warning: {what}: {change}\n{why} Confirm to go ahead ({reason}).",
        what=spec_what(asked.spec),
        change=change_line(asked.change),
        why=escape(said_text(asked.why)),
        reason=decision_reason(asked.decision),
    )
    actions = buttons(
        button(_("Confirm"), CONFIRM_ACTION, asked.token, style="danger"),
        button(_("Cancel"), CANCEL_ACTION, asked.token),
        block_id="mutation_confirmation",
    )
    fallback = _(
        "Confirm {headline}: {before} → {after}",
        headline=asked.spec.headline(),
        before=said_text(asked.change.before),
        after=said_text(asked.change.after),
    )
    return Message(text=fallback, blocks=(section(text), actions), ephemeral=True)


def render_ran(ran: Ran) -> Message:
    message = _render_ran_result(ran)
    note = unrecorded_note(ran.recording)
    return simple(f"{message.text}\n{note}", ephemeral=message.ephemeral) if note else message


def _render_ran_result(ran: Ran) -> Message:
    what_, run = spec_what(ran.spec), ran.run
    change_ = change_line(ran.change)
    if isinstance(run.result.get("parts"), list):
        return _render_ran_parts(ran, what_, change_)
    if run.status == "succeeded":
        return simple(f":white_check_mark: {what_}: {change_}. ({decision_reason(ran.decision)})")
    return simple(f":x: {what_} {run_problem(run)}", ephemeral=False)


_PART_MARK = {"succeeded": ":white_check_mark:", "failed": ":x:", "unknown": ":warning:"}


def _render_ran_parts(ran: Ran, what_: str, change_: str) -> Message:
    """A change made of parts (an emergency rollback): one line per part, as each went."""
    mark = _PART_MARK.get(ran.run.status, "")
    lines = [f"{mark} {what_}: {change_}. ({decision_reason(ran.decision)})"]
    for part in ran.run.result["parts"]:
        status = part.get("status")
        if status == "succeeded":
            outcome = _("done")
        else:
            outcome = run_problem(RunResult("unknown" if status == "unknown" else "failed", part))
        lines.append(f"• `{escape(str(part.get('target')))}`: {outcome}")
    return simple("\n".join(lines))


def run_problem(run: RunResult) -> str:
    """What became of a change that did not succeed, after its *what*: failed changed nothing,
    unknown may have."""
    error = escape(stored_text(run.result.get("error", "error"))).rstrip(".")
    if run.status == "unknown":
        return _(
            "got no clear answer ({error}): it may or may not have been applied; check it.",
            error=error,
        )
    return _("failed: {error}. Nothing was changed.", error=error)


def render_reason_asked(asked: ReasonNeeded) -> Message:
    return simple(
        _(
            ":memo: {reason}: tell the team leads why in the form that opened.",
            reason=decision_reason(asked.decision),
        ),
        ephemeral=True,
    )


def render_reason_form_failed(asked: ReasonNeeded) -> Message:
    return simple(
        _(
            ":warning: {reason}, but the form asking for your reason did not open (Slack allows "
            '3 s). Run the command again, or add `--reason "…"` to it.',
            reason=decision_reason(asked.decision),
        ),
        ephemeral=True,
    )


def render_request_sent(sent: ApprovalRequested, approvals_channel: str, tz: ZoneInfo) -> Message:
    request = sent.request
    dm = approvals_channel == "dm"
    where = _("each team lead by DM") if dm else escape(approvals_channel)
    text = _(
        ":hourglass: Approval request *{id}* sent to {where}: {what} ({change}). It expires at "
        "{at}. `/rtb cancel {id}` withdraws it.",
        id=request.id,
        where=where,
        what=what(request),
        change=change(request),
        at=when(request.expires_at, tz),
    )
    if not request.cards:
        text += " " + _("(The card could not be posted; team leads see it with `/rtb approvals`.)")
    return simple(text, ephemeral=True)


# -- the modal -----------------------------------------------------------------------------


def render_reason_modal(asked: ReasonNeeded) -> View:
    summary = _(
        "{what}: {change}\n{reason}. The team leads will see your reason on the card.",
        what=spec_what(asked.spec),
        change=change_line(asked.change),
        reason=decision_reason(asked.decision),
    )
    return View(
        type="modal",
        callback_id=REASON_CALLBACK,
        private_metadata=asked.token,
        title=_(REASON_TITLE),
        submit=_("Request approval"),
        close=_("Cancel"),
        blocks=[
            section(summary),
            InputBlock(
                block_id=REASON_BLOCK,
                label=_("Why? (incident, ticket, what you expect)"),
                element=PlainTextInputElement(
                    action_id=REASON_INPUT,
                    multiline=True,
                    max_length=500,
                    placeholder=_("e.g. incident INC-42: stop the crash loop"),
                ),
            ),
        ],
    )

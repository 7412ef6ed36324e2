"""Every answer around an approval, one import for the handlers. The words live by what they
render: the card, its thread and escalation line (`approval_card`), the gate's answers to the
requester and the reason modal (`gate_answers`), the answers to a lead (`lead_answers`), and
the phrases they share (`approval_words`)."""

from __future__ import annotations

from handlers.render.approval_card import (
    APPROVE_ACTION,
    NOT_PAGED_WORDS,
    PAGE_OUTCOME_WORDS,
    REJECT_ACTION,
    escalation_note,
    render_approval_card,
    render_request_outcome,
    render_unknown_alert,
)
from handlers.render.approval_words import mentions, when
from handlers.render.gate_answers import (
    CANCEL_ACTION,
    CONFIRM_ACTION,
    REASON_BLOCK,
    REASON_CALLBACK,
    REASON_INPUT,
    REASON_TITLE,
    render_confirmation,
    render_gate_outcome,
    render_ran,
    render_reason_asked,
    render_reason_form_failed,
    render_reason_modal,
    render_refused,
    render_request_sent,
)
from handlers.render.lead_answers import (
    render_approvals_db_down,
    render_decision_outcome,
    render_open_requests,
    render_refusal,
)

__all__ = [
    "APPROVE_ACTION",
    "CANCEL_ACTION",
    "CONFIRM_ACTION",
    "NOT_PAGED_WORDS",
    "PAGE_OUTCOME_WORDS",
    "REASON_BLOCK",
    "REASON_CALLBACK",
    "REASON_INPUT",
    "REASON_TITLE",
    "REJECT_ACTION",
    "escalation_note",
    "mentions",
    "render_approval_card",
    "render_approvals_db_down",
    "render_confirmation",
    "render_decision_outcome",
    "render_gate_outcome",
    "render_open_requests",
    "render_ran",
    "render_reason_asked",
    "render_reason_form_failed",
    "render_reason_modal",
    "render_refusal",
    "render_refused",
    "render_request_outcome",
    "render_request_sent",
    "render_unknown_alert",
    "when",
]

"""The escalation's words: the escalated card, the leads' DM and the page's summary
(golden JSON, UPDATE_GOLDEN=1 rewrites them; the key facts asserted directly too)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from approvals.requests import Escalated
from handlers.render.approvals import escalation_note, render_approval_card
from handlers.render.escalation import page_summary, render_escalation_dm
from tests.golden import assert_golden, buttons, shown
from tests.handlers.test_approvals_render import LEADS, PENDING, TZ

ESCALATED_AT = PENDING.created_at + timedelta(minutes=10)
PAGED = Escalated(ESCALATED_AT, ("ULEAD1", "ULEAD2"), "ULEAD1", True, "sent")


def test_the_escalated_card_says_when_to_whom_and_keeps_its_buttons():
    card = render_approval_card(replace(PENDING, escalation=PAGED), LEADS, TZ)
    assert_golden("approval_card_escalated", card)
    text = shown(card)
    assert "Escalated at 10:40 KST: DM to <@ULEAD1> <@ULEAD2>; paged <@ULEAD1> (PagerDuty)." in text
    assert [b[1] for b in buttons(card)] == ["approval_approve", "approval_reject"]


def test_a_card_never_escalated_has_no_escalation_line():
    assert "Escalated" not in shown(render_approval_card(PENDING, LEADS, TZ))


@pytest.mark.parametrize(
    ("paging", "outcome", "oncall", "expected"),
    [
        (True, "sent", None, "; paged the on-call lead (PagerDuty)."),
        (True, None, "ULEAD1", "; paging the on-call lead…."),
        (
            True,
            "unavailable",
            "ULEAD1",
            "; PagerDuty did not answer; the page is retried each run.",
        ),
        (True, "refused", "ULEAD1", "; PagerDuty refused the page (see the bot's log)."),
        (False, None, "ULEAD1", "<@ULEAD2>."),
    ],
)
def test_the_card_line_says_what_became_of_the_page(paging, outcome, oncall, expected):
    escalation = Escalated(ESCALATED_AT, ("ULEAD1", "ULEAD2"), oncall, paging, outcome)
    assert escalation_note(escalation, TZ).endswith(expected)


def test_a_decided_card_does_not_promise_a_retry_of_a_page_never_taken():
    escalation = Escalated(ESCALATED_AT, ("ULEAD1",), "ULEAD1", True, "unavailable")
    note = escalation_note(escalation, TZ, pending=False)
    assert note.endswith("; the on-call lead was not paged (PagerDuty did not take it).")
    assert escalation_note(PAGED, TZ, pending=False).endswith("paged <@ULEAD1> (PagerDuty).")


def test_the_dm_names_the_request_the_wait_and_where_to_act():
    link = "https://rtb.slack.com/archives/C_APPROVALS/p1700000001000100"
    dm = render_escalation_dm(PENDING, ESCALATED_AT + timedelta(minutes=2), link, TZ)
    assert_golden("approval_escalation_dm", dm)
    text = shown(dm)
    assert "*AR-7K3Q9* has waited 12 min for a team lead" in text
    assert "<@UOPERATOR1> asks to *scale* `preview-proj-7/app` in *prd*" in text
    assert "2 replicas → 0 replicas" in text
    assert f"<{link}|the approval card>" in text
    assert "`/rtb approve AR-7K3Q9`" in text
    assert buttons(dm) == [  # the card's own actions: the gate decides, whoever and wherever
        ("Approve", "approval_approve", "AR-7K3Q9"),
        ("Reject", "approval_reject", "AR-7K3Q9"),
    ]


def test_the_page_summary_is_plain_text_with_the_request_and_the_wait():
    summary = page_summary(PENDING, ESCALATED_AT)
    assert summary.startswith("prd approval AR-7K3Q9 has waited 10 min for a team lead: scale")
    assert "2 replicas -> 0 replicas" in summary and "<@" not in summary
    assert len(page_summary(replace(PENDING, reason="x" * 3000), ESCALATED_AT)) < 1024

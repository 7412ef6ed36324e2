"""Approval renderers against golden JSON (UPDATE_GOLDEN=1 rewrites them)."""

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from approvals.audit import AuditEvent, AuditPage, AuditRecord
from approvals.mutations import Change
from approvals.outcomes import (
    ApprovalRequested,
    Decided,
    DecisionRefused,
    Ran,
    ReasonNeeded,
    Refused,
    RunResult,
    VoteCounted,
)
from approvals.policy import Policy
from approvals.requests import ApprovalRequest, CardRef
from approvals.roles import RoleInfo
from approvals.workload_mutations import ScaleDeployment
from handlers.render.approvals import (
    render_approval_card,
    render_decision_outcome,
    render_gate_outcome,
    render_open_requests,
    render_reason_modal,
    render_request_outcome,
    render_unknown_alert,
    when,
)
from handlers.render.i18n import use_locale
from handlers.render.policy import AuditWindow, render_audit, render_policy, render_whoami
from ops.config import Config
from tests.golden import GOLDEN_DIR, assert_golden, buttons, korean, shown

TZ = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 3, 14, 1, 30, tzinfo=UTC)
CONFIG = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
# As the gate has classified it (the namespace is labelled a preview).
SPEC = replace(
    ScaleDeployment.build(CONFIG, "prd", "preview-proj-7", "app", 0), action="preview.workload"
)
DECISION = Policy(CONFIG).decide(SPEC.action, "prd", "operator", "C_OPS")
LEADS = ["ULEAD1", "ULEAD2"]
PENDING = ApprovalRequest(
    id="AR-7K3Q9",
    action=SPEC.action,
    mutation="scale",
    env="prd",
    target="preview-proj-7/app",
    params=SPEC.params,
    digest=SPEC.digest,
    preflight={"replicas": 2, "images": {"app": "rtb-hub:preview-proj-7"}},
    change=Change("2 replicas", "0 replicas"),
    requester="UOPERATOR1",
    reason="incident INC-42: <crash loop> & alerts",
    channel="C_OPS",
    status="pending",
    required_approvals=1,
    created_at=AT,
    expires_at=AT + timedelta(minutes=30),
    cards=(CardRef("C_APPROVALS", "1700000000.000100"),),
)
SUCCEEDED = replace(
    PENDING,
    status="succeeded",
    approvers=("ULEAD1",),
    decided_at=AT + timedelta(minutes=3),
    finished_at=AT + timedelta(minutes=3, seconds=1),
    result={"replicas": 0},
)
DRIFTED = replace(
    SUCCEEDED,
    status="failed",
    result={"drift": {"was": "2 replicas (app=v1)", "now": "3 replicas (app=v1)"}},
)
REJECTED = replace(
    PENDING,
    status="rejected",
    decided_by="ULEAD2",
    decided_at=AT + timedelta(minutes=5),
    decision_note="use the KEDA pause",
)
UNKNOWN = replace(SUCCEEDED, status="unknown", result={"interrupted": True})


def test_cards_in_every_state():
    pending = render_approval_card(PENDING, LEADS, TZ)
    assert_golden("approvals_card_pending", pending)
    assert pending.text.startswith("Approval needed (AR-7K3Q9) from <@ULEAD1> <@ULEAD2>")
    for fact in ("2 replicas → 0 replicas", "0 of 1", "2025-03-14 11:00 KST", "`6fe32d1a3687`"):
        assert fact in shown(pending)
    assert "&lt;crash loop&gt; &amp; alerts" in shown(pending)  # the reason, escaped
    assert buttons(pending) == [
        ("Approve", "approval_approve", "AR-7K3Q9"),
        ("Reject", "approval_reject", "AR-7K3Q9"),
    ]
    two = render_approval_card(
        replace(PENDING, required_approvals=2, approvers=("ULEAD1",)), LEADS, TZ
    )
    assert_golden("approvals_card_one_of_two", two)
    in_korean = korean(
        "approvals_card_one_of_two",
        lambda: render_approval_card(
            replace(PENDING, required_approvals=2, approvers=("ULEAD1",)), LEADS, TZ
        ),
    )
    assert "AR-7K3Q9" in in_korean and "1/2: <@ULEAD1>" in in_korean
    assert "1 of 2: <@ULEAD1>" in shown(two) and len(buttons(two)) == 2
    expired = replace(PENDING, status="expired", decided_at=PENDING.expires_at)
    for name, request in [
        ("succeeded", SUCCEEDED),
        ("drifted", DRIFTED),
        ("rejected", REJECTED),
        ("unknown", UNKNOWN),
        ("expired", expired),
    ]:
        card = render_approval_card(request, LEADS, TZ)
        assert_golden(f"approvals_card_{name}", card)
        assert card.text == f"AR-7K3Q9: scale preview-proj-7/app in prd — {request.status}"
        assert buttons(card) == []  # a decided card has nothing left to click
        assert "2025-03-14 10:30 KST" in shown(card)  # when it was requested


def test_thread_messages():
    succeeded = render_request_outcome(SUCCEEDED)
    assert_golden("approvals_thread_succeeded", succeeded)
    for fact in ("succeeded: 2 replicas → 0 replicas", "by <@UOPERATOR1>", "by <@ULEAD1>"):
        assert fact in succeeded.text
    drifted = render_request_outcome(DRIFTED)
    assert_golden("approvals_thread_drifted", drifted)
    assert "was 2 replicas (app=v1), now 3 replicas (app=v1)" in drifted.text
    assert drifted.text.endswith("Nothing was changed.")  # it knows: the run stopped before
    alert = render_unknown_alert(UNKNOWN, LEADS)
    assert_golden("approvals_thread_unknown_alert", alert)
    assert alert.text.startswith(":warning: <@ULEAD1> <@ULEAD2> *AR-7K3Q9*")
    assert "may or may not have been applied" in alert.text and "Nothing" not in alert.text


def test_gate_outcomes_for_the_requester():
    refused = Policy(CONFIG).decide("hub.scale", "stg", "operator", "C_OPS")
    refusal = render_gate_outcome(Refused(SPEC, refused), "#a", TZ)
    assert_golden("approvals_refused", refusal)
    assert refusal.text.startswith(":no_entry: Refused: stg core infrastructure is never modified")
    assert "`policy hub.scale stg = deny`" in refusal.text
    int_spec = ScaleDeployment.build(CONFIG, "int", "rtb-ai-hub", "workflow-engine", 3)
    allow = Policy(CONFIG).decide(int_spec.action, "int", "operator", "C_OPS")
    ran = Ran(int_spec, allow, Change("1 replica", "3 replicas"), RunResult("succeeded"))
    ran_message = render_gate_outcome(ran, "#a", TZ)
    assert_golden("approvals_ran", ran_message)
    assert "`rtb-ai-hub/workflow-engine` in *int*: 1 replica → 3 replicas" in ran_message.text
    sent = ApprovalRequested(SPEC, DECISION, PENDING)
    sent_message = render_gate_outcome(sent, "#rtb-approvals", TZ)
    assert_golden("approvals_request_sent", sent_message)
    for fact in (
        "*AR-7K3Q9* sent to #rtb-approvals",
        "2025-03-14 11:00 KST",
        "/rtb cancel AR-7K3Q9",
    ):
        assert fact in sent_message.text


def test_answers_to_a_lead():
    counted = render_decision_outcome(VoteCounted(PENDING), TZ)
    assert_golden("approvals_counted", counted)
    assert "*AR-7K3Q9* is counted (0 of 1)" in counted.text
    approved = render_decision_outcome(Decided(SUCCEEDED), TZ)
    assert_golden("approvals_approved", approved)
    assert approved.text.startswith("You approved *AR-7K3Q9*: succeeded.")
    self_approval = render_decision_outcome(DecisionRefused("self_approval", PENDING), TZ)
    assert_golden("approvals_self_approval", self_approval)
    assert "cannot approve your own request AR-7K3Q9" in self_approval.text
    done = render_decision_outcome(DecisionRefused("not_pending", SUCCEEDED), TZ)
    assert_golden("approvals_already_done", done)
    assert "AR-7K3Q9 is already approved and done (succeeded)" in done.text
    listed = render_open_requests([PENDING], TZ)
    assert_golden("approvals_list", listed)
    assert listed.text == "1 open approval request(s)"
    for fact in ("*AR-7K3Q9*", "2 replicas → 0 replicas", "<@UOPERATOR1>", "0 of 1 approvals"):
        assert fact in shown(listed)


def test_policy_whoami_and_audit():
    policy = Policy(CONFIG)
    policy_message = render_policy(policy.rows())
    assert_golden("approvals_policy", policy_message)
    assert "hub.scale         yes       never     never" in shown(policy_message)
    assert "preview.create    yes       yes       approval" in shown(policy_message)
    assert "preview.extend    yes       yes       approval" in shown(policy_message)
    info = RoleInfo("operator", "users")
    whoami = render_whoami("UOPERATOR1", info, policy.for_role("operator"))
    assert_golden("approvals_whoami", whoami)
    assert "<@UOPERATOR1>: *operator* (from user list)" in shown(whoami)
    event = AuditEvent(
        "UOPERATOR1",
        "scale",
        "requested",
        "prd",
        SPEC.params,
        SPEC.digest,
        "corr1",
        "AR-7K3Q9",
        {"rule": DECISION.rule},
    )
    refused = AuditEvent(
        "UVIEWER1",
        "scale",
        "refused",
        "int",
        SPEC.params,
        detail={"reason": "viewers cannot request changes"},
    )
    page = AuditPage((AuditRecord(2, AT, refused), AuditRecord(1, AT, event)), 0, 2)
    window = AuditWindow("of the last 7 days", AT - timedelta(days=7), None)
    audit = render_audit(page, window, TZ)
    assert_golden("approvals_audit", audit)
    assert audit.text == "2 of 2 audit events"
    assert f"since {when(AT - timedelta(days=7), TZ)} (Asia/Seoul) · all, newest first" in shown(
        audit
    )
    lines = [line for line in shown(audit).splitlines() if line.startswith("`#")]
    assert [line.split()[0] for line in lines] == ["`#2`", "`#1`"]  # newest first
    assert "int → refused — viewers cannot request changes" in lines[0]
    assert "prd → requested (AR-7K3Q9)" in lines[1]
    paged = render_audit(
        replace(page, offset=30, total=212), replace(window, next_page="/rtb audit --page 3"), TZ
    )
    assert "31–32 of 212, newest first · `/rtb audit --page 3` for older ones" in shown(paged)


def test_the_reason_modal():
    view = render_reason_modal(
        ReasonNeeded(SPEC, DECISION, Change("2 replicas", "0 replicas"), "D-tok")
    )
    path = GOLDEN_DIR / "approvals_reason_modal.json"
    actual = json.dumps(view.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        assert not os.environ.get("CI"), f"{path} missing: golden files are committed"
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
    assert view.private_metadata == "D-tok" and view.callback_id == "approval_reason"


def test_a_refusal_audited_by_its_code_is_worded_in_each_language():
    """A lead clicking Approve on their own request is audited with the code `self_approval`
    only: the audit log words it (it showed "self approval" in every language)."""
    own = AuditEvent(
        "ULEAD1",
        "scale",
        "refused",
        "prd",
        SPEC.params,
        approval_id="AR-7K3Q9",
        detail={"refused": "self_approval"},
    )
    page = AuditPage((AuditRecord(3, AT, own),), 0, 1)
    window = AuditWindow("of the last 7 days", AT - timedelta(days=7), None)
    english = shown(render_audit(page, window, TZ))
    with use_locale("ko"):
        korean = shown(render_audit(page, window, TZ))
    assert "prd → refused (AR-7K3Q9) — own request: another team lead must approve" in english
    assert "prd → refused (AR-7K3Q9) — 본인 요청: 다른 팀장이 승인해야 함" in korean

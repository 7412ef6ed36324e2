"""Approval renderers against golden JSON (UPDATE_GOLDEN=1 rewrites them)."""

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from approvals.audit import AuditEvent, AuditRecord
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
)
from handlers.render.policy import render_audit, render_policy, render_whoami
from ops.config import Config
from tests.golden import GOLDEN_DIR, assert_golden

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
    assert_golden("approvals_card_pending", render_approval_card(PENDING, LEADS, TZ))
    two = replace(PENDING, required_approvals=2, approvers=("ULEAD1",))
    assert_golden("approvals_card_one_of_two", render_approval_card(two, LEADS, TZ))
    assert_golden("approvals_card_succeeded", render_approval_card(SUCCEEDED, LEADS, TZ))
    assert_golden("approvals_card_drifted", render_approval_card(DRIFTED, LEADS, TZ))
    assert_golden("approvals_card_rejected", render_approval_card(REJECTED, LEADS, TZ))
    assert_golden("approvals_card_unknown", render_approval_card(UNKNOWN, LEADS, TZ))
    expired = replace(PENDING, status="expired", decided_at=PENDING.expires_at)
    assert_golden("approvals_card_expired", render_approval_card(expired, LEADS, TZ))


def test_thread_messages():
    assert_golden("approvals_thread_succeeded", render_request_outcome(SUCCEEDED))
    assert_golden("approvals_thread_drifted", render_request_outcome(DRIFTED))
    assert_golden("approvals_thread_unknown_alert", render_unknown_alert(UNKNOWN, LEADS))


def test_gate_outcomes_for_the_requester():
    refused = Policy(CONFIG).decide("hub.scale", "stg", "operator", "C_OPS")
    assert_golden("approvals_refused", render_gate_outcome(Refused(SPEC, refused), "#a", TZ))
    int_spec = ScaleDeployment.build(CONFIG, "int", "rtb-ai-hub", "workflow-engine", 3)
    allow = Policy(CONFIG).decide(int_spec.action, "int", "operator", "C_OPS")
    ran = Ran(int_spec, allow, Change("1 replica", "3 replicas"), RunResult("succeeded"))
    assert_golden("approvals_ran", render_gate_outcome(ran, "#a", TZ))
    sent = ApprovalRequested(SPEC, DECISION, PENDING)
    assert_golden("approvals_request_sent", render_gate_outcome(sent, "#rtb-approvals", TZ))


def test_answers_to_a_lead():
    assert_golden("approvals_counted", render_decision_outcome(VoteCounted(PENDING), TZ))
    assert_golden("approvals_approved", render_decision_outcome(Decided(SUCCEEDED), TZ))
    self_approval = DecisionRefused("self_approval", PENDING)
    assert_golden("approvals_self_approval", render_decision_outcome(self_approval, TZ))
    done = DecisionRefused("not_pending", SUCCEEDED)
    assert_golden("approvals_already_done", render_decision_outcome(done, TZ))
    assert_golden("approvals_list", render_open_requests([PENDING], TZ))


def test_policy_whoami_and_audit():
    policy = Policy(CONFIG)
    assert_golden("approvals_policy", render_policy(policy.rows()))
    info = RoleInfo("operator", "user list")
    assert_golden(
        "approvals_whoami", render_whoami("UOPERATOR1", info, policy.for_role("operator"))
    )
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
    records = [AuditRecord(2, AT, refused), AuditRecord(1, AT, event)]
    assert_golden("approvals_audit", render_audit(records, "of the last 7 days", TZ))


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

"""What the bot says about a change whose result its database could not record (golden JSON and
the key facts): applied or may have been applied, and where the result went — never "nothing
was changed" for a change that was sent."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from approvals.mutations import Change
from approvals.namespaces import PREVIEW_WORKLOAD
from approvals.outcomes import Decided, Ran, Recording, RunResult, RunStatus
from approvals.policy import Policy
from approvals.requests import ApprovalRequest
from approvals.workload_mutations import ScaleDeployment
from handlers.render.approvals import (
    render_approval_card,
    render_decision_outcome,
    render_gate_outcome,
    render_request_outcome,
)
from handlers.render.message import Message
from ops.config import Config
from tests.golden import assert_golden, korean

TZ = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 3, 14, 1, 30, tzinfo=UTC)
CONFIG = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
INT_SPEC = ScaleDeployment.build(CONFIG, "int", "rtb-ai-hub", "workflow-engine", 3)
ALLOW = Policy(CONFIG).decide(INT_SPEC.action, "int", "operator", "C_OPS")
PRD_SPEC = replace(  # as the gate classifies it: the namespace is labelled a preview
    ScaleDeployment.build(CONFIG, "prd", "preview-proj-7", "app", 0), action=PREVIEW_WORKLOAD
)
KEPT = "The result is kept and will be recorded in the audit log when the database is back"
SENT = "stopped answering before it was written"
RAN_UNRECORDED = ApprovalRequest(
    id="AR-7K3Q9",
    action=PRD_SPEC.action,
    mutation="scale",
    env="prd",
    target="preview-proj-7/app",
    params=PRD_SPEC.params,
    digest=PRD_SPEC.digest,
    preflight={"replicas": 2},
    change=Change("2 replicas", "0 replicas"),
    requester="UOPERATOR1",
    reason="incident INC-42",
    channel="C_OPS",
    status="succeeded",
    required_approvals=1,
    created_at=AT,
    expires_at=AT + timedelta(minutes=30),
    approvers=("ULEAD1",),
    decided_at=AT + timedelta(minutes=3),
    finished_at=AT + timedelta(minutes=3, seconds=1),
    result={"replicas": 0, "unrecorded": "spooled"},
)


def text(message: Message) -> str:
    return message.text + " ".join(str(block.to_dict()) for block in message.blocks)


def ran(status: RunStatus, recording: Recording) -> Ran:
    result = {"error": "Kubernetes int: timed out"} if status == "unknown" else {}
    change = Change("1 replica", "3 replicas")
    return Ran(INT_SPEC, ALLOW, change, RunResult(status, result), recording)


def test_an_allowed_change_applied_but_not_recorded():
    message = render_gate_outcome(ran("succeeded", "spooled"), "#a", TZ)
    assert_golden("recording_ran_spooled", message)
    in_korean = korean(
        "recording_ran_spooled", lambda: render_gate_outcome(ran("succeeded", "spooled"), "#a", TZ)
    )
    assert "1 replica → 3 replicas" in in_korean and "결과는 보관 중이며" in in_korean
    words = text(message)
    assert "1 replica → 3 replicas" in words and "Recording the result failed" in words
    assert KEPT in words and SENT in words and "nothing was changed" not in words.lower()


def test_an_allowed_change_that_may_have_been_applied_and_could_not_be_kept():
    message = render_gate_outcome(ran("unknown", "logged"), "#a", TZ)
    assert_golden("recording_ran_unknown_logged", message)
    in_korean = korean(
        "recording_ran_unknown_logged",
        lambda: render_gate_outcome(ran("unknown", "logged"), "#a", TZ),
    )
    assert "적용됐는지 알 수 없으니 확인하세요" in in_korean and "봇 로그에만" in in_korean
    words = text(message)
    assert "may or may not have been applied; check it" in words
    assert "could not be kept on disk either: it is only in the bot's log" in words
    assert "nothing was changed" not in words.lower()


def test_a_recorded_change_says_nothing_about_recording():
    words = text(render_gate_outcome(ran("succeeded", "recorded"), "#a", TZ))
    assert "Recording" not in words


def test_the_lead_who_approved_hears_what_is_known():
    message = render_decision_outcome(Decided(RAN_UNRECORDED), TZ)
    assert_golden("recording_approved_spooled", message)
    in_korean = korean(
        "recording_approved_spooled", lambda: render_decision_outcome(Decided(RAN_UNRECORDED), TZ)
    )
    assert "*AR-7K3Q9* 승인했습니다: 적용했습니다" in in_korean
    words = text(message)
    assert "You approved *AR-7K3Q9*: applied (2 replicas → 0 replicas)." in words
    assert KEPT in words and "nothing was changed" not in words.lower()
    unknown = replace(
        RAN_UNRECORDED, status="unknown", result={"error": "x", "unrecorded": "spooled"}
    )
    words = text(render_decision_outcome(Decided(unknown), TZ))
    assert "may or may not have been applied. Check `preview-proj-7/app` in prd by hand" in words
    failed = replace(
        RAN_UNRECORDED, status="failed", result={"error": "HTTP 409", "unrecorded": "spooled"}
    )
    words = text(render_decision_outcome(Decided(failed), TZ))
    assert "not applied: HTTP 409. Nothing was changed." in words  # the server refused it


def test_the_card_and_its_thread_say_the_record_follows():
    card = render_approval_card(RAN_UNRECORDED, ["ULEAD1"], TZ)
    assert_golden("recording_card_spooled", card)
    in_korean = korean(
        "recording_card_spooled", lambda: render_approval_card(RAN_UNRECORDED, ["ULEAD1"], TZ)
    )
    assert "*성공*" in in_korean and "결과는 보관 중이며" in in_korean
    assert "*Succeeded*" in text(card) and KEPT in text(card)
    thread = render_request_outcome(RAN_UNRECORDED)
    assert_golden("recording_thread_spooled", thread)
    in_korean = korean("recording_thread_spooled", lambda: render_request_outcome(RAN_UNRECORDED))
    assert "성공: 2 replicas → 0 replicas. 요청: <@UOPERATOR1>, 승인: <@ULEAD1>" in in_korean
    assert "succeeded" in text(thread) and KEPT in text(thread)

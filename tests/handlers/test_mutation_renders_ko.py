"""The changes' renderers in Korean (issue 14): the approval card a lead reads before approving
a prd change, the gate's answers, the lead's answers, the policy, the queue / preview / rollout
results and the escalation, each against its golden in `golden/ko/` and with its key facts
asserted here: env, target, mutation and ids verbatim, button values and action_ids the same as
in English, Block Kit's limits kept although Korean is wider."""

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from approvals.mutations import Change
from approvals.outcomes import (
    ApprovalRequested,
    ConfirmNeeded,
    Decided,
    DecisionRefused,
    Ran,
    ReasonNeeded,
    Refused,
    RunResult,
    VoteCounted,
)
from approvals.policy import Policy
from approvals.queue_mutations import PauseQueue, ResumeQueue, RetryFailedJobs
from approvals.requests import Escalated
from approvals.roles import RoleInfo
from approvals.workload_mutations import ScaleDeployment
from handlers.render.approvals import (
    escalation_note,
    render_approval_card,
    render_approvals_db_down,
    render_decision_outcome,
    render_gate_outcome,
    render_open_requests,
    render_reason_form_failed,
    render_reason_modal,
    render_request_outcome,
    render_unknown_alert,
)
from handlers.render.escalation import page_summary, render_escalation_dm
from handlers.render.i18n import LOCALES, use_locale
from handlers.render.message import Message
from handlers.render.policy import AuditWindow, render_audit, render_policy, render_whoami
from handlers.render.preview_mutations import render_cleanup
from handlers.render.queue_mutations import render_queue_change
from handlers.render.rollouts import (
    ImageChoices,
    UndoButton,
    describe_undo,
    render_rollout_final,
    render_rollout_progress,
    render_set_image_modal,
    with_following_note,
)
from ops.errors import BackendError
from ops.rollouts.follow import FollowedRollouts, Observation
from tests.golden import assert_golden, buttons, shown
from tests.handlers.test_approvals_render import (
    AT,
    CONFIG,
    DECISION,
    DRIFTED,
    LEADS,
    PENDING,
    REJECTED,
    SPEC,
    SUCCEEDED,
    TZ,
    UNKNOWN,
)
from tests.handlers.test_preview_cleanup_hub import ran as cleanup_ran
from tests.handlers.test_preview_mutations import _cleanup_envs
from tests.handlers.test_queue_mutations import counts
from tests.handlers.test_queue_mutations import ran as queue_ran

APPROVE_REJECT = [
    ("승인", "approval_approve", "AR-7K3Q9"),
    ("반려", "approval_reject", "AR-7K3Q9"),
]
WHAT = "*prd* `preview-proj-7/app` *scale*"  # env, target and mutation verbatim


def ko(render: Any, *args: Any, **kwargs: Any) -> Any:
    with use_locale("ko"):
        return render(*args, **kwargs)


def golden(name: str, message: Message) -> str:
    """Compared with `golden/ko/<name>.json`; every text filled in (no `{placeholder}` left)."""
    with use_locale("ko"):
        assert_golden(name, message)
    text = shown(message)
    assert not re.search(r"\{[a-z_]+\}", text), text
    return text


def view_message(view: Any) -> Message:
    """A modal as a message for its golden: title / submit / close, then its blocks."""
    as_dict = view.to_dict()
    head = " | ".join(as_dict[key]["text"] for key in ("title", "submit", "close"))
    return Message(text=head, blocks=tuple(view.blocks))


# -- the card and its thread -------------------------------------------------------------------


def test_the_pending_card_says_exactly_what_will_happen_in_korean():
    card = ko(render_approval_card, PENDING, LEADS, TZ)
    text = golden("approvals_card_pending", card)
    assert card.text == "승인 필요 (AR-7K3Q9), <@ULEAD1> <@ULEAD2>: prd preview-proj-7/app scale"
    assert "승인 필요: prd scale (AR-7K3Q9)" in text  # the header
    assert f"<@UOPERATOR1> 님이 요청합니다: {WHAT}" in text  # who asked, what
    for fact in (
        "*변경*\n2 replicas → 0 replicas",
        "*사유*\nincident INC-42: &lt;crash loop&gt; &amp; alerts",  # why, escaped
        "*승인*\n0/1",
        "*만료*\n2025-03-14 11:00 KST",
        "팀장 승인 1건 필요 · digest `6fe32d1a3687`",
        "팀장: <@ULEAD1> <@ULEAD2>",
    ):
        assert fact in text
    assert buttons(card) == APPROVE_REJECT  # values and action_ids as in English


@pytest.mark.parametrize(
    ("name", "request_", "line"),
    [
        ("succeeded", SUCCEEDED, "*성공* — 승인: <@ULEAD1> (2025-03-14 10:33 KST), 완료: "),
        ("drifted", DRIFTED, "승인 후 상태가 바뀌었습니다 (승인 때 2 replicas (app=v1), 지금 3"),
        ("rejected", REJECTED, "*반려* — <@ULEAD2> (2025-03-14 10:35 KST): use the KEDA pause"),
        ("unknown", UNKNOWN, "*결과 불명* — 실행 도중 봇이 멈췄습니다. 변경이 적용됐는지 알 수"),
        (
            "expired",
            replace(PENDING, status="expired", decided_at=PENDING.expires_at),
            "*만료* — 필요한 승인을 받지 못하고 만료됐습니다 (2025-03-14 11:00 KST).",
        ),
    ],
)
def test_a_decided_card_in_korean(name, request_, line):
    card = ko(render_approval_card, request_, LEADS, TZ)
    text = golden(f"approvals_card_{name}", card)
    assert line in text and f"<@UOPERATOR1> 님이 요청했습니다: {WHAT}" in text
    assert "*요청 시각*\n2025-03-14 10:30 KST" in text
    assert buttons(card) == []


def test_the_card_failed_line_never_says_unchanged_for_an_unknown_outcome():
    unknown = ko(render_approval_card, UNKNOWN, LEADS, TZ)
    drifted = ko(render_approval_card, DRIFTED, LEADS, TZ)
    assert "변경하지 않았습니다" not in shown(unknown)  # it may have happened
    assert "변경하지 않았습니다" in shown(drifted)  # it knows: the run stopped before


def test_the_thread_and_the_unknown_alert_in_korean():
    succeeded = ko(render_request_outcome, SUCCEEDED)
    golden("approvals_thread_succeeded", succeeded)
    assert succeeded.text == (
        f":white_check_mark: *AR-7K3Q9*: {WHAT} 성공: 2 replicas → 0 replicas. "
        "요청: <@UOPERATOR1>, 승인: <@ULEAD1>"
    )
    drifted = ko(render_request_outcome, DRIFTED)
    golden("approvals_thread_drifted", drifted)
    assert drifted.text.startswith(f":x: <@UOPERATOR1> *AR-7K3Q9*: {WHAT} — 실행하지 않았습니다")
    assert drifted.text.endswith("변경하지 않았습니다.")
    rejected = ko(render_request_outcome, REJECTED)
    assert "— <@ULEAD2> 님이 반려했습니다: use the KEDA pause" in rejected.text
    alert = ko(render_unknown_alert, UNKNOWN, LEADS)
    golden("approvals_thread_unknown_alert", alert)
    assert alert.text.startswith(":warning: <@ULEAD1> <@ULEAD2> *AR-7K3Q9* (")
    assert "prd `preview-proj-7/app` 상태를 직접 확인하세요. 다시 실행하지 않습니다." in alert.text


# -- the requester's answers and the modal -----------------------------------------------------


def test_the_gate_answers_in_korean():
    refused = Policy(CONFIG).decide("hub.scale", "stg", "operator", "C_OPS")
    refusal = ko(render_gate_outcome, Refused(SPEC, refused), "#a", TZ)
    golden("approvals_refused", refusal)
    assert refusal.text.startswith(":no_entry: 거부: ")
    assert "\n규칙: `policy hub.scale stg = deny`" in refusal.text
    int_spec = ScaleDeployment.build(CONFIG, "int", "rtb-ai-hub", "workflow-engine", 3)
    allow = Policy(CONFIG).decide(int_spec.action, "int", "operator", "C_OPS")
    ran = Ran(int_spec, allow, Change("1 replica", "3 replicas"), RunResult("succeeded"))
    ran_message = ko(render_gate_outcome, ran, "#a", TZ)
    golden("approvals_ran", ran_message)
    assert "*int* `rtb-ai-hub/workflow-engine` *scale*: 1 replica → 3 replicas" in ran_message.text
    failed = replace(ran, run=RunResult("failed", {"error": "HTTP 409"}))
    assert ko(render_gate_outcome, failed, "#a", TZ).text.endswith(
        "실패: HTTP 409. 변경하지 않았습니다."
    )
    sent = ko(render_gate_outcome, ApprovalRequested(SPEC, DECISION, PENDING), "#rtb-approvals", TZ)
    golden("approvals_request_sent", sent)
    for fact in (
        f"승인 요청 *AR-7K3Q9* — {WHAT} (2 replicas → 0 replicas)",
        "보낸 곳: #rtb-approvals",
        "만료: 2025-03-14 11:00 KST",
        "철회: `/rtb cancel AR-7K3Q9`",
    ):
        assert fact in sent.text
    by_dm = ko(render_gate_outcome, ApprovalRequested(SPEC, DECISION, PENDING), "dm", TZ)
    assert "보낸 곳: 각 팀장 DM" in by_dm.text


def test_the_confirmation_keeps_its_buttons_in_korean():
    change = Change("1 replica", "0 replicas")
    asked = ConfirmNeeded(SPEC, DECISION, change, "D-abc123", "KEDA owns it.")
    confirm = ko(render_gate_outcome, asked, "#a", TZ)
    text = golden("approvals_confirm", confirm)
    assert confirm.text == "확인 필요 — scale preview-proj-7/app in prd: 1 replica → 0 replicas"
    assert f":warning: {WHAT}: 1 replica → 0 replicas\nKEDA owns it. 진행하려면 확인을" in text
    assert buttons(confirm) == [
        ("확인", "mutation_confirm", "D-abc123"),
        ("취소", "mutation_cancel", "D-abc123"),
    ]


def test_the_reason_modal_and_its_failure_in_korean():
    asked = ReasonNeeded(SPEC, DECISION, Change("2 replicas", "0 replicas"), "D-tok")
    view = ko(render_reason_modal, asked)
    text = golden("approvals_reason_modal", view_message(view))
    assert text.startswith("승인 필요 | 승인 요청 | 취소")
    assert f"{WHAT}: 2 replicas → 0 replicas" in text and "사유 (장애, 티켓" in text
    assert view.callback_id == "approval_reason" and view.private_metadata == "D-tok"
    failed = ko(render_reason_form_failed, asked)
    assert "사유 입력 양식이 열리지 않았습니다" in failed.text and '`--reason "…"`' in failed.text


# -- a lead's answers --------------------------------------------------------------------------


def test_the_answers_to_a_lead_in_korean():
    counted = ko(render_decision_outcome, VoteCounted(PENDING), TZ)
    golden("approvals_counted", counted)
    assert counted.text.startswith(":ballot_box_with_check: *AR-7K3Q9* 승인이 반영됐습니다 (0/1)")
    approved = ko(render_decision_outcome, Decided(SUCCEEDED), TZ)
    golden("approvals_approved", approved)
    assert approved.text.startswith("*AR-7K3Q9* 승인했습니다: 성공.")
    self_approval = ko(render_decision_outcome, DecisionRefused("self_approval", PENDING), TZ)
    golden("approvals_self_approval", self_approval)
    assert "AR-7K3Q9: 본인 요청은 승인할 수 없습니다" in self_approval.text
    done = ko(render_decision_outcome, DecisionRefused("not_pending", SUCCEEDED), TZ)
    golden("approvals_already_done", done)
    assert "AR-7K3Q9: 이미 처리된 요청입니다 (승인되어 성공적으로 완료됨)." in done.text
    listed = ko(render_open_requests, [PENDING], TZ)
    golden("approvals_list", listed)
    assert listed.text == "진행 중인 승인 요청 1건"
    assert "승인 0/1, 만료 2025-03-14 11:00 KST" in shown(listed)
    assert "대기 중인 승인 요청이 없습니다." in ko(render_open_requests, [], TZ).text
    assert "아무것도 변경하지 않았습니다" in ko(render_approvals_db_down).text


# -- policy, whoami, audit ----------------------------------------------------------------------


def test_policy_whoami_and_audit_in_korean():
    policy = Policy(CONFIG)
    grid = ko(render_policy, policy.rows())
    text = golden("approvals_policy", grid)
    # a Korean cell takes two columns of the code block: the columns still line up
    assert "작업              int       stg       prd" in text
    assert "hub.scale         허용      금지      금지" in text
    assert "preview.create    허용      허용      승인 필요" in text
    whoami = ko(
        render_whoami, "UOPERATOR1", RoleInfo("operator", "users"), policy.for_role("operator")
    )
    golden("approvals_whoami", whoami)
    assert "<@UOPERATOR1>: *operator* (출처: 사용자 목록)" in shown(whoami)
    assert "prd 변경은 팀장 승인을 기다립니다." in shown(whoami)
    from approvals.audit import AuditEvent, AuditPage, AuditRecord

    event = AuditEvent("UOPERATOR1", "scale", "requested", "prd", SPEC.params, SPEC.digest)
    page = AuditPage((AuditRecord(1, AT, event),), 30, 212)
    window = AuditWindow("of the last 7 days", AT - timedelta(days=7), "/rtb audit --page 3")
    audit = ko(render_audit, page, window, TZ)
    golden("approvals_audit", audit)
    assert audit.text == "감사 이벤트 212건 중 1건"
    assert "2025-03-07 10:30 KST 이후 (Asia/Seoul) · 212건 중 31–31, 최신순" in shown(audit)
    assert "이전 기록: `/rtb audit --page 3`" in shown(audit)


# -- queue, preview and rollout results -----------------------------------------------------------


def test_queue_changes_in_korean():
    spec = PauseQueue.build("int", "jira-queue")
    before, after = counts(38, 17, 2, 6, 24), counts(38, 17, 2, 6, 24, paused=True)
    paused = ko(render_queue_change, queue_ran(spec, before, after, spec.describe_change({})))
    text = golden("qmut_paused", paused)
    assert paused.text.startswith("`jira-queue` 일시정지했습니다:") and "대기 잡 55개" in text
    assert "*변경 전*\n실행 중 · 대기 55 · 처리 중 2" in text
    assert "*변경 후*\n일시정지 · 대기 55 · 처리 중 2" in text
    resume = ResumeQueue.build("int", "jira-queue")
    resumed = ko(
        render_queue_change,
        queue_ran(resume, counts(38, 17, paused=True), counts(1200), resume.describe_change({})),
    )
    golden("qmut_resumed", resumed)
    assert resumed.text == "`jira-queue` 재개했습니다: 워커가 다시 잡을 받습니다 (대기 잡 1,200개)."
    retry = RetryFailedJobs.build_retry("int", "jira-queue", 3)
    result = queue_ran(
        retry,
        counts(3, failed=6, paused=True),
        counts(5, failed=4, paused=True),
        retry.describe_change({}),
        retried=("30", "29"),
    )
    result = replace(result, run=RunResult("succeeded", {**result.run.result, "skipped": ["28"]}))
    retried = ko(render_queue_change, result)
    golden("qmut_retried_limit", retried)
    assert "`jira-queue` 최근 실패 잡 3개 중 2개를 재시도했습니다 (`30`, `29`)" in retried.text
    assert retried.text.endswith("실패 6 → 4. 큐가 일시정지 상태라 재개해야 실행됩니다.")


def test_preview_cleanup_in_korean():
    from tests.handlers.test_preview_mutations import APPROVALS
    from tests.handlers.test_preview_mutations import AT as PREVIEW_AT

    message = ko(
        render_cleanup, _cleanup_envs(), dry_run=False, now=PREVIEW_AT, tz=TZ, approvals=APPROVALS
    )
    text = golden("pmut_cleanup", message)
    assert message.text == "Preview 정리: 삭제 1, 실패 1, 만료 발견 3"
    assert "• :x: `preview-proj-131` 실패: kubernetes int: HTTP 500" in text
    assert "*stg*: preview 목록을 읽지 못했습니다 (kubernetes stg: timed out after 5 s)" in text
    dry = ko(
        render_cleanup,
        _cleanup_envs()[:1],
        dry_run=True,
        now=PREVIEW_AT,
        tz=TZ,
        approvals=APPROVALS,
    )
    golden("pmut_cleanup_dry_run", dry)
    assert dry.text == "Preview 정리 — 모의 실행, 삭제 없음: 만료된 preview 2개 삭제 예정"
    assert "*int*: 2개 직접 삭제 예정 (hub 기록은 갱신되지 않음)" in shown(dry)
    assert "• `preview-proj-131` (PROJ-131, 30분 전 만료)" in shown(dry)
    hub = cleanup_ran(
        "int",
        ["preview-proj-130"],
        "succeeded",
        {"via": "hub", "removed": ["PROJ-130"], "count": 1},
    )
    ways = ko(render_cleanup, [hub], dry_run=False, now=PREVIEW_AT, tz=TZ, approvals=APPROVALS)
    golden("pmut_cleanup_ways", ways)
    assert ":broom: *int*: hub의 cleanupExpired 실행: preview 1개 제거 (PROJ-130)." in shown(ways)


def _status(state: str, desired: int, updated: int, available: int, total: int) -> Any:
    from tests.handlers.test_rollouts import _status as status

    return status("workflow-engine", state, desired, updated, available, total)


def test_rollouts_in_korean():
    rolling = FollowedRollouts(
        "int",
        (Observation("rtb-ai-hub", "workflow-engine", _status("progressing", 3, 1, 1, 4)),),
        12.4,
        False,
    )
    progress = ko(render_rollout_progress, rolling)
    golden("rollout_progress", progress)
    assert progress.text == "롤아웃 진행 중 (int): workflow-engine 진행 중"
    assert "`rtb-ai-hub`의 `workflow-engine` (int): 새 replica 3개 중 1개 업데이트" in shown(
        progress
    )
    assert "_변경 후 12초_" in shown(progress)
    stuck = FollowedRollouts(
        "int",
        (
            Observation("rtb-ai-hub", "workflow-engine", _status("failed", 3, 1, 1, 4)),
            Observation(
                "rtb-ai-hub",
                "auth-service",
                None,
                BackendError("kubernetes int", "timed out after 5 s"),
            ),
        ),
        300.2,
        timed_out=True,
    )
    offers = [
        UndoButton("workflow-engine", "roll `workflow-engine` back to revision 3", "D-undo1"),
        UndoButton("auth-service", "roll `auth-service` back to revision 2", "D-undo2"),
    ]
    final = ko(render_rollout_final, stuck, offers)
    text = golden("rollout_final_timeout", final)
    assert final.text == "롤아웃 시간 초과 (int): workflow-engine 실패, auth-service 읽을 수 없음"
    assert "*롤아웃 실패* (progress deadline 초과)" in text and "_300초 후 시간 초과._" in text
    assert buttons(final) == [
        ("workflow-engine 롤백", "mutation_rollback.1", "D-undo1"),
        ("auth-service 롤백", "mutation_rollback.2", "D-undo2"),
    ]
    spec = ScaleDeployment.build(CONFIG, "int", "rtb-ai-hub", "workflow-engine", 2)
    assert ko(describe_undo, spec) == "`workflow-engine` replica 2개로 복원"
    note = ko(with_following_note, Message("x"), "below")
    assert shown(note).endswith(
        ":eyes: 롤아웃을 지켜보고 있습니다. 진행 상황과 최종 상태는 아래에 올립니다."
    )


def test_the_set_image_modal_in_korean():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from ops.images import PushedTag

    pushed = (PushedTag("v1.42.0", datetime(2025, 3, 10, 1, 30, tzinfo=UTC), "sha256:1"),)
    choices = ImageChoices(
        "int",
        "rtb-ai-hub",
        "workflow-engine",
        "workflow-engine",
        "v1.42.0",
        ((2, "v1.41.1"),),
        pushed,
    )
    view = ko(render_set_image_modal, choices, "{}", ZoneInfo("Asia/Seoul"))
    text = golden("rollout_set_image_modal", view_message(view))
    assert text.startswith("이미지 변경 | 이미지 변경 | 취소")
    assert "v1.41.1 (리비전 2)" in text and "v1.42.0 (03-10 10:30 push, 지금 실행 중)" in text
    assert view.callback_id == "set_image_pick"


# -- escalation ----------------------------------------------------------------------------------


def test_the_escalation_in_korean():
    escalated_at = PENDING.created_at + timedelta(minutes=10)
    paged = Escalated(escalated_at, ("ULEAD1", "ULEAD2"), "ULEAD1", True, "sent")
    card = ko(render_approval_card, replace(PENDING, escalation=paged), LEADS, TZ)
    golden("approval_card_escalated", card)
    assert (
        ":rotating_light: 10:40 KST 에스컬레이션 — DM: <@ULEAD1> <@ULEAD2>; "
        "<@ULEAD1> 호출함 (PagerDuty)" in shown(card)
    )
    assert buttons(card) == APPROVE_REJECT
    never = Escalated(escalated_at, ("ULEAD1",), "ULEAD1", True, "unavailable")
    assert ko(escalation_note, never, TZ, pending=False).endswith(
        "온콜 팀장은 호출되지 않음 (PagerDuty가 받지 않음)"
    )
    link = "https://rtb.slack.com/archives/C_APPROVALS/p1700000001000100"
    dm = ko(render_escalation_dm, PENDING, escalated_at + timedelta(minutes=2), link, TZ)
    text = golden("approval_escalation_dm", dm)
    assert (
        f"*AR-7K3Q9* 요청이 12분째 팀장을 기다리고 있습니다. 요청자 <@UOPERATOR1>: {WHAT}" in text
    )
    assert f"<{link}|승인 카드>" in text and "`/rtb approve AR-7K3Q9`" in text
    assert buttons(dm) == APPROVE_REJECT
    summary = ko(page_summary, PENDING, escalated_at)
    assert summary.startswith(
        "prd 승인 요청 AR-7K3Q9, 팀장 응답 10분째 대기: scale preview-proj-7/app"
    )
    assert "<@" not in summary


# -- every kind, both locales: no placeholder left, Block Kit's limits kept --------------------


def _every_message() -> list[Message]:
    escalated = replace(PENDING, escalation=Escalated(AT, ("ULEAD1",), "ULEAD1", True, None))
    return [
        *(
            render_approval_card(r, LEADS, TZ)
            for r in (PENDING, SUCCEEDED, DRIFTED, REJECTED, UNKNOWN, escalated)
        ),
        *(render_request_outcome(r) for r in (SUCCEEDED, DRIFTED, REJECTED, UNKNOWN)),
        render_unknown_alert(UNKNOWN, LEADS),
        render_gate_outcome(
            ApprovalRequested(SPEC, DECISION, replace(PENDING, cards=())), "dm", TZ
        ),
        *(
            render_decision_outcome(DecisionRefused(code, PENDING), TZ)
            for code in (
                "unknown_request",
                "busy",
                "not_lead",
                "self_approval",
                "already_voted",
                "not_requester",
                "expired",
                "other",
            )
        ),
        render_policy(Policy(CONFIG).rows()),
        render_escalation_dm(PENDING, AT, None, TZ),
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_fills_its_placeholders_and_keeps_the_limits(locale):
    with use_locale(locale):
        messages = _every_message()
    for message in messages:
        blocks = message.blocks_json()
        assert "{" not in message.text and "}" not in message.text
        for block in blocks:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= 3000
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    assert len(element["text"]["text"]) <= 75
    if locale == "ko":  # and the words are Korean, not English left over
        assert all(any("\uac00" <= c <= "\ud7a3" for c in shown(m)) for m in messages)

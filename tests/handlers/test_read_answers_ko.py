"""The read answers in Korean: every message kind of the alarms, CloudTrail, Logs Insights,
cluster, hub, answer-button and schedules renderers against its `golden/ko/` file, the key
facts (numbers, names, buttons) asserted directly, and Block Kit's limits kept (Korean is
wider). The data is the English goldens' own (their test modules' builders)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from handlers.render.answer_buttons import (
    render_alarm_gone,
    render_click_in_flight,
    render_investigation,
    render_not_this_button,
)
from handlers.render.chart import chart_spec
from handlers.render.cloud import (
    render_alarms,
    render_search,
    render_search_unreadable,
    render_trail,
    render_trail_changes,
)
from handlers.render.cluster import (
    render_can_i,
    render_history,
    render_logs,
    render_pods,
    render_previews,
    render_rollout_status,
)
from handlers.render.cluster_format import columns
from handlers.render.hub import (
    render_costs,
    render_executions,
    render_queue,
    render_queues,
    render_status,
)
from handlers.render.i18n import use_locale
from handlers.render.message import Message
from handlers.render.schedules import ScheduleRow, render_schedules
from ops import pods
from ops.access_reviews import AccessReview, parse_resource, parse_subject
from ops.alarms import AlarmReport
from ops.backends.faults import Unavailable
from ops.costs import AiCosts, CostLine, CostReport, CostWindow, FargateCost
from ops.executions import ExecutionFailure, ExecutionGroup, ExecutionsReport
from ops.fanout import Failed, Part
from ops.logs import LogFilters
from ops.outbox import OutboxStats
from ops.pods import PodList, Termination
from ops.preview_hub import HubListing, join_hub
from ops.previews import EnvFailure, PreviewReport, preview_from
from ops.queues import FailedJob, QueueDetail
from ops.schedule import JobRun
from ops.status import Indicator
from tests.golden import assert_golden, buttons, shown
from tests.handlers import test_cloud as cloud_data
from tests.handlers import test_cluster as cluster_data
from tests.handlers import test_hub as hub_data
from tests.handlers.test_weekly_chart import ai_daily
from tests.handlers.test_weekly_render import digest, fargate_week
from tests.ops.test_cluster import HUB, oom_pod

TZ = "Asia/Seoul"
AT = cloud_data.AT
SEOUL, NOW = cluster_data.SEOUL, cluster_data.NOW
LIMITS = {"header": 150, "button": 75, "section": 3000, "context": 3000}


def korean(name: str, message: Message) -> str:
    """Its ko golden, Block Kit's limits, and all its words as one text."""
    assert_golden(name, message)
    for block in message.blocks_json():
        kind = block["type"]
        if kind == "header":
            assert len(block["text"]["text"]) <= LIMITS["header"]
        if kind == "section":
            texts = [block.get("text") or {}, *block.get("fields", [])]
            assert all(len(t.get("text", "")) <= LIMITS["section"] for t in texts)
            accessory = block.get("accessory") or {}
            assert len(accessory.get("text", {}).get("text", "")) <= LIMITS["button"]
        if kind == "actions":
            assert all(len(e["text"]["text"]) <= LIMITS["button"] for e in block["elements"])
    return shown(message)


@pytest.fixture(autouse=True)
def _in_korean():
    with use_locale("ko"):
        yield


# -- alarms, CloudTrail, Logs Insights ------------------------------------------------------


def test_alarms_in_korean():
    report = AlarmReport(("int", "stg", "prd"), AT, cloud_data.ALARMS, ())
    message = render_alarms(report, TZ)
    text = korean("cloud_alarms", message)
    assert message.text == "ALARM 2개, 데이터 부족 1개 (int, stg, prd)"
    assert "ALARM · 03-10 14:23 (7분 전)부터" in text
    assert "rtb-hub-prd-5xx" in text and "확인 2025-03-10 14:30 KST · 최근 상태 변경 순" in text
    assert [label for label, _, _ in buttons(message)] == ["조사", "조사"]
    failure = Failed("AWS prd cloudwatch", "AccessDeniedException (HTTP 400)")
    partial = render_alarms(AlarmReport(("prd",), AT, (), (failure,)), TZ)
    text = korean("cloud_alarms_partial", partial)
    assert "응답한 계정에서는 알람을 찾지 못했습니다 (prd)" in text
    assert "*AWS prd cloudwatch*: AccessDeniedException (HTTP 400) — 이 계정의 알람은" in text
    none = render_alarms(AlarmReport(("prd",), AT, (), ()), TZ)
    assert korean("cloud_alarms_none", none).startswith("ALARM·INSUFFICIENT_DATA 상태인 알람이")
    missing = ("rtb-hub-bullmq-queue-depth-jira-queue",)
    absent = render_alarms(AlarmReport(("int",), AT, (), (), missing=missing), TZ)
    text = korean("cloud_alarms_missing", absent)
    assert absent.text.endswith("; int에 런북 알람 1개 없음")
    assert "*int에 없는 런북 알람*: `rtb-hub-bullmq-queue-depth-jira-queue`" in text


def test_trail_in_korean():
    events = [
        cloud_data.trail_event(42, error="AccessDenied", target="prd"),
        cloud_data.trail_event(3, user="ULEAD1", target="prd"),
        cloud_data.trail_event(15),
    ]
    message = render_trail(cloud_data.trail_report(events), TZ)
    text = korean("cloud_trail", message)
    assert message.text == "CloudTrail AssumeRole · int · 최근 24h: 3건 중 1건 실패"
    assert ":x: *AccessDenied* · `int` · AssumeRole · 03-10 13:48 (42분 전)" in text
    assert "*성공* (최신순)" in text and "요청한 역할: `" in text
    quiet = cloud_data.trail_report([], errors_only=True, read=57, since=timedelta(days=7))
    text = korean("cloud_trail_no_errors", render_trail(quiet, TZ))
    assert "최근 7d 동안 int에서 실패한 `AssumeRole` 호출이 없습니다 (57건 확인)." in text


def test_trail_changes_in_korean():
    changes = [
        cloud_data.deployer_event(5, session="rtb-bot.UOPERATOR2.by.ULEAD1", user="UOPERATOR2"),
        cloud_data.deployer_event(40, "stg", error="AccessDenied"),
        cloud_data.deployer_event(90, session="rtb-hub.preview-PROJ-109", user=""),
    ]
    message = render_trail_changes(cloud_data.changes_report(changes), TZ)
    text = korean("cloud_trail_changes", message)
    assert message.text == "stg, prd: deployer 역할을 통한 변경 3건, 실패 1건"
    assert "*deployer 역할을 통한 변경* · stg, prd — *쓰기 호출 3건*, 실패 1건" in text
    assert "<@UOPERATOR2>, 승인 <@ULEAD1> → ok" in text
    assert "Slack 사용자 없음 (세션 `rtb-hub.preview-PROJ-109`)" in text
    assert "기간: 2025-03-09 14:30 KST – 2025-03-10 14:30 KST (최근 24h) · 최신순" in text
    none = render_trail_changes(cloud_data.changes_report([], read=7), TZ)
    assert (
        "stg, prd에서 deployer 역할을 통한 변경이 없습니다 (쓰기 호출 7건 중 deployer 세션 "
        "호출 없음)." in korean("cloud_trail_changes_none", none)
    )


def test_search_in_korean():
    lines = [
        cloud_data.log_line(30, "Workflow failed: timeout calling Jira"),
        cloud_data.log_line(400, "Retrying Jira call", level="warn", issue="", duration=None),
    ]
    message = render_search(cloud_data.search_result(lines), TZ)
    text = korean("cloud_search", message)
    assert message.text == "stg의 /rtb-ai-hub/workflow-engine: 로그 2줄"
    assert "*stg*의 `/rtb-ai-hub/workflow-engine`" in text
    assert "레벨 error · 최근 1h — *2줄* (2줄 일치, 3,400줄 검색)" in text
    assert (
        "int Logs Insights로 stg 로그 그룹 조회 (CloudWatch OAM 링크) · 최신순 · 시각 KST" in text
    )
    many = [cloud_data.log_line(n * 10, f"timeout #{n}", duration=n) for n in range(50)]
    as_file = render_search(cloud_data.search_result(many, complete=False, matched=50), TZ)
    text = korean("cloud_search_file", as_file)
    assert "50줄 중 최신 20줄만 표시합니다. 전체는 첨부 파일에 있습니다." in text
    assert "50줄 제한에서 멈췄습니다" in text and "쿼리가 시간 안에 끝나지 않아" in text
    filters = LogFilters(text="OOMKilled", min_duration_ms=1500)
    nothing = cloud_data.search_result(
        [], service="preview", log_groups=("/rtb-ai-hub/preview/prd",), env="prd", filters=filters
    )
    none = render_search(nothing, TZ)
    text = korean("cloud_search_none", none)
    assert none.text == "prd의 /rtb-ai-hub/preview/prd: 로그 0줄"
    assert (
        "`OOMKilled` 포함 · 소요 ≥ 1500ms · 최근 1h — 해당하는 줄이 없습니다 (3,400줄 검색)."
        in text
    )
    assert "`/rtb search preview --env prd --min-duration 1500ms --since 1h`" in text
    down = Unavailable("AWS stg Logs", "no OAM link")
    text = korean("cloud_search_unreadable", render_search_unreadable(down, "stg"))
    assert "*AWS stg Logs* 응답 없음: no OAM link." in text and "`/rtb ping`" in text


# -- cluster ---------------------------------------------------------------------------------

pod, ago = cluster_data.pod, cluster_data.ago


def test_pods_in_korean():
    oom = Termination("worker", "OOMKilled", 137, ago(seconds=40))
    pods = (
        pod("app-7d9f8b6c5d-x2x7k", start=14.0),
        pod("app-7d9f8b6c5d-q9w8e", start=95.0, slow=True, created=ago(minutes=12)),
        pod("worker", ready=0, restarts=3, waiting="CrashLoopBackOff", ended=oom),
        pod("cron-28611", phase="Succeeded", ready=0, ended=Termination("cron", "Error", 1, NOW)),
    )
    message = render_pods(PodList("stg", "preview-proj-118", None, pods, NOW, 60.0), SEOUL)
    text = korean("cluster_pods", message)
    assert message.text == "preview-proj-118 (stg) Pod: 4개, 정상 3개 — OOMKilled!"
    assert "*OOMKilled* (컨테이너 `worker`, exit 137) · *CrashLoopBackOff* · 재시작 3회" in text
    assert "느린 시작: Ready까지 95초 (> 60초, Fargate 콜드 스타트)" in text
    assert "마지막 종료: Error, exit 1" in text
    assert "NAME" in text and "RESTARTS" in text  # kubectl's columns, as kubectl prints them
    assert [label for label, _, _ in buttons(message)] == ["이전 로그: worker"]
    empty = render_pods(PodList("int", HUB, "app=nope", (), NOW, 60.0), SEOUL)
    korean("cluster_pods_empty", empty)
    assert empty.text == "`rtb-ai-hub` (int) (`app=nope` 일치)에 Pod가 없습니다."


def test_logs_in_korean():
    short = [
        cluster_data.pino(60, "info", "workflow started"),
        cluster_data.pino(40, "error", "Claude API 529 overloaded", duration=12400),
    ]
    inline = render_logs(cluster_data.logs_of(short, since=timedelta(minutes=30)), SEOUL)
    text = korean("cluster_logs_inline", inline)
    assert inline.text == "workflow-engine-5f6d7c8b9-abcde (int) 로그: 2줄"
    assert "컨테이너 `workflow-engine` · 최근 30m 중 마지막 100줄" in text
    long = [
        cluster_data.pino(900 - i, "error" if i % 50 == 0 else "info", f"step {i}")
        for i in range(300)
    ]
    as_file = render_logs(cluster_data.logs_of(long, tail=300), SEOUL)
    text = korean("cluster_logs_file", as_file)
    assert "300줄, `workflow-engine-5f6d7c8b9-abcde.log` 파일로 첨부했습니다." in text
    assert "레벨별: " in text and "최근 오류: " in text
    empty = korean("cluster_logs_empty", render_logs(cluster_data.logs_of([]), SEOUL))
    assert ":zzz: 로그가 없습니다." in empty


def test_history_and_rollout_status_in_korean():
    from ops.rollouts.history import Revision, RolloutHistory

    revisions = (
        Revision(3, "workflow-engine-7c9d", ("rtb-hub:v1.42.0",), ago(hours=2), "release", True, 1),
        Revision(2, "workflow-engine-6b8c", ("rtb-hub:v1.41.1",), ago(days=3), None, False, 0),
    )
    history = render_history(RolloutHistory("int", HUB, "workflow-engine", revisions), SEOUL)
    text = korean("cluster_history", history)
    assert history.text == "workflow-engine (int) 롤아웃 이력"
    assert "*`rtb-ai-hub`의 `workflow-engine` (int) 롤아웃 이력*" in text
    assert "현재: 리비전 3" in text and "*3" in text
    complete = render_rollout_status(cluster_data.status("complete"))
    text = korean("cluster_rollout_complete", complete)
    assert "롤아웃 완료, 3/3 Available." in text and "*목표*\n3" in text
    progressing = cluster_data.status(
        "progressing",
        updated=1,
        total=4,
        progressing_reason="ReplicaSetUpdated",
        progressing_message=None,
    )
    text = korean("cluster_rollout_progressing", render_rollout_status(progressing))
    assert "롤아웃 중: 신규 replica 3개 중 1개 업데이트됨." in text
    assert "Progressing 조건: *ReplicaSetUpdated*" in text
    failed = cluster_data.status("failed", progressing_reason="ProgressDeadlineExceeded")
    assert "*롤아웃 실패*" in korean("cluster_rollout_failed", render_rollout_status(failed))
    unobserved = render_rollout_status(cluster_data.status("unobserved", generation=5))
    assert "아직 generation 5 반영 전입니다 (현재 4)" in korean(
        "cluster_rollout_unobserved", unobserved
    )


def test_can_i_in_korean():
    subject = parse_subject(cluster_data.SA)
    yes = AccessReview(
        "int", subject, "create", parse_resource("namespaces"), None, True, False, "RBAC", None
    )
    allowed = render_can_i(yes)
    text = korean("cluster_can_i_yes", allowed)
    assert allowed.text == "can-i create namespaces (int): 가능"
    assert "*가능*" in text and "클러스터 전체에서 (int)" in text and "사유: RBAC" in text
    no = AccessReview(
        "prd",
        parse_subject("alice"),
        "patch",
        parse_resource("deployments/scale"),
        HUB,
        False,
        True,
        None,
        "boom",
    )
    denied = render_can_i(no)
    text = korean("cluster_can_i_no", denied)
    assert denied.text == "can-i patch deployments.apps/scale (prd): 불가"
    assert (
        "`alice`: `patch` `deployments.apps/scale` `rtb-ai-hub`에서 (prd) 권한이 없습니다 "
        "(명시적으로 거부됨)." in text
    )
    assert ":warning: 평가 오류: boom" in text


def _namespace(name: str, issue: str, expires_in: timedelta, created_hours: int) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"rtb.io/preview": "true", "rtb.io/issue-key": issue},
            "creationTimestamp": ago(hours=created_hours).isoformat(),
            "annotations": {"rtb.io/expires-at": (NOW + expires_in).isoformat()},
        }
    }


def test_previews_in_korean():
    notice = timedelta(hours=2)
    oom = pods.summarize_pod(oom_pod(namespace="preview-proj-118"), 60)
    healthy, slow = pod("app-6d8f-k2j3l"), pod("app-5c7e-p0o9i", start=95.0, slow=True)
    previews = (
        preview_from(
            "int",
            _namespace("preview-proj-123", "PROJ-123", timedelta(minutes=90), 22),
            [healthy, slow],
            NOW,
            notice,
        ),
        preview_from(
            "int",
            _namespace("preview-proj-130", "PROJ-130", -timedelta(hours=5), 29),
            [healthy],
            NOW,
            notice,
        ),
        preview_from(
            "stg",
            _namespace("preview-proj-118", "PROJ-118", timedelta(hours=12), 12),
            [healthy, oom],
            NOW,
            notice,
        ),
    )
    failure = EnvFailure("prd", "kubernetes prd", "HTTP 403 Forbidden")
    report = PreviewReport(("int", "stg", "prd"), previews, (failure,), NOW, 2.0)
    message = render_previews(report, SEOUL)
    text = korean("cluster_previews", message)
    assert message.text == "Preview: int, stg, prd 활성 3개 (응답 없음: prd)"
    assert "`PROJ-130` (int) 5h 전에 만료됐는데" in text and "`cleanupExpired()` 실패?" in text
    assert ":hourglass: `PROJ-123` (int) 1h30m 후 만료 (06-01 15:30 KST)" in text
    assert "*prd* 응답 없음 (kubernetes prd: HTTP 403 Forbidden)" in text
    assert "5h 지남!" in text and "1h30m 남음" in text
    assert "이전 로그: " in buttons(message)[0][0]
    none = PreviewReport(("int",), (), (), NOW, 2.0)
    assert ":sparkles: int에 Preview 환경이 없습니다." in korean(
        "cluster_previews_none", render_previews(none, SEOUL)
    )
    listings = (
        HubListing("int", {"PROJ-123": "running"}),
        HubListing("stg", {"PROJ-97": "running"}),
        HubListing("prd", None, "HTTP 502"),
    )
    with_hub = render_previews(report, SEOUL, join_hub(report, listings))
    text = korean("cluster_previews_hub", with_hub)
    assert "`PROJ-97` (stg): 허브 목록에는 있는데 (`running`) namespace가 없습니다" in text
    assert "`PROJ-130` (int): namespace는 있는데 허브 목록에 없습니다" in text
    assert "목록에 없음!" in text and "HUB: 허브가 가진 상태" in text
    assert "*prd*: 허브 목록을 읽지 못해 (HTTP 502)" in text


# -- the hub ---------------------------------------------------------------------------------


def test_status_in_korean():
    message = render_status(hub_data.status_report(), TZ)
    text = korean("hub_status", message)
    assert message.text == "rtb-ai-hub 상태: 이상 4 · 정상 1 · 알 수 없음 0"
    for fact in (
        "*webhook-listener P99 응답시간*  `4.21초`  (임계값 3초)",
        "*BullMQ 대기 잡 수 (가장 많은 큐)*  `55`  (임계값 50)",
        "*workflow-engine 오류율*  `12.0 %`  (임계값 5 %)",
        "*오늘 AI 토큰 비용*  `US$120.50`  (임계값 US$100)",
        "*활성 Preview 수*  `4`  (임계값 15)",
        "최근 15분 동안 끝난 실행 50건 중 6건 실패",
        ":double_vertical_bar: 일시정지: `pr-review-queue`",
        "임계값은 런북 §3.1 기준 · 전체 env Preview",
    ):
        assert fact in text, fact
    hub = Failed("PostgreSQL (hub)", "cannot connect")
    partial = hub_data.status_report(
        env="stg",
        indicators=(Indicator("error_rate", 5.0, None, (hub,)), Indicator("waiting_jobs", 50, 3)),
        error_rate=None,
    )
    text = korean("hub_status_partial", render_status(partial, TZ))
    assert "rtb-ai-hub 상태 · stg Preview" in text
    assert "*workflow-engine 오류율* (임계값 5 %) — 알 수 없음: *PostgreSQL (hub)*" in text


def test_queues_in_korean():
    overview = render_queues(hub_data.OVERVIEW)
    text = korean("hub_queues", overview)
    assert overview.text == "BullMQ 큐: 3개, 대기 58, 일시정지 1개"
    assert "대기 잡 수 합계 58" in text and "waiting" in text  # BullMQ's columns stay
    jobs = (
        FailedJob("41", "jira-auto-dev", "Claude API 529 overloaded", 3, AT),
        FailedJob("39", "jira-auto-dev", "", 1, None),
    )
    queue = render_queue(QueueDetail(hub_data.JIRA, jobs, True), TZ)
    text = korean("hub_queue", queue)
    assert queue.text == "큐 jira-queue: 대기 55, 실패 6"
    assert "*대기*\n55 (prioritized 17)" in text and "*완료*\n24,000" in text
    assert "*최근 실패한 잡* (6개 중 2개)" in text and "3회 시도" in text
    assert "기록된 사유 없음" in text
    assert [label for label, _, _ in buttons(queue)] == [
        "일시정지",
        "실패한 잡 모두 재시도 (현재 6개)",
    ]
    paused = QueueDetail(hub_data.counts("billing-queue", 2, paused=True), (), False)
    unwatched = render_queue(paused, TZ)
    text = korean("hub_queue_unwatched", unwatched)
    assert unwatched.text == "큐 billing-queue: 대기 2, 실패 0, 일시정지됨"
    assert "실패한 잡이 없습니다." in text and "Redis에서 찾았습니다." in text
    assert [label for label, _, _ in buttons(unwatched)] == ["재개"]


def test_executions_in_korean():
    groups = (
        ExecutionGroup("jira-auto-dev", "completed", 812, 21_300.0, 44_000.0),
        ExecutionGroup("jira-auto-dev", "failed", 31, 35_000.0, 58_500.0),
    )
    failure = ExecutionFailure("jira-auto-dev", "PROJ-123", "int", AT, None, None, "")
    report = ExecutionsReport(timedelta(hours=24), None, None, groups, (failure,))
    message = render_executions(report, TZ, "https://rtb-hub.internal/")
    text = korean("hub_executions", message)
    assert message.text == "워크플로 실행 — 최근 24h: 843건"
    assert "*843건 실행*: 완료 812, 실패 31 (끝난 실행의 3.7 %), 실행 중 0" in text
    assert "PROJ-123 (int) — 오류 메시지 없음" in text
    assert "|대시보드에서 실패한 실행 보기>" in text
    # the table's head in Korean, its columns still aligned (a syllable takes two columns)
    head = "타입          상태         실행      평균       p95"
    assert f"{head}\njira-auto-dev completed     812" in text
    empty = ExecutionsReport(timedelta(minutes=15), "failed", "pr-review", (), ())
    text = korean("hub_executions_empty", render_executions(empty, TZ))
    assert "최근 15분 동안 실행 (상태 `failed`, 타입 `pr-review`)이 없습니다." in text


def test_costs_in_korean():
    lines = (
        CostLine("claude-sonnet-4", "int", Decimal("45.123456"), 120),
        CostLine("gpt-4.1", "prd", Decimal("3.25"), 1_250),
    )
    days = tuple((date(2025, 3, d), Decimal("7.80")) for d in range(3, 10))
    today = CostWindow.calendar_day(date(2025, 3, 10), TZ, AT)
    fargate = FargateCost("int", "111111111111", date(2025, 3, 3), date(2025, 3, 10), days)
    down = Failed("AWS prd Cost Explorer", "AccessDeniedException (HTTP 400)")
    report = CostReport(
        today,
        100.0,
        Part(value=AiCosts(today, None, lines)),
        (("int", Part(value=fargate)), ("prd", Part(failure=down))),
    )
    message = render_costs(report, TZ)
    text = korean("hub_costs", message)
    assert message.text == "AI 토큰 비용, 오늘 지금까지 (2025-03-10, Asia/Seoul): US$48.37"
    assert ":large_green_circle: *AI 토큰 비용*  `US$48.37`  (임계값 일 US$100) — 00:00–" in text
    assert "*모델·env별 AI API 비용*" in text and "US$45.12" in text
    assert "```\n                        호출         비용\nclaude-sonnet-4 int      120" in text
    assert "\n합계                   1,370     US$48.37\n" in text and "calls" not in text
    assert (
        "*int* (111111111111) `US$54.60` · 03-03 → 03-09 (UTC 기준 일), 마지막 날 US$7.80" in text
    )
    assert "*prd* — 알 수 없음: *AWS prd Cost Explorer*" in text
    week = CostWindow.last(timedelta(days=7), AT)
    partial = CostReport(week, 100.0, Part(failure=Failed("PostgreSQL (hub)", "down")), ())
    text = korean("hub_costs_partial", render_costs(partial, TZ))
    assert "비용 — 최근 7d" in text and "*AI 토큰 비용* (일 US$100) — 알 수 없음" in text
    hour = CostWindow.last(timedelta(hours=1), AT)
    by_model = CostReport(hour, 100.0, Part(value=AiCosts(hour, "model", lines[:1])), ())
    text = korean("hub_costs_by_model", render_costs(by_model, TZ))
    assert (
        "임계값 일 US$100은 하루(달력 기준) 단위입니다" in text and "*모델별 AI API 비용*" in text
    )
    day = CostWindow.calendar_day(date(2025, 3, 8), TZ, AT)
    past = CostReport(day, 100.0, Part(value=AiCosts(day, "env", ())), ())
    text = korean("hub_costs_past_day", render_costs(past, TZ))
    assert "하루 전체 (Asia/Seoul)" in text and "기록된 AI 호출이 없습니다." in text


# -- buttons' answers, schedules, the weekly chart ------------------------------------------


def test_investigate_and_refused_clicks_in_korean():
    from tests.handlers.test_answer_buttons import alarm

    firing = render_investigation(alarm("rtb-hub-bullmq-queue-depth", "ALARM"), ["queues"])
    text = korean("answer_investigate", firing)
    assert "`rtb-hub-bullmq-queue-depth` (int) 조사를 시작합니다: `/rtb queues`." in text
    settled = render_investigation(alarm("q", "OK"), ["queues"])
    assert "`q` (int): 지금 OK 상태로, ALARM이 아닙니다" in korean(
        "answer_investigate_settled", settled
    )
    gone = korean("answer_alarm_gone", render_alarm_gone("int", "old-<alarm>"))
    assert "int에 `old-&lt;alarm&gt;` 알람이 더는 없습니다" in gone
    busy = korean("answer_click_in_flight", render_click_in_flight("queue pause jira-queue"))
    assert "`/rtb queue pause jira-queue`: 방금 누른 클릭으로 이미 실행 중입니다." in busy
    assert "명령을 직접 입력하세요." in korean("answer_not_this_button", render_not_this_button())


def schedule_rows() -> tuple[ScheduleRow, ...]:
    claimed = datetime(2026, 12, 3, 15, 10, tzinfo=UTC)
    housekeeping = JobRun(
        "housekeeping",
        "2026-12-04",
        "rtb-bot-7d9f-x2x7k",
        claimed,
        claimed,
        "done",
        {"deleted": {"messages": 1200, "ticks": 1, "claims": 3}},
    )
    sampler = JobRun("sampler", "2026-12-03T15:40:00+00:00", "rtb-bot-1", claimed, None, None)
    return (
        ScheduleRow(
            "housekeeping", "Old outbox rows and claims", "10 0 * * *", claimed, housekeeping
        ),
        ScheduleRow("sampler", "Waiting-jobs samples", "* * * * *", claimed, sampler),
        ScheduleRow("weekly", "Weekly digest", "0 9 * * MON", None, None),
    )


def test_schedules_in_both_languages():
    outbox = OutboxStats(2, 1, datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    with use_locale("en"):
        english = render_schedules(schedule_rows(), outbox, TZ)
        assert_golden("schedules", english)
    text = shown(english)
    assert "`10 0 * * *` · next: Fri 12-04 00:10" in text
    assert "Deleted 1,200 delivered messages (1 tick) and 3 claims" in text
    assert "Last run: 12-04 00:40 · :hourglass: running" in text
    assert "Last run: none yet" in text and "next: never" in text
    assert "Outbox: 2 waiting (oldest since 12-04 00:00), 1 given up." in text
    message = render_schedules(schedule_rows(), outbox, TZ)
    text = korean("schedules", message)
    assert message.text == "예약 작업 3개"
    assert "`10 0 * * *` · 다음: 금 12-04 00:10" in text
    assert "삭제: 전달된 메시지 1,200건 (tick 1건), claim 3건" in text
    assert (
        "마지막 실행: 2026-12-04 · :white_check_mark: 완료 · `rtb-bot-7d9f-x2x7k`, 12-04 00:10:00"
        in text
    )
    assert "마지막 실행: 아직 없음" in text and "다음: 없음" in text
    assert "Outbox: 대기 2건 (가장 오래된 것 12-04 00:00부터), 포기 1건." in text


def test_the_chart_carries_its_words_in_korean_and_in_english():
    spec = chart_spec(
        digest(ai_daily=Part(value=ai_daily()), fargate=Part(value=fargate_week([]))), 100.0
    )
    assert spec["labels"]["title"] == "rtb-ai-hub: 최근 14일"
    assert spec["labels"]["ai_unread"] == "일별 AI 토큰 비용: 읽지 못함 ({reason})"
    assert spec["labels_en"]["title"] == "rtb-ai-hub: the last 14 days"
    assert spec["labels"].keys() == spec["labels_en"].keys()


def test_one_restart_is_one_restart_in_english():
    """Was "1 restarts": the count is a plural now (ngettext), in both languages."""
    crashing = pod("worker", ready=0, restarts=1, waiting="CrashLoopBackOff")
    with use_locale("en"):
        english = shown(render_pods(PodList("stg", HUB, None, (crashing,), NOW, 60.0), SEOUL))
    assert "*CrashLoopBackOff* · 1 restart" in english and "1 restarts" not in english
    korean_ = shown(render_pods(PodList("stg", HUB, None, (crashing,), NOW, 60.0), SEOUL))
    assert "*CrashLoopBackOff* · 재시작 1회" in korean_


def test_the_previews_table_stays_aligned_with_korean_cells():
    """`1h30m 남음` is wider than its length: the table pads by display columns (PODS, the
    last column, is right-aligned, so every line ends in the same column)."""
    ns = _namespace("preview-proj-130", "PROJ-130", -timedelta(hours=5), 29)
    late = preview_from("int", ns, [pod("app-1")], NOW, timedelta(hours=2))
    soon = _namespace("preview-proj-123", "PROJ-123", timedelta(minutes=90), 22)
    fine = preview_from("int", soon, [pod("app-2")], NOW, timedelta(hours=2))
    report = PreviewReport(("int",), (late, fine), (), NOW, 2.0)
    table = shown(render_previews(report, SEOUL)).split("```")[1].strip("\n").splitlines()
    assert "5h 지남!" in table[1] and "1h30m 남음" in table[2]
    assert len({columns(line) for line in table}) == 1, table

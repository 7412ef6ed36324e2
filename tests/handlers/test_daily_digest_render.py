"""The daily digest's renderer: golden JSON, the key facts asserted directly, Slack's limits."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from handlers.render.daily_digest import (
    CHECK_ACTION,
    Tick,
    apply_ticks,
    render_cost_alert,
    render_daily_details,
    render_daily_digest,
    render_reminder,
)
from handlers.render.i18n import use_locale
from handlers.render.message import MAX_BLOCKS, MAX_SECTION_TEXT
from ops.daily_digest import (
    AiCostItem,
    CostLine,
    DailyDigest,
    EnvPreviews,
    FailedJobsItem,
    PreviewsItem,
    QueueFailures,
)
from ops.fanout import Failed
from ops.previews import Preview
from tests.golden import assert_golden, buttons, shown

AT = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
TZ = "Asia/Seoul"


def preview(env, key, hours):
    return Preview(
        env,
        f"preview-{key.lower()}",
        key,
        AT - timedelta(hours=30),
        AT + timedelta(hours=hours),
        False,
        False,
        (),
        hours <= 0,
        0 < hours <= 2,
    )


def digest(previews_expiring=(), cost=Decimal("56.35"), failures=(), reasons=None):
    return DailyDigest(
        AT,
        TZ,
        PreviewsItem(
            (EnvPreviews("int", 3, 2, 3), EnvPreviews("stg", 2, 2, None)),
            tuple(previews_expiring) or (preview("int", "PROJ-123", 1.5),),
            (preview("int", "PROJ-130", -5),),
            ("int/PROJ-99",),
            (),
            (Failed("hub API stg", "cannot connect"),),
        ),
        FailedJobsItem(
            (
                QueueFailures("jira-queue", 6, 6, False),
                QueueFailures("pr-review-queue", 1, 0, False),
            ),
            reasons or (("Claude API 529 overloaded", 4), ("git push rejected", 2)),
            (("jira-auto-dev", 9), ("pr-review", 2)),
            (),
        ),
        AiCostItem(
            "2026-12-02",
            cost,
            Decimal(100),
            (CostLine("claude-sonnet-4", Decimal("40.33"), 120),),
            (CostLine("int", Decimal("25.73"), 60), CostLine("prd", Decimal("30.62"), 60)),
            Decimal("38.58"),
            tuple(failures),
        ),
    )


def texts(message):
    return [b.to_dict()["text"]["text"] for b in message.blocks if b.type == "section"]


def test_a_posted_digest_golden_and_its_facts():
    message = render_daily_digest(digest(), message_key="daily-digest:2026-12-03", ticks={})
    assert_golden("daily_digest_posted", message)
    previews, jobs, cost = texts(message)
    assert previews.startswith("*1. Previews* :warning:")  # a cleanup failed
    assert "• int: *3* active (hub API lists 3), 2 created in 24 h" in previews
    assert "Cleaned up since yesterday: 1" in previews
    assert "*1* — int/PROJ-130 (12-03 04:00)" in previews
    assert "_Not read: hub API stg (cannot connect)_" in previews
    assert "• `jira-queue`: *6* new since yesterday, 6 failed in all" in jobs
    assert "Claude API 529 overloaded ×4" in jobs
    assert "workflow_executions failed in 24 h: *11* (jira-auto-dev 9, pr-review 2)" in jobs
    assert cost.startswith("*3. Yesterday's AI cost* :white_check_mark:")
    assert "2026-12-02: *$56.35* (under the $100.00 daily threshold)" in cost
    assert "7-day average before it: $38.58 (+46 %)" in cost
    actions = [b.to_dict() for b in message.blocks if b.type == "actions"]
    values = [a["elements"][0]["value"] for a in actions]
    assert values == [
        f"daily-digest:2026-12-03|{i}" for i in ("previews", "failed_jobs", "ai_cost")
    ]
    assert {a["elements"][0]["action_id"] for a in actions} == {CHECK_ACTION}
    assert not message.ephemeral


def test_on_demand_digest_is_private_and_has_no_buttons():
    message = render_daily_digest(digest())
    assert message.ephemeral and not [b for b in message.blocks if b.type == "actions"]


def test_ticks_rewrite_only_their_lines():
    message = render_daily_digest(digest(), message_key="k", ticks={})
    ticks = {"ai_cost": [Tick("ULEAD1", AT + timedelta(minutes=42)), Tick("UVIEWER1", AT)]}
    blocks = apply_ticks(message.blocks_json(), ticks, TZ)
    lines = {
        b["block_id"]: b["elements"][0]["text"]
        for b in blocks
        if b["type"] == "context" and b.get("block_id")
    }
    assert lines["digest-ticks:ai_cost"] == (
        ":ballot_box_with_check: checked by <@ULEAD1> at 09:42, <@UVIEWER1> at 09:00"
    )
    assert lines["digest-ticks:previews"] == ":white_medium_square: not checked yet"
    untouched = [b for b in blocks if not str(b.get("block_id", "")).startswith("digest-ticks:")]
    assert untouched == [
        b
        for b in message.blocks_json()
        if not str(b.get("block_id", "")).startswith("digest-ticks:")
    ]


def test_every_source_down_says_what_could_not_be_read():
    down = Failed("PostgreSQL (hub)", "cannot connect")
    empty = DailyDigest(
        AT,
        TZ,
        PreviewsItem((), (), (), None, (), (Failed("kubernetes int", "HTTP 500"),)),
        FailedJobsItem(None, (), None, (Failed("Redis", "cannot connect"), down)),
        AiCostItem("", None, Decimal(100), (), (), None, (down,)),
    )
    message = render_daily_digest(empty, message_key="k", ticks={})
    assert_golden("daily_digest_sources_down", message)
    previews, jobs, cost = texts(message)
    assert "Could not read the clusters — kubernetes int: HTTP 500." in previews
    assert "Redis: cannot connect; PostgreSQL (hub): cannot connect" in jobs
    assert "Could not read ai_costs — PostgreSQL (hub): cannot connect." in cost
    assert all(":grey_question:" in t.split("\n")[0] for t in (previews, jobs, cost))


def test_the_largest_day_fits_slack_and_the_rest_goes_to_the_thread():
    many = [preview("prd", f"PROJ-{n}", 1) for n in range(300)]
    message = render_daily_digest(digest(previews_expiring=many), message_key="k", ticks={})
    assert len(message.blocks) <= MAX_BLOCKS
    assert all(len(t) <= MAX_SECTION_TEXT for t in texts(message))
    assert "and 290 more (in the thread)" in texts(message)[0]
    details = render_daily_details(digest(previews_expiring=many))
    assert details is not None and "(300)" in texts(details)[0]
    assert render_daily_details(digest()) is None


def test_cost_alert_and_reminder():
    alert = render_cost_alert(digest(cost=Decimal("142.10")).ai_cost)
    assert "*$142.10*, over the $100.00 daily threshold" in texts(alert)[0]
    reminder = render_reminder(["failed_jobs"])
    assert reminder.text.startswith("Reminder: not checked yet today — 2. Failed jobs.")


# -- in Korean: the runbook's §6.1 wording, the same numbers, buttons and values -----------------


def test_a_posted_digest_in_korean_golden_and_its_facts():
    with use_locale("ko"):
        message = render_daily_digest(digest(), message_key="daily-digest:2026-12-03", ticks={})
        assert_golden("daily_digest_posted", message)
    previews, jobs, cost = texts(message)
    assert previews.startswith("*1. Preview 환경 만료 정리* :warning:")
    assert "• int: 활성 Preview 수 *3* (hub API 기준 3), 24시간 내 생성 2개" in previews
    assert "어제 이후 정리: 1개" in previews
    assert "만료됐지만 남아 있음 (cleanupExpired() 실패): *1개* — int/PROJ-130" in previews
    assert "_읽지 못함: hub API stg (cannot connect)_" in previews
    assert jobs.startswith("*2. BullMQ 실패 잡 확인* :warning:")
    assert "• `jira-queue`: 어제 이후 신규 실패 *6건*, 누적 실패 6건" in jobs
    assert "workflow_executions 24시간 내 실패: *11건* (jira-auto-dev 9, pr-review 2)" in jobs
    assert cost.startswith("*3. AI 비용 전일 집계* :white_check_mark:")
    assert "2026-12-02: *US$56.35* (일간 임계값 US$100.00 이하)" in cost
    assert "직전 7일 평균: US$38.58 (+46 %)" in cost
    assert message.text == (
        "일간 체크리스트 2026-12-03: 확인 필요: Preview 환경 만료 정리, BullMQ 실패 잡 확인"
    )
    assert "일간 체크리스트 — 2026-12-03" in shown(message)
    assert "런북 §6.1 · 09:00 KST 기준" in shown(message)
    values = [f"daily-digest:2026-12-03|{i}" for i in ("previews", "failed_jobs", "ai_cost")]
    assert buttons(message) == [("확인 완료", CHECK_ACTION, value) for value in values]


def test_sources_down_ticks_reminder_and_cost_alert_in_korean():
    down = Failed("PostgreSQL (hub)", "cannot connect")
    empty = DailyDigest(
        AT,
        TZ,
        PreviewsItem((), (), (), None, (), (Failed("kubernetes int", "HTTP 500"),)),
        FailedJobsItem(None, (), None, (Failed("Redis", "cannot connect"), down)),
        AiCostItem("", None, Decimal(100), (), (), None, (down,)),
    )
    with use_locale("ko"):
        message = render_daily_digest(empty, message_key="k", ticks={})
        assert_golden("daily_digest_sources_down", message)
        ticks = {"ai_cost": [Tick("ULEAD1", AT + timedelta(minutes=42))]}
        ticked = apply_ticks(message.blocks_json(), ticks, TZ)
        alert = render_cost_alert(digest(cost=Decimal("142.10")).ai_cost)
        reminder = render_reminder(["failed_jobs"])
    previews, jobs, cost = texts(message)
    assert "다음을 읽지 못했습니다: 클러스터 — kubernetes int: HTTP 500." in previews
    assert jobs.startswith("*2. BullMQ 실패 잡 확인* :grey_question:\n")
    assert "다음을 읽지 못했습니다: BullMQ와 workflow_executions — Redis: cannot connect" in jobs
    assert "다음을 읽지 못했습니다: ai_costs — PostgreSQL (hub): cannot connect." in cost
    lines = {b.get("block_id"): b["elements"][0]["text"] for b in ticked if b["type"] == "context"}
    assert lines["digest-ticks:ai_cost"] == ":ballot_box_with_check: 확인: <@ULEAD1> 09:42"
    assert lines["digest-ticks:previews"] == ":white_medium_square: 아직 확인 안 됨"
    assert "2026-12-02 AI 토큰 비용 *US$142.10*: 일간 임계값(US$100.00) 초과." in texts(alert)[0]
    assert "모델별: claude-sonnet-4 US$40.33" in texts(alert)[0]
    assert alert.text == "2026-12-02 AI 토큰 비용 US$142.10, 임계값 초과"
    assert reminder.text.startswith(
        "리마인더: 오늘 아직 확인하지 않은 항목 — 2. BullMQ 실패 잡 확인."
    )


def test_the_largest_day_in_korean_fits_slack():
    many = [preview("prd", f"PROJ-{n}", 1) for n in range(300)]
    with use_locale("ko"):
        message = render_daily_digest(digest(previews_expiring=many), message_key="k", ticks={})
        details = render_daily_details(digest(previews_expiring=many))
    assert len(message.blocks) == 2 + 4 * 3 <= MAX_BLOCKS
    assert all(len(t) <= MAX_SECTION_TEXT and not t.endswith("…") for t in texts(message))
    assert "외 290개 (스레드에)" in texts(message)[0]
    assert details is not None and texts(details)[0].startswith("*24시간 내 만료 예정* (300)\n")
    assert details.text == "Preview 전체 목록"


def test_jobs_that_recorded_no_reason_are_said_so_in_each_language():
    """The digest groups them under "" (data); the renderer words it for the reader."""
    reasons = (("", 3), ("git push rejected", 2))
    jobs = texts(render_daily_digest(digest(reasons=reasons), message_key="k", ticks={}))[1]
    assert "Top reasons: (no reason recorded) ×3; git push rejected ×2" in jobs
    with use_locale("ko"):
        jobs = texts(render_daily_digest(digest(reasons=reasons), message_key="k", ticks={}))[1]
    assert "(기록된 사유 없음) ×3; git push rejected ×2" in jobs

"""The evaluator's messages against golden JSON, with their key facts asserted directly."""

from datetime import UTC, datetime, timedelta

from handlers.render.i18n import use_locale
from handlers.render.thresholds import render_threshold_event
from ops.thresholds import Reading, ThresholdEvent, alert_key
from tests.golden import assert_golden, shown

OPENED = datetime(2026, 12, 3, 1, 2, tzinfo=UTC)  # 10:02 in Seoul
TZ = "Asia/Seoul"
WAITING = Reading(
    "waiting_jobs",
    50,
    80,
    True,
    (("preview-queue", 80.0), ("jira-queue", 12.0), ("pr-review-queue", 0.0)),
    92,
)
ERRORS = Reading("error_rate", 5, 12.0, True)


def event(kind, reading, at=OPENED):
    return ThresholdEvent(kind, reading, alert_key(reading.key, OPENED), OPENED, at, 2)


def test_waiting_jobs_alert():
    message = render_threshold_event(event("alert", WAITING), 1, TZ)
    assert_golden("threshold_alert_waiting_jobs", message)
    text = shown(message)
    assert (
        "*BullMQ waiting jobs (busiest queue)* is over its threshold: `80` (threshold 50)" in text
    )
    assert "preview-queue 80 · jira-queue 12 · pr-review-queue 0 · total 92" in text
    assert "raised 12-03 10:02 (Asia/Seoul)" in text
    assert "PagerDuty" not in text


def test_error_rate_alert_says_whether_anyone_was_paged():
    message = render_threshold_event(event("alert", ERRORS), 1, TZ, "not configured")
    assert_golden("threshold_alert_error_rate", message)
    assert "nobody was paged" in shown(message)
    failed = render_threshold_event(event("alert", ERRORS), 1, TZ, "failed")
    assert "page the on-call engineer yourself" in shown(failed)
    paged = render_threshold_event(event("alert", ERRORS), 1, TZ, "paged")
    assert "the on-call engineer was paged" in shown(paged)


def test_recovery_and_reminder():
    under = Reading("waiting_jobs", 50, 12, False, (("preview-queue", 12.0),), 12)
    recovery = render_threshold_event(
        event("recovery", under, OPENED + timedelta(minutes=75)), 1, TZ
    )
    assert_golden("threshold_recovery", recovery)
    assert "is back under its threshold: `12` (threshold 50)" in shown(recovery)
    assert "it was over for 1 h 15 min (since 12-03 10:02)" in shown(recovery)
    reminder = render_threshold_event(event("reminder", WAITING, OPENED + timedelta(days=1)), 1, TZ)
    assert_golden("threshold_reminder", reminder)
    assert "is still over its threshold after 24 h 00 min: `80`" in shown(reminder)


def test_a_single_evaluation_is_said_in_the_singular():
    """Bug: with `consecutive_evaluations = 1` the alert said "Over for 1 evaluations"."""
    once = ThresholdEvent("alert", ERRORS, alert_key(ERRORS.key, OPENED), OPENED, OPENED, 1)
    assert "Over for 1 evaluation in a row (every 1 min)." in shown(
        render_threshold_event(once, 1, TZ)
    )


def test_the_alerts_in_korean_golden_and_their_facts():
    under = Reading("waiting_jobs", 50, 12, False, (("preview-queue", 12.0),), 12)
    with use_locale("ko"):
        alert = render_threshold_event(event("alert", WAITING), 1, TZ)
        assert_golden("threshold_alert_waiting_jobs", alert)
        paged = render_threshold_event(event("alert", ERRORS), 1, TZ, "not configured")
        assert_golden("threshold_alert_error_rate", paged)
        failed = render_threshold_event(event("alert", ERRORS), 1, TZ, "failed")
        later = OPENED + timedelta(minutes=75)
        recovery = render_threshold_event(event("recovery", under, later), 1, TZ, "failed")
        assert_golden("threshold_recovery", recovery)
        reminder = render_threshold_event(
            event("reminder", WAITING, OPENED + timedelta(days=1)), 1, TZ
        )
        assert_golden("threshold_reminder", reminder)
    text = shown(alert)
    assert "임계값 초과: `80` (임계값 50)" in text
    assert "2회 연속 초과했습니다(1분마다 평가)." in text
    assert "preview-queue 80 · jira-queue 12 · pr-review-queue 0 · 합계 92" in text
    assert "런북 §3.1 · 12-03 10:02(Asia/Seoul) 발생" in text
    assert "아무도 호출하지 않았습니다" in shown(paged)
    assert "당직 엔지니어를 직접 호출하세요" in shown(failed)
    assert "임계값 아래로 돌아왔습니다: `12` (임계값 50)" in shown(recovery)
    assert "2회 연속 정상입니다. 12-03 10:02부터 1시간 15분 동안 초과했습니다." in shown(recovery)
    assert "PagerDuty에서 인시던트를 직접 해결하세요" in shown(recovery)
    assert "24시간 00분째 임계값 초과 중: `80`" in shown(reminder)
    assert "12-03 10:02(Asia/Seoul)부터 초과 중입니다." in shown(reminder)

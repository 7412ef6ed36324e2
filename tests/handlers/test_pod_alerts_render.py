"""The pod alerts' renderers, against golden JSON and their key facts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from handlers.render.i18n import use_locale
from handlers.render.pod_alerts import (
    EVENTS_ACTION,
    LOGS_ACTION,
    render_oom_alert,
    render_pod_events,
    render_slow_start,
    took,
)
from ops.pod_events import PodEvent, PodEvents
from ops.pod_health import OomAlert, PodRef, SlowStart, SlowStartAlert, StartPhase
from tests.golden import assert_golden, buttons, korean, shown

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2026, 12, 3, 0, 41, 5, tzinfo=UTC)


def oom(kills: int = 1) -> OomAlert:
    return OomAlert(
        "stg", "PROJ-118", "preview-proj-118", "worker", "worker", "256Mi", 4, AT, kills, AT
    )


def test_an_oom_alert_names_env_preview_pod_container_limit_restarts_and_its_buttons() -> None:
    message = render_oom_alert(oom(), SEOUL)
    assert_golden("pod_oom_alert", message)
    in_korean = korean("pod_oom_alert", lambda: render_oom_alert(oom(), SEOUL))
    assert "stg *OOMKilled*: Preview *PROJ-118*" in in_korean and "`256Mi`" in in_korean
    text = shown(message)
    for fact in (
        "OOMKilled in stg",
        "PROJ-118",
        "preview-proj-118",
        "`worker`",
        "`256Mi`",
        "09:41:05",
    ):
        assert fact in text
    assert "*Restarts*\n4" in text and "×" not in text
    assert buttons(message) == [
        (
            "Logs (--previous)",
            LOGS_ACTION,
            "logs stg worker --namespace preview-proj-118 --container worker --previous --tail 200",
        ),
        ("Events", EVENTS_ACTION, "events stg worker --namespace preview-proj-118"),
    ]


def test_a_folded_oom_alert_says_how_many_kills() -> None:
    message = render_oom_alert(oom(kills=3), SEOUL)
    assert_golden("pod_oom_alert_folded", message)
    assert "OOMKilled ×3 in stg" in shown(message)
    assert "3 OOMKills of this container folded into this alert (opened 09:41:05)" in shown(message)


def test_an_oom_alert_without_a_limit_or_issue_key_says_so() -> None:
    alert = OomAlert("int", None, "preview-x", "p", "c", None, 1, None)
    text = shown(render_oom_alert(alert, SEOUL))
    assert "none set" in text and "(`preview-x`)" in text and "Killed at ?" in text


def test_a_slow_start_alert_shows_the_time_and_the_slowest_phase() -> None:
    phases = (
        StartPhase("scheduling", 1),
        StartPhase("node", 61),
        StartPhase("image_pull", 26),
        StartPhase("readiness", 7),
    )
    start = SlowStart(PodRef("preview-proj-101", "app-7c9", "u", AT), AT, 95, phases)
    message = render_slow_start(SlowStartAlert("prd", "PROJ-101", start, 60), SEOUL)
    assert_golden("pod_slow_start_alert", message)
    text = shown(message)
    assert "Ready *1m35s* after creation (threshold 1m00s)" in text
    assert "Most of it: *node* (1m01s)" in text
    assert "image pull and start" in text and "26s" in text
    assert buttons(message) == [
        ("Events", EVENTS_ACTION, "events prd app-7c9 --namespace preview-proj-101")
    ]


def test_pod_events_newest_last_and_none() -> None:
    events = PodEvents(
        "stg",
        "preview-proj-118",
        "worker",
        (
            PodEvent("Normal", "Pulled", "Container image already present", 1, AT),
            PodEvent("Warning", "BackOff", "Back-off restarting failed container worker", 7, AT),
        ),
        25,
    )
    message = render_pod_events(events, SEOUL)
    assert_golden("pod_events", message)
    text = shown(message)
    assert text.index("Pulled") < text.index("BackOff") and "(x7)" in text
    assert "The newest 2 of 25 events." in text
    empty = render_pod_events(PodEvents("stg", "ns", "p", (), 0), SEOUL)
    assert "No events" in shown(empty)


def test_took_keeps_the_seconds() -> None:
    assert [took(s) for s in (5, 60, 95, 3600 * 2)] == ["5s", "1m00s", "1m35s", "2h"]


def test_the_pod_alerts_in_korean_golden_their_facts_and_the_same_buttons() -> None:
    phases = (StartPhase("scheduling", 1), StartPhase("node", 61), StartPhase("readiness", 7))
    start = SlowStart(PodRef("preview-proj-101", "app-7c9", "u", AT), AT, 95, phases)
    events = PodEvents(
        "stg",
        "preview-proj-118",
        "worker",
        (PodEvent("Warning", "BackOff", "Back-off restarting failed container worker", 7, AT),),
        25,
    )
    with use_locale("ko"):
        folded = render_oom_alert(oom(kills=3), SEOUL)
        assert_golden("pod_oom_alert_folded", folded)
        slow = render_slow_start(SlowStartAlert("prd", "PROJ-101", start, 60), SEOUL)
        assert_golden("pod_slow_start_alert", slow)
        listed = render_pod_events(events, SEOUL)
        assert_golden("pod_events", listed)
        empty = render_pod_events(PodEvents("stg", "ns", "p", (), 0), SEOUL)
    text = shown(folded)
    assert ":boom: stg *OOMKilled ×3*: Preview *PROJ-118* (`preview-proj-118`)" in text
    assert "*메모리 limit*\n`256Mi`" in text and "*재시작*\n4" in text
    assert "이 컨테이너의 OOMKill 3건을 이 알림 하나로 묶었습니다(최초 09:41:05)" in text
    assert [(label, action) for label, action, _value in buttons(folded)] == [
        ("로그 (--previous)", LOGS_ACTION),
        ("이벤트", EVENTS_ACTION),
    ]
    assert buttons(folded)[1][2] == "events stg worker --namespace preview-proj-118"
    text = shown(slow)
    assert "Pod `app-7c9` — 생성 후 *1m35s* 만에 Ready (임계값 1m00s)" in text
    assert "가장 오래 걸린 단계: *노드 할당* (1m01s)" in text
    # a Korean character is two columns wide in the code block: the times still line up
    assert "스케줄링" + " " * 18 + "1s\n" + "노드 할당" + " " * 14 + "1m01s" in text
    assert "*Pod `worker` 이벤트* · `preview-proj-118` (stg)" in shown(listed)
    assert "이벤트 25건 중 최신 1건." in shown(listed) and "(x7)" in shown(listed)
    assert ":zzz: 이벤트가 없습니다(이벤트는 1시간 뒤 사라집니다)." in shown(empty)

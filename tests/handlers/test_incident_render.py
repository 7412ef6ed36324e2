"""The incident renderers (pure): the timeline's sentences, the list, one incident, the card's
extra blocks, the post-mortem Markdown. Golden files plus the key facts asserted here."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.incident_playbooks import AlarmSubject, playbook_for
from handlers.render.i18n import use_locale
from handlers.render.incident_timeline import (
    EXPORTED,
    card_buttons,
    event_line,
    render_event,
    render_incident,
    render_incident_list,
    render_resolve_modal,
)
from handlers.render.incidents import render_incident_card
from handlers.render.postmortem import TrailWindow, render_postmortem
from ops.alarm_notifications import AlarmChange, AlarmMetric
from ops.cloudtrail import TrailEvent
from ops.incidents import Incident, IncidentEvent
from tests.golden import GOLDEN_DIR, assert_golden, buttons, shown

SEOUL = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 12, 3, 0, 58, tzinfo=UTC)
NOW = T0 + timedelta(minutes=75)
CHANGE = AlarmChange(
    alarm_name="rtb-hub-bullmq-queue-depth",
    account="111111111111",
    region="ap-northeast-2",
    state="ALARM",
    previous_state="OK",
    reason="Threshold Crossed: 1 datapoint [212.0] was greater than the threshold (50.0).",
    changed_at=T0,
    description="BullMQ waiting jobs",
    metric=AlarmMetric("RTBHub/BullMQ", "WaitingJobs", "Maximum", (("Queue", "jira-queue"),)),
    comparison="GreaterThanThreshold",
    threshold=50.0,
    value=212.0,
)
OPEN = Incident(
    id="INC-0007",
    alarm_name=CHANGE.alarm_name,
    env="int",
    account=CHANGE.account,
    region=CHANGE.region,
    state="open",
    alarm_state="ALARM",
    opened_at=T0,
    last_seen_at=T0 + timedelta(minutes=4),
    state_changed_at=T0 + timedelta(minutes=4),
    repeat_count=2,
    resolved_at=None,
    resolved_by=None,
    channel="#rtb-incidents",
    card_key="incident:INC-0007",
    acknowledged_by="UOPERATOR1",
    acknowledged_at=T0 + timedelta(minutes=6),
    change=CHANGE,
)
RESOLVED = replace(
    OPEN, state="resolved", resolved_at=T0 + timedelta(minutes=52), resolved_by="ULEAD1"
)


def event(n: int, minutes: int, kind: str, actor: str | None, **detail: object) -> IncidentEvent:
    return IncidentEvent(n, OPEN.id, T0 + timedelta(minutes=minutes), kind, actor, dict(detail))  # type: ignore[arg-type]


TIMELINE = (
    event(1, 0, "fired", None, state="ALARM", reason=CHANGE.reason, value=212.0),
    event(2, 4, "repeat", None, state="ALARM", reason=CHANGE.reason, value=230.0),
    event(3, 6, "acknowledged", "UOPERATOR1"),
    event(4, 7, "action", "UVIEWER1", type="investigate", commands=["diagnose backlog"]),
    event(
        5,
        9,
        "action",
        "UVIEWER1",
        type="change",
        command="queue pause jira-queue",
        outcome="refused",
        rule="policy hub.queue int: viewers may not change anything",
    ),
    event(
        6,
        10,
        "action",
        "UOPERATOR1",
        type="change",
        command="queue pause jira-queue",
        outcome="ran",
        status="succeeded",
    ),
    event(
        7,
        12,
        "action",
        "UOPERATOR1",
        type="change",
        command="scale int workflow-engine 3",
        outcome="approval",
        request="AR-7K3Q9",
    ),
    event(
        8,
        20,
        "action",
        None,
        type="approval",
        request="AR-7K3Q9",
        decision="approved",
        by="ULEAD1",
        status="succeeded",
    ),
    event(9, 30, "insufficient_data", None, state="INSUFFICIENT_DATA", reason="no datapoints"),
    event(10, 52, "resolved", "ULEAD1", note="scaled up; <backlog> drained"),
)


def test_event_lines_say_who_did_what_and_the_gates_answer():
    lines = [event_line(e) for e in TIMELINE]
    assert lines[0].startswith("Alarm fired (value 212): Threshold Crossed")
    assert lines[2] == "Acknowledged by <@UOPERATOR1>"
    assert lines[3] == (
        "Investigate by <@UVIEWER1>: `/rtb diagnose backlog` (answers in the card's thread)"
    )
    assert lines[4].startswith("<@UVIEWER1> `/rtb queue pause jira-queue`: refused by the policy")
    assert lines[5] == "<@UOPERATOR1> `/rtb queue pause jira-queue`: ran it, succeeded"
    assert "asked a team lead's approval (request `AR-7K3Q9`)" in lines[6]
    assert lines[7] == "Approval `AR-7K3Q9` approved by <@ULEAD1>: succeeded"
    assert lines[8].startswith("Alarm has insufficient data (not resolved)")
    assert lines[9] == "Resolved by <@ULEAD1>: scaled up; &lt;backlog&gt; drained"


def test_render_incident_golden():
    message = render_incident(RESOLVED, TIMELINE, NOW, SEOUL)
    assert_golden("incident_show", message)
    text = shown(message)
    assert "INC-0007 · rtb-hub-bullmq-queue-depth" in text
    assert "resolved after 52 min" in text and "2 repeats" in text and "acknowledged" in text
    assert "2026-12-03 09:58 · Alarm fired (value 212)" in text  # Seoul time
    assert text.index("Alarm fired") < text.index("Resolved by <@ULEAD1>")


def test_render_incident_list_golden():
    second = replace(
        OPEN,
        id="INC-0008",
        alarm_name="rtb-preview-oom",
        env="prd",
        acknowledged_by=None,
        repeat_count=0,
        alarm_state="INSUFFICIENT_DATA",
    )
    message = render_incident_list([second, RESOLVED], NOW, SEOUL)
    assert_golden("incident_list", message)
    text = shown(message)
    assert "Incidents: 1 open" in text and message.ephemeral
    assert (
        "*INC-0008* `rtb-preview-oom` in *prd* · :red_circle: insufficient data for 1 h 15 min"
        in text
    )
    assert text.index("INC-0008") < text.index("Recent") < text.index("INC-0007")


def test_an_empty_list_says_so():
    assert "No incident recorded yet" in shown(render_incident_list([], NOW, SEOUL))


def test_card_buttons_golden_while_open_and_none_once_resolved():
    book = playbook_for(AlarmSubject(OPEN.alarm_name, "int", "WaitingJobs"), ("jira-queue",))
    fresh = replace(OPEN, acknowledged_by=None, acknowledged_at=None)
    message = render_incident_card(fresh, timezone="Asia/Seoul", actions=card_buttons(fresh, book))
    assert_golden("incident_card_buttons", message)
    assert [label for label, _, _ in buttons(message)] == [
        "Acknowledge",
        "Investigate",
        "Pause jira-queue",
        "Scale workflow-engine to 3",
        "Resolve",
    ]
    assert ("Acknowledge", "incident.acknowledge", "INC-0007") in buttons(message)
    assert ("Pause jira-queue", "incident.change.pause-queue", "INC-0007|pause-queue") in buttons(
        message
    )
    assert "Acknowledge" not in [b.text.text for b in card_buttons(OPEN, book)]
    assert card_buttons(RESOLVED, book) == []


def test_thread_post_and_resolve_form():
    post = render_event(OPEN, TIMELINE[2], SEOUL)
    assert shown(post).endswith(":eyes: 2026-12-03 10:04 · Acknowledged by <@UOPERATOR1>")
    form = render_resolve_modal(OPEN).to_dict()
    assert form["private_metadata"] == "INC-0007" and form["callback_id"] == "incident.resolve_note"


def trail_event(minutes: int, name: str, error: str = "") -> TrailEvent:
    return TrailEvent(
        env="int",
        time=T0 + timedelta(minutes=minutes),
        name=name,
        source="eks.amazonaws.com",
        error_code=error,
        error_message="",
        source_ip="10.0.0.1",
        principal="arn:aws:sts::111111111111:assumed-role/rtb-hub-deployer/rtb-bot-ULEAD1",
        source_identity="slack-ULEAD1",
        target_role="",
        session_name="",
    )


def assert_markdown_golden(name: str, text: str) -> None:
    path = GOLDEN_DIR / f"{name}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: write it with UPDATE_GOLDEN=1, read it, commit it"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs (UPDATE_GOLDEN=1 to accept)"


def test_postmortem_golden():
    trail = TrailWindow(
        T0 - timedelta(hours=1),
        RESOLVED.resolved_at,  # type: ignore[arg-type]
        (trail_event(15, "UpdateNodegroupConfig"), trail_event(-20, "TagResource", "AccessDenied")),
        True,
    )
    markdown = render_postmortem(RESOLVED, TIMELINE, trail, NOW, SEOUL)
    assert_markdown_golden("incident_postmortem", markdown)
    assert markdown.startswith("# Post-mortem draft: INC-0007 — rtb-hub-bullmq-queue-depth\n")
    assert "- **Resolved**: 2026-12-03 10:50 (after 52 min)" in markdown
    assert "- **Notifications**: 3" in markdown
    assert "- **Condition**: GreaterThanThreshold 50" in markdown
    assert "- 2026-12-03 10:50 — Resolved by <@ULEAD1>: scaled up; <backlog> drained" in markdown
    assert (
        "| 2026-12-03 10:13 | eks:UpdateNodegroupConfig | rtb-bot-ULEAD1 | slack-ULEAD1 | ok |"
        in markdown
    )
    assert "| eks:TagResource | rtb-bot-ULEAD1 | slack-ULEAD1 | AccessDenied |" in markdown
    assert "2 calls in 2026-12-03 08:58 – 2026-12-03 10:50" in markdown


def test_postmortem_says_when_the_trail_could_not_be_read_or_was_cut():
    start, end = T0 - timedelta(hours=1), NOW
    unread = TrailWindow(start, end, (), False, unread="AWS int cloudtrail: timed out after 5 s")
    markdown = render_postmortem(OPEN, TIMELINE[:1], unread, NOW, SEOUL)
    assert "_Could not be read (AWS int cloudtrail: timed out after 5 s)" in markdown
    assert "- **Still open** after 1 h 15 min" in markdown
    cut = TrailWindow(start, end, (trail_event(3, "UpdateService"),), False)
    assert "More calls than shown" in render_postmortem(OPEN, (), cut, NOW, SEOUL)
    empty = TrailWindow(start, end, (), True)
    assert "_No write call recorded for" in render_postmortem(OPEN, (), empty, NOW, SEOUL)


# -- in Korean: the runbook's stages (감지 · 조사 · 사후 분석), the same ids and values


def test_event_lines_in_korean():
    with use_locale("ko"):
        lines = [event_line(e) for e in TIMELINE]
        post = render_event(OPEN, TIMELINE[2], SEOUL)
    assert lines[0].startswith("알람 발생 (값 212): Threshold Crossed")
    assert lines[2] == "<@UOPERATOR1> 확인"
    assert lines[3] == "<@UVIEWER1> 조사: `/rtb diagnose backlog` (결과는 카드 스레드에)"
    assert lines[4].startswith("<@UVIEWER1> `/rtb queue pause jira-queue`: 정책이 거부함 — policy")
    assert lines[5] == "<@UOPERATOR1> `/rtb queue pause jira-queue`: 실행함, succeeded"
    assert lines[6].endswith("팀장 승인을 요청함 (요청 `AR-7K3Q9`)")
    assert lines[7] == "승인 `AR-7K3Q9`: <@ULEAD1> 승인 · succeeded"
    assert lines[8] == "알람 데이터 부족 (해결 아님): no datapoints"
    assert lines[9] == "<@ULEAD1> 해결: scaled up; &lt;backlog&gt; drained"
    assert post.text == "INC-0007: 확인됨"
    assert shown(post).endswith(":eyes: 2026-12-03 10:04 · <@UOPERATOR1> 확인")


def test_the_incident_its_list_buttons_and_form_in_korean():
    second = replace(
        OPEN,
        id="INC-0008",
        alarm_name="rtb-preview-oom",
        env="prd",
        acknowledged_by=None,
        repeat_count=0,
        alarm_state="INSUFFICIENT_DATA",
    )
    book = playbook_for(AlarmSubject(OPEN.alarm_name, "int", "WaitingJobs"), ("jira-queue",))
    fresh = replace(OPEN, acknowledged_by=None, acknowledged_at=None)
    with use_locale("ko"):
        one = render_incident(RESOLVED, TIMELINE, NOW, SEOUL)
        assert_golden("incident_show", one)
        listed = render_incident_list([second, RESOLVED], NOW, SEOUL)
        assert_golden("incident_list", listed)
        empty = render_incident_list([], NOW, SEOUL)
        with_buttons = render_incident_card(
            fresh, timezone="Asia/Seoul", actions=card_buttons(fresh, book)
        )
        assert_golden("incident_card_buttons", with_buttons)
        form = render_resolve_modal(OPEN).to_dict()
    text = shown(one)
    assert (
        "*INC-0007* *int* `rtb-hub-bullmq-queue-depth` · :white_check_mark: 52분 만에 해결" in text
    )
    assert "2회 재발생 · 확인됨" in text
    assert "*타임라인*\n2026-12-03 09:58 · 알람 발생 (값 212)" in text
    assert "사후 분석 초안: `/rtb incident INC-0007 export`" in text
    text = shown(listed)
    assert "인시던트: 1건 진행 중" in text and listed.text == "진행 중 인시던트 1건"
    assert ":red_circle: 1시간 15분째 데이터 부족 · 2026-12-03 09:58부터" in text
    assert text.index("INC-0008") < text.index("*최근*") < text.index("INC-0007")
    assert "기록된 인시던트가 아직 없습니다." in shown(empty)
    assert [(label, action) for label, action, _value in buttons(with_buttons)][:2] == [
        ("확인", "incident.acknowledge"),
        ("조사", "incident.investigate"),
    ]
    assert buttons(with_buttons)[-1] == ("해결", "incident.resolve", "INC-0007")
    assert ("incident.change.pause-queue", "INC-0007|pause-queue") in [
        (action, value) for _label, action, value in buttons(with_buttons)
    ]
    assert form["title"]["text"] == "인시던트 해결" and form["submit"]["text"] == "해결"
    assert form["close"]["text"] == "취소" and form["private_metadata"] == "INC-0007"
    assert form["blocks"][1]["label"]["text"] == "무슨 일이 있었고 무엇으로 해결했는지"


def test_postmortem_in_korean_keeps_the_facts_verbatim():
    trail = TrailWindow(
        T0 - timedelta(hours=1),
        RESOLVED.resolved_at,  # type: ignore[arg-type]
        (trail_event(15, "UpdateNodegroupConfig"), trail_event(-20, "TagResource", "AccessDenied")),
        True,
    )
    start, end = T0 - timedelta(hours=1), NOW
    unread = TrailWindow(start, end, (), False, unread="AWS int cloudtrail: timed out after 5 s")
    with use_locale("ko"):
        markdown = render_postmortem(RESOLVED, TIMELINE, trail, NOW, SEOUL)
        still_open = render_postmortem(OPEN, TIMELINE[:1], unread, NOW, SEOUL)
    assert_markdown_golden("ko/incident_postmortem", markdown)
    assert markdown.startswith("# 사후 분석 초안: INC-0007 — rtb-hub-bullmq-queue-depth\n")
    for heading in ("## 타임라인", "## int 변경 이력 (CloudTrail 쓰기 호출)", "## 영향"):
        assert f"\n{heading}\n" in markdown
    assert "\n## 근본 원인\n" in markdown and "\n## 후속 조치\n\n- [ ] _작성 필요._\n" in markdown
    assert "- **해결**: 2026-12-03 10:50 (52분 만에)" in markdown
    assert "- **알림 횟수**: 3회" in markdown and "- **조건**: GreaterThanThreshold 50" in markdown
    assert "- 2026-12-03 10:50 — <@ULEAD1> 해결: scaled up; <backlog> drained" in markdown
    assert "| 시각 | 호출 | 주체 | Slack 사용자 | 결과 |" in markdown
    assert (
        "| 2026-12-03 10:13 | eks:UpdateNodegroupConfig | rtb-bot-ULEAD1 | slack-ULEAD1 | ok |"
        in markdown
    )
    assert "2026-12-03 08:58 – 2026-12-03 10:50 구간 호출 2건 (최신순):" in markdown
    assert "_2026-12-03 08:58 – 2026-12-03 11:13 구간을 읽지 못했습니다(AWS int cloudtrail" in (
        still_open
    )
    assert "- **1시간 15분째 진행 중**" in still_open


def test_the_export_note_is_worded_in_the_readers_language_old_rows_too():
    """`export` leaves a note that is data (`EXPORTED`); a row stored before the flag holds
    only the English text, and reads the same."""
    new = event(9, 30, "note", "UOPERATOR1", **EXPORTED)
    old = event(10, 31, "note", "UOPERATOR1", text="post-mortem draft exported")
    typed = event(11, 32, "note", "UOPERATOR1", text="rolled back, watching")
    with use_locale("ko"):
        lines = [event_line(e) for e in (new, old, typed)]
    assert lines[:2] == ["<@UOPERATOR1> 사후 분석 초안 내보냄"] * 2
    assert lines[2] == "<@UOPERATOR1> 메모: rolled back, watching"
    assert event_line(new) == "Post-mortem draft exported by <@UOPERATOR1>"

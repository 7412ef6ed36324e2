"""The incident card's renderer: golden JSON, and the facts an on-call engineer reads asserted
directly (what fired, where, the value against the threshold, since when, the link)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from handlers.render.i18n import use_locale
from handlers.render.incidents import ACTIONS_BLOCK, duration, number, render_incident_card
from handlers.render.message import button
from ops.alarm_notifications import AlarmChange, AlarmMetric
from ops.incidents import Incident
from tests.golden import assert_golden, buttons, shown

T0 = datetime(2026, 12, 3, 0, 58, tzinfo=UTC)  # 09:58 in Seoul
TZ = "Asia/Seoul"
CHANGE = AlarmChange(
    alarm_name="rtb-hub-bullmq-queue-depth",
    account="111111111111",
    region="ap-northeast-2",
    state="ALARM",
    previous_state="OK",
    reason="Threshold Crossed: 1 out of the last 3 datapoints [412.0 (03/12/26 00:57:00)] was"
    " greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).",
    changed_at=T0,
    description="BullMQ jira-queue waiting + prioritized jobs > 50",
    metric=AlarmMetric(
        "RTBHub/BullMQ", "WaitingJobs", "MAXIMUM", (("Queue", "jira-queue"),), 60, 3
    ),
    comparison="GreaterThanThreshold",
    threshold=50.0,
    value=412.0,
)
OPEN = Incident(
    id="INC-0042",
    alarm_name=CHANGE.alarm_name,
    env="int",
    account=CHANGE.account,
    region=CHANGE.region,
    state="open",
    alarm_state="ALARM",
    opened_at=T0,
    last_seen_at=T0,
    state_changed_at=T0,
    repeat_count=0,
    resolved_at=None,
    resolved_by=None,
    channel="#rtb-incidents",
    card_key="incident:INC-0042",
    acknowledged_by=None,
    acknowledged_at=None,
    change=CHANGE,
)


def card(incident, **kwargs):
    return render_incident_card(incident, timezone=TZ, **kwargs)


def test_an_open_alarm_says_what_fired_where_why_and_since_when():
    message = card(OPEN)
    assert_golden("incident_card_open", message)
    text = shown(message)
    assert message.text == "INC-0042 ALARM: rtb-hub-bullmq-queue-depth in int"
    assert ":rotating_light: ALARM · rtb-hub-bullmq-queue-depth" in text
    assert "*WaitingJobs* [Queue=jira-queue] (Maximum over 1 min) was *412*, above the" in text
    assert "the threshold *50*" in text
    assert "*int* · 111111111111 · ap-northeast-2" in text
    assert "09:58 KST Thu 03 Dec" in text
    assert "*Seen*\nonce" in text
    assert (
        "<https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2"
        "#alarmsV2:alarm/rtb-hub-bullmq-queue-depth|Open the alarm in the CloudWatch console>"
    ) in text
    assert buttons(message) == []  # the buttons are card11's, passed in as `actions`


def test_repeats_and_the_acknowledgement_show():
    incident = replace(
        OPEN,
        repeat_count=3,
        last_seen_at=T0 + timedelta(minutes=6),
        acknowledged_by="ULEAD1",
        acknowledged_at=T0 + timedelta(minutes=2),
    )
    message = card(incident)
    assert_golden("incident_card_acknowledged", message)
    text = shown(message)
    assert "4 times, last at 10:04 KST Thu 03 Dec" in text
    assert "*Acknowledged*\n<@ULEAD1> at 10:00 KST Thu 03 Dec" in text


def test_ok_resolves_the_card_with_the_duration():
    ok = replace(CHANGE, state="OK", value=3.0, changed_at=T0 + timedelta(minutes=72))
    incident = replace(
        OPEN,
        state="resolved",
        alarm_state="OK",
        resolved_at=T0 + timedelta(minutes=72),
        change=ok,
    )
    message = card(incident)
    assert_golden("incident_card_resolved", message)
    text = shown(message)
    assert message.text == "INC-0042 resolved: rtb-hub-bullmq-queue-depth in int"
    assert ":white_check_mark: Resolved · rtb-hub-bullmq-queue-depth" in text
    assert "is back at *3* (threshold 50)" in text
    assert "11:10 KST Thu 03 Dec, the alarm is OK · lasted 1 h 12 min" in text


def test_a_manual_resolution_names_who():
    incident = replace(
        OPEN, state="resolved", resolved_at=T0 + timedelta(minutes=5), resolved_by="ULEAD2"
    )
    assert "by <@ULEAD2> · lasted 5 min" in shown(card(incident))


def test_insufficient_data_is_not_shown_as_resolved():
    change = replace(CHANGE, state="INSUFFICIENT_DATA", value=None)
    message = card(replace(OPEN, alarm_state="INSUFFICIENT_DATA", change=change))
    assert_golden("incident_card_insufficient_data", message)
    text = shown(message)
    assert "Insufficient data (still open)" in text
    assert "No data: CloudWatch could not evaluate *WaitingJobs*" in text
    assert "Resolved" not in text


def test_a_composite_alarm_names_its_rule_and_the_children_that_moved_it():
    change = replace(
        CHANGE,
        metric=None,
        value=None,
        threshold=None,
        composite_rule="ALARM(rtb-hub-error-rate) AND ALARM(rtb-hub-bullmq-queue-depth)",
        triggering_alarms=("rtb-hub-error-rate",),
    )
    text = shown(card(replace(OPEN, change=change)))
    assert "rule `ALARM(rtb-hub-error-rate) AND ALARM(rtb-hub-bullmq-queue-depth)`" in text
    assert "moved by `rtb-hub-error-rate`" in text


def test_an_unconfigured_account_is_said_and_alarm_text_cannot_ping_the_channel():
    change = replace(CHANGE, description="<!channel> wake up", metric=None)
    message = card(replace(OPEN, env=None, account="999999999999", change=change))
    text = shown(message)
    assert "*account not configured* · 999999999999" in text
    assert message.text.endswith("in account 999999999999")
    assert "<!channel>" not in text and "&lt;!channel&gt; wake up" in text
    assert "Threshold Crossed" in text  # no metric: CloudWatch's own sentence


def test_actions_go_in_one_block_card11_can_find():
    ack = button("Acknowledge", "incident_ack", "INC-0042")
    message = card(OPEN, actions=[ack])
    assert buttons(message) == [("Acknowledge", "incident_ack", "INC-0042")]
    assert message.blocks_json()[-1]["block_id"] == f"{ACTIONS_BLOCK}INC-0042"


def test_numbers_and_durations_read_naturally():
    assert [number(v) for v in (412.0, 5000.0, 7.25, 0.5, 1234567.0)] == [
        "412",
        "5,000",
        "7.25",
        "0.5",
        "1,234,567",
    ]
    assert [duration(timedelta(seconds=s)) for s in (20, 60 * 12, 3600, 3600 * 2 + 60)] == [
        "under a minute",
        "12 min",
        "1 h",
        "2 h 1 min",
    ]


def test_the_card_in_korean_golden_and_its_facts():
    acknowledged = replace(
        OPEN,
        repeat_count=3,
        last_seen_at=T0 + timedelta(minutes=6),
        acknowledged_by="ULEAD1",
        acknowledged_at=T0 + timedelta(minutes=2),
    )
    ok = replace(CHANGE, state="OK", value=3.0, changed_at=T0 + timedelta(minutes=72))
    resolved = replace(
        OPEN, state="resolved", alarm_state="OK", resolved_at=T0 + timedelta(minutes=72), change=ok
    )
    no_data = replace(CHANGE, state="INSUFFICIENT_DATA", value=None)
    with use_locale("ko"):
        opened = card(OPEN)
        assert_golden("incident_card_open", opened)
        acked = card(acknowledged)
        assert_golden("incident_card_acknowledged", acked)
        closed = card(resolved)
        assert_golden("incident_card_resolved", closed)
        unknown = card(replace(OPEN, alarm_state="INSUFFICIENT_DATA", change=no_data))
        assert_golden("incident_card_insufficient_data", unknown)
        by_hand = card(replace(OPEN, state="resolved", resolved_at=T0, resolved_by="ULEAD2"))
        spans = [duration(timedelta(seconds=s)) for s in (20, 60 * 12, 3600, 3600 * 2 + 60)]
    text = shown(opened)
    assert opened.text == "INC-0042 ALARM: int의 rtb-hub-bullmq-queue-depth"
    assert ":rotating_light: ALARM · rtb-hub-bullmq-queue-depth" in text
    assert "*WaitingJobs* [Queue=jira-queue] (1분 단위 Maximum): *412*, 임계값 *50* 초과." in text
    assert "*위치*\n*int* · 111111111111 · ap-northeast-2" in text
    assert "*감지 시각*\n12-03 09:58 KST" in text and "*발생 횟수*\n1회" in text
    assert "|CloudWatch 콘솔에서 알람 열기>" in text
    assert "*발생 횟수*\n4회, 마지막 12-03 10:04 KST" in shown(acked)
    assert "*확인*\n<@ULEAD1> · 12-03 10:00 KST" in shown(acked)
    assert closed.text == "INC-0042 해결됨: int의 rtb-hub-bullmq-queue-depth"
    assert ":white_check_mark: 해결됨 · rtb-hub-bullmq-queue-depth" in shown(closed)
    assert "*3*, 임계값 50 안으로 돌아왔습니다." in shown(closed)
    assert "*해결*\n12-03 11:10 KST, 알람 OK로 해결 · 1시간 12분 지속" in shown(closed)
    assert ":grey_question: 데이터 부족 (아직 진행 중)" in shown(unknown)
    assert "데이터 없음: CloudWatch가 *WaitingJobs* [Queue=jira-queue] 지표를" in shown(unknown)
    assert "<@ULEAD2>님이 해결 · 1분 미만 지속" in shown(by_hand)
    assert spans == ["1분 미만", "12분", "1시간", "2시간 1분"]

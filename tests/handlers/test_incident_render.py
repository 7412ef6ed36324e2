"""The incident renderers (pure): the timeline's sentences, the list, one incident, the card's
extra blocks, the post-mortem Markdown. Golden files plus the key facts asserted here."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.incident_playbooks import AlarmSubject, playbook_for
from handlers.render.incident_timeline import (
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

"""The TTL notice's renderers (pure): the Slack message per delivery and Jira outcome against
golden JSON plus its facts, and the Jira comment's Atlassian Document Format."""

from datetime import UTC, datetime, timedelta

import pytest

from handlers.render.ttl_notice import (
    DELETE_ACTION,
    EXTEND_ACTION,
    Delivery,
    TtlNoticeView,
    notice_outcome_line,
    render_jira_comment,
    render_ttl_notice,
    time_left,
    with_outcome,
)
from ops.ttl_notice import ExpiringPreview, JiraComment
from tests.golden import assert_golden, buttons, shown

NOW = datetime(2026, 12, 3, 0, 30, tzinfo=UTC)
PREVIEW = ExpiringPreview("prd", "preview-proj-101", "PROJ-101", NOW + timedelta(minutes=90), None)
ADDED = JiraComment("added", issue_url="https://team.atlassian.net/browse/PROJ-101")
VALUE = "prd|preview-proj-101|2026-12-03T02:00:00+00:00"


def view(jira=ADDED, delivery=Delivery("#rtb-alerts")):
    return TtlNoticeView(PREVIEW, NOW, "Asia/Seoul", 4, jira, delivery)


def test_the_notice_in_the_alerts_channel_golden():
    message = render_ttl_notice(view())
    assert_golden("ttl_notice_channel", message)
    text = shown(message)
    assert "Preview *PROJ-101* in *prd* expires in 1 h 30 min" in text
    assert "TTL ends 2026-12-03 11:00 KST" in text and "`preview-proj-101`" in text
    assert "a comment was added to <https://team.atlassian.net/browse/PROJ-101|PROJ-101>" in text
    assert buttons(message) == [
        ("Extend TTL (+4 h)", EXTEND_ACTION, VALUE),
        ("Delete now", DELETE_ACTION, VALUE),
    ]
    assert "Owner" not in text


def test_the_notice_by_dm_with_jira_down_golden():
    failed = JiraComment("failed", "HTTP 503 (Jira is failing)", ADDED.issue_url)
    message = render_ttl_notice(view(failed, Delivery("ULEAD1", owner="ULEAD1")))
    assert_golden("ttl_notice_dm_jira_failed", message)
    text = shown(message)
    assert "Owner: <@ULEAD1>" in text
    assert ":warning: Jira: the comment could not be added to PROJ-101 (HTTP 503" in text
    assert "a comment was added" not in text
    assert [b[1] for b in buttons(message)] == [EXTEND_ACTION, DELETE_ACTION]


@pytest.mark.parametrize(
    ("jira", "delivery", "said"),
    [
        (JiraComment("off"), Delivery("#a"), "Jira: not configured (no comment)."),
        (JiraComment("no credentials"), Delivery("#a"), "JIRA_EMAIL / JIRA_API_TOKEN are not set"),
        (ADDED, Delivery("#a", owner_not_found="U0GONE"), "names `U0GONE`, whom Slack does not"),
    ],
)
def test_each_footnote(jira, delivery, said):
    assert said in shown(render_ttl_notice(view(jira, delivery)))


@pytest.mark.parametrize(
    ("left", "said"),
    [
        (timedelta(minutes=90), "1 h 30 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(minutes=45, seconds=20), "45 min"),
        (timedelta(minutes=89, seconds=59), "1 h 30 min"),
        (timedelta(seconds=30), "under a minute"),
    ],
)
def test_time_left(left, said):
    assert time_left(NOW, NOW + left) == said


def test_the_jira_comment_is_an_adf_document():
    body = render_jira_comment(PREVIEW, NOW, "Asia/Seoul")
    assert body["type"] == "doc" and body["version"] == 1
    texts = [n["text"] for p in body["content"] for n in p["content"]]
    assert all(p["type"] == "paragraph" for p in body["content"]) and all(texts)
    assert texts[0] == (
        "The preview environment of this issue (prd, namespace preview-proj-101) expires in "
        "1 h 30 min, at 2026-12-03 11:00 KST, and will then be deleted."
    )


def test_a_change_done_from_the_notice_replaces_its_buttons_with_a_line():
    blocks = render_ttl_notice(view()).blocks_json()
    result = {"expires_at": "2026-12-03T06:00:00Z"}
    line = notice_outcome_line(EXTEND_ACTION, "UOPERATOR1", result, "Asia/Seoul")
    assert line == ":white_check_mark: TTL extended to 2026-12-03 15:00 KST by <@UOPERATOR1>."
    edited = with_outcome(blocks, line)
    assert [b["type"] for b in edited] == ["section", "context", "context"]
    assert edited[-1]["elements"][0]["text"] == line and edited[0] == blocks[0]
    deleted = notice_outcome_line(DELETE_ACTION, "U<x>", {}, "Asia/Seoul")
    assert deleted == ":wastebasket: Deleted by <@U&lt;x&gt;>."

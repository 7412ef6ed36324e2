"""The TTL notice's renderers (pure): the Slack message per delivery and Jira outcome against
golden JSON plus its facts, and the Jira comment's Atlassian Document Format."""

from datetime import UTC, datetime, timedelta

import pytest

from handlers.render.i18n import use_locale
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
from ops.backends.jira import status_failure
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
    failed = JiraComment("failed", status_failure(503), ADDED.issue_url)
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


def test_the_notice_in_korean_golden_its_facts_and_the_same_buttons():
    failed = JiraComment("failed", status_failure(503), ADDED.issue_url)
    with use_locale("ko"):
        channel = render_ttl_notice(view())
        assert_golden("ttl_notice_channel", channel)
        dm = render_ttl_notice(view(failed, Delivery("ULEAD1", owner="ULEAD1")))
        assert_golden("ttl_notice_dm_jira_failed", dm)
        gone = render_ttl_notice(view(ADDED, Delivery("#a", owner_not_found="U0GONE")))
        extended = notice_outcome_line(
            EXTEND_ACTION, "UOPERATOR1", {"expires_at": "2026-12-03T06:00:00Z"}, "Asia/Seoul"
        )
        deleted = notice_outcome_line(DELETE_ACTION, "UOPERATOR1", {}, "Asia/Seoul")
        left = [time_left(NOW, NOW + timedelta(seconds=s)) for s in (30, 45 * 60, 7200, 5400)]
        comment = render_jira_comment(PREVIEW, NOW, "Asia/Seoul")
    text = shown(channel)
    assert "*prd* Preview *PROJ-101*: 1시간 30분 후 만료" in text
    assert "`preview-proj-101` · TTL 종료 2026-12-03 11:00 KST" in text
    assert (
        "Jira: <https://team.atlassian.net/browse/PROJ-101|PROJ-101>에 댓글을 남겼습니다." in text
    )
    assert buttons(channel) == [
        ("TTL 연장 (+4시간)", EXTEND_ACTION, VALUE),
        ("지금 삭제", DELETE_ACTION, VALUE),
    ]
    assert "담당자: <@ULEAD1>" in shown(dm)
    told = ":warning: Jira: PROJ-101에 댓글을 남기지 못했습니다(HTTP 503 (Jira 서버 오류))"
    assert told in shown(dm)
    assert "Jira is failing" not in shown(dm)  # the reason in the reader's language too
    assert "`U0GONE`: Slack에 없는 사용자라 DM 대신 여기에 올렸습니다." in shown(gone)
    assert (
        extended
        == ":white_check_mark: <@UOPERATOR1>님이 TTL을 2026-12-03 15:00 KST까지 연장했습니다."
    )
    assert deleted == ":wastebasket: <@UOPERATOR1>님이 삭제했습니다."
    assert left == ["1분 미만", "45분", "2시간", "1시간 30분"]
    first = comment["content"][0]["content"][0]["text"]
    assert first == (
        "이 이슈의 Preview 환경(prd, namespace preview-proj-101)이 1시간 30분 후 "
        "2026-12-03 11:00 KST에 만료되어 삭제됩니다."
    )

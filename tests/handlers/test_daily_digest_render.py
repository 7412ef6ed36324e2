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
from tests.golden import assert_golden

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


def digest(previews_expiring=(), cost=Decimal("56.35"), failures=()):
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
            (("Claude API 529 overloaded", 4), ("git push rejected", 2)),
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

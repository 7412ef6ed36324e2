"""Retention of the push side's state over real PostgreSQL: rows of known ages, and what a
housekeeping run deletes of them (and, above all, what it never deletes)."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from ops.backends.db import Database, migrate
from ops.config import Retention
from ops.retention import prune_push_state

NOW = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
KEEP = timedelta(days=30)
GRACES = {"daily-digest": timedelta(hours=2), "yearly-report": timedelta(days=60)}


@pytest.fixture
async def bot_db(pg_url):
    db = Database("bot", pg_url)
    await db.open()
    await migrate(db)
    yield db
    await db.close()


async def message(db, key, days_ago, *, sent=True, gave_up=False, thread_key=None, edit=False):
    """A message created `days_ago` days before NOW; `sent`: delivered that day."""
    at = NOW - timedelta(days=days_ago)
    await db.execute(
        "INSERT INTO rtb_bot.outbox (key, channel, thread_key, text, created_at, sent_at,"
        " version, sent_version, ts, gave_up_at) VALUES (%s, 'C_ALERTS', %s, 't', %s, %s,"
        " %s, %s, %s, %s)",
        (
            key,
            thread_key,
            at,
            at if sent else None,
            2 if edit else 1,
            1 if sent else 0,
            "1.0" if sent else None,
            at if gave_up else None,
        ),
    )


async def claim(db, job, days_ago):
    at = NOW - timedelta(days=days_ago)
    await db.execute(
        "INSERT INTO rtb_bot.job_claims (job, period, claimed_by, claimed_at, scheduled_for)"
        " VALUES (%s, %s, 'pod-a', %s, %s)",
        (job, at.isoformat(), at, at),
    )


async def keys(db):
    return sorted(r["key"] for r in await db.fetch("SELECT key FROM rtb_bot.outbox"))


async def claims(db):
    rows = await db.fetch("SELECT job, scheduled_for FROM rtb_bot.job_claims")
    return sorted((r["job"], (NOW - r["scheduled_for"]).days) for r in rows)


async def test_delivered_messages_older_than_keep_go_with_their_ticks_nothing_else(bot_db):
    await message(bot_db, "old-sent", 40)
    await message(bot_db, "young-sent", 10)
    await message(bot_db, "old-unsent", 40, sent=False)
    await message(bot_db, "old-given-up", 40, sent=False, gave_up=True)
    await message(bot_db, "old-edit-waiting", 40, edit=True)  # ticked, edit not shown yet
    await message(bot_db, "old-parent", 40)
    await message(bot_db, "old-parent:reply", 40, thread_key="old-parent")
    await message(bot_db, "parent-of-unsent", 40)
    await message(bot_db, "parent-of-unsent:reply", 40, sent=False, thread_key="parent-of-unsent")
    for item, user in (("previews", "U1"), ("ai_cost", "U2")):
        await bot_db.execute(
            "INSERT INTO rtb_bot.digest_ticks (message_key, item, user_id) VALUES (%s, %s, %s)",
            ("old-sent", item, user),
        )
    await bot_db.execute(
        "INSERT INTO rtb_bot.digest_ticks (message_key, item, user_id)"
        " VALUES ('young-sent', 'previews', 'U1')"
    )

    pruned = await prune_push_state(bot_db, NOW, KEEP, GRACES)

    assert (pruned.messages, pruned.ticks) == (3, 2)
    assert await keys(bot_db) == [
        "old-edit-waiting",
        "old-given-up",
        "old-unsent",
        "parent-of-unsent",
        "parent-of-unsent:reply",
        "young-sent",
    ]
    ticks = await bot_db.fetch("SELECT message_key FROM rtb_bot.digest_ticks")
    assert [t["message_key"] for t in ticks] == ["young-sent"]
    again = await prune_push_state(bot_db, NOW, KEEP, GRACES)
    assert (again.messages, again.ticks, again.claims) == (0, 0, 0)


async def test_claims_older_than_keep_go_unless_their_period_could_still_be_caught_up(bot_db):
    await claim(bot_db, "daily-digest", 40)
    await claim(bot_db, "daily-digest", 29)
    await claim(bot_db, "yearly-report", 40)  # a 60-day grace: it must stay
    await claim(bot_db, "yearly-report", 61)
    await claim(bot_db, "retired-job", 40)  # no longer scheduled: kept as long as any grace
    await claim(bot_db, "retired-job", 70)

    pruned = await prune_push_state(bot_db, NOW, KEEP, GRACES)

    assert pruned.claims == 3
    assert await claims(bot_db) == [
        ("daily-digest", 29),
        ("retired-job", 40),
        ("yearly-report", 40),
    ]


async def test_nothing_young_is_deleted_even_with_a_short_keep(bot_db):
    await claim(bot_db, "daily-digest", 0)
    await message(bot_db, "today", 0)
    pruned = await prune_push_state(bot_db, NOW, timedelta(0), GRACES)
    # the claim of today's period is within its 2 h grace: a catch-up would re-run it
    assert (pruned.messages, pruned.claims) == (0, 0)
    assert await claims(bot_db) == [("daily-digest", 0)]


@pytest.mark.parametrize(
    ("given", "field"),
    [({"housekeeping": "every night"}, "housekeeping"), ({"keep_days": 3}, "keep_days")],
)
def test_a_wrong_retention_setting_is_refused_and_named(given, field):
    with pytest.raises(ValidationError) as refused:
        Retention.model_validate(given)
    [error] = refused.value.errors()
    assert error["loc"] == (field,)
    assert Retention().keep_days == 30 and Retention().housekeeping == "30 4 * * *"

"""The housekeeping job in a real runtime (real PostgreSQL, the fake Slack): claimed per day
like every job, deletes old delivered messages and claims, posts nothing, and is listed in
`/rtb schedules` with its last run."""

from datetime import UTC, datetime, timedelta

from bot.app import create_runtime
from handlers.jobs import JOBS
from handlers.scheduled import fire_job
from tests.fixtures.bot import answer_text, serving

HOUSEKEEPING = JOBS["housekeeping"]
# 04:40 Seoul: ten minutes after the default 04:30
NOW = datetime(2026, 12, 2, 19, 40, tzinfo=UTC)


async def test_housekeeping_runs_once_a_day_deletes_old_rows_and_shows_in_schedules(
    bot_settings, fake_slack
):
    replicas = [
        create_runtime(bot_settings, retries=0, clock=lambda: NOW, replica=name)
        for name in ("pod-a", "pod-b")
    ]
    for rt in replicas:
        await rt.start()
    try:
        a, b = replicas
        db = a.deps.backends.db
        await db.execute(  # delivered 31 days ago (written as the sender leaves it)
            "INSERT INTO rtb_bot.outbox (key, channel, text, sent_version, ts, sent_at)"
            " VALUES ('old-digest', 'C_ALERTS', 'old', 1, '1.0', %s)",
            (NOW - timedelta(days=31),),
        )
        await db.execute(  # never sent (its channel is given up on): kept however old
            "INSERT INTO rtb_bot.outbox (key, channel, text, created_at, gave_up_at)"
            " VALUES ('given-up', 'C0GONE', 'old', %s, %s)",
            (NOW - timedelta(days=40), NOW - timedelta(days=40)),
        )
        await a.deps.push.claims.claim("daily-digest", "old", NOW - timedelta(days=31))

        fired = [await fire_job(rt.deps, rt.deps.push, HOUSEKEEPING) for rt in replicas]

        assert [f.status for f in fired] == ["ran", "claimed"]
        assert fired[0].result.detail == {"deleted": {"messages": 1, "ticks": 0, "claims": 1}}
        rows = await db.fetch("SELECT key FROM rtb_bot.outbox ORDER BY key")
        assert [r["key"] for r in rows] == ["given-up"]
        assert fired[0].result.posted == ()
        async with serving(b, fake_slack) as slack:
            text = answer_text(await slack.ask("schedules"))
        assert "*housekeeping*" in text and "`30 4 * * *`" in text
        assert "Last run: 12-03 04:30 · " in text and "`pod-a`" in text  # the table's zone
        assert "Deleted 1 delivered message (0 ticks) and 1 claim" in text
    finally:
        for rt in replicas:
            await rt.stop()

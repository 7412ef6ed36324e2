import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ops.backends.db import Database, migrate
from ops.schedule import JobClaims, due_period, next_fire, period_key

DAILY = "0 9 * * *"
SEOUL = "Asia/Seoul"
TWO_HOURS = timedelta(hours=2)


def kst(day: int, hour: int, minute: int = 0) -> datetime:
    # 09:00 KST is 00:00 UTC
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (kst(3, 9, 0), kst(3, 9)),  # on time
        (kst(3, 10, 59), kst(3, 9)),  # late, within the grace period: catch up
        (kst(3, 11, 0), None),  # exactly 2 h late: too late
        (kst(3, 8, 59), None),  # yesterday's is 24 h old
    ],
)
def test_due_period_is_the_newest_fire_time_within_the_grace(now, expected):
    assert due_period(DAILY, SEOUL, now, TWO_HOURS) == expected


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("* * * * *", kst(3, 10, 7)),  # a per-minute job: this minute
        (DAILY, kst(3, 9)),
        ("0 9 * * mon", kst(30, 9) - timedelta(days=30)),  # Monday 2026-11-30
    ],
)
def test_a_long_grace_still_finds_the_newest_period(cron, expected):
    """The console's /fire asks with an 8-day grace; a per-minute job has 11,520 fire times
    in it, more than the bounded walk takes: the newest one is still found."""
    now = kst(3, 10, 7) + timedelta(seconds=30)
    assert due_period(cron, SEOUL, now, timedelta(days=8)) == expected


def test_period_key_names_the_fire_time_in_the_configured_zone():
    assert period_key(kst(3, 9), SEOUL) == "2026-12-03T09:00:00+09:00"
    assert next_fire(DAILY, SEOUL, kst(3, 9)) == kst(4, 9)


@pytest.fixture
async def bot_db(pg_url):
    db = Database("bot", pg_url)
    await db.open()
    await migrate(db)
    yield db
    await db.close()


async def test_two_replicas_claiming_one_period_at_once_one_wins(bot_db):
    replicas = [JobClaims(bot_db, f"replica-{n}") for n in range(5)]
    won = await asyncio.gather(
        *(c.claim("daily-digest", "2026-12-03T09:00:00+09:00", kst(3, 9)) for c in replicas)
    )
    assert sorted(won) == [False] * 4 + [True]
    winner = f"replica-{won.index(True)}"
    assert await replicas[0].claimed_by("daily-digest", "2026-12-03T09:00:00+09:00") == winner


async def test_a_run_is_recorded_with_its_replica_and_outcome(bot_db):
    claims = JobClaims(bot_db, "pod-a:1", clock=lambda: kst(3, 9, 1))
    assert await claims.claim("daily-digest", "p1", kst(3, 9))
    runs = await claims.last_runs()
    assert runs["daily-digest"].outcome is None  # running
    await claims.finish("daily-digest", "p1", "done", {"posted": ["k"]})
    run = (await claims.last_runs())["daily-digest"]
    assert (run.replica, run.outcome, run.detail) == ("pod-a:1", "done", {"posted": ["k"]})
    # another replica cannot record the outcome of a run it did not claim
    await JobClaims(bot_db, "pod-b:1").finish("daily-digest", "p1", "failed", {})
    assert (await claims.last_runs())["daily-digest"].outcome == "done"

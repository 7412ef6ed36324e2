"""The single-flight lock over the real PostgreSQL: one holder per key, across connections (as
across replicas), released when the block ends, also when it raises."""

import pytest

from ops.backends.db import Database
from ops.single_flight import lock_id, single_flight


@pytest.fixture
async def db(pg_url):
    database = Database("PostgreSQL (bot)", pg_url, timeout=2.0)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


async def test_one_holder_per_key_until_the_block_ends(db):
    key, other_key = "button queue pause jira-queue", "button queue resume jira-queue"
    async with (
        single_flight(db, key) as first,
        single_flight(db, key) as second,
        single_flight(db, other_key) as other,
    ):
        assert (first, second, other) == (True, False, True)
    async with single_flight(db, "button queue pause jira-queue") as again:
        assert again


async def test_the_lock_ends_with_a_block_that_raised(db):
    with pytest.raises(RuntimeError):
        async with single_flight(db, "k") as held:
            assert held
            raise RuntimeError("the work failed")
    async with single_flight(db, "k") as held:
        assert held


def test_lock_ids_are_signed_64_bit_and_stable():
    assert lock_id("a") == lock_id("a") != lock_id("b")
    assert all(-(2**63) <= lock_id(k) < 2**63 for k in ("a", "b", "x" * 5000))


async def test_a_release_that_fails_after_the_work_is_not_the_works_failure(db, pg_url):
    """The run has answered; a connection lost before the commit (a failover) must not turn
    into "try again": the lock ends with the session anyway."""
    async with single_flight(db, "k") as held:
        assert held
        await db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
        )
    async with single_flight(db, "k") as again:
        assert again

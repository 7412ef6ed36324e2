"""BullMQ queue reads over a real Redis, with jobs written by Node BullMQ (as the hub writes them)
and by a real Python bullmq Worker."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from bullmq import Queue, Worker

from ops.backends.queues import BullQueues
from ops.errors import BackendError
from ops.queues import UnknownQueue, all_queue_counts, queue_counts, queue_detail, queue_name
from tests.fixtures.node_bullmq import run_producer
from tests.words import said, user_error

WATCHED = ("jira-queue", "pr-review-queue")


@pytest.fixture
async def redis_client(redis_url):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def bull(redis_client):
    return BullQueues(redis_client, "bull")


async def add_jobs(client, name, *, waiting=0, prioritized=0, delayed=0):
    queue = Queue(name, {"connection": client, "prefix": "bull"})
    plans = (
        [{} for _ in range(waiting)]
        + [{"priority": 1 + n % 3} for n in range(prioritized)]
        + [{"delay": 3_600_000} for _ in range(delayed)]
    )
    await queue.addBulk([{"name": "job", "data": {"n": n}, "opts": p} for n, p in enumerate(plans)])
    return queue


async def fail_jobs(redis_url, client, name, reasons, attempts=2):
    """Jobs that really fail `attempts` times each in a real Worker, one after the other."""
    queue = Queue(name, {"connection": client, "prefix": "bull"})

    async def process(job, token):
        raise RuntimeError(job.data["reason"])

    worker = Worker(name, process, {"connection": redis_url, "prefix": "bull", "concurrency": 1})
    try:
        for reason in reasons:
            opts = {"attempts": attempts, "removeOnFail": False}
            await queue.add("jira-auto-dev", {"reason": reason}, opts)
            expected = reasons.index(reason) + 1
            async with asyncio.timeout(10):
                while (await queue.getJobCounts("failed"))["failed"] < expected:
                    await asyncio.sleep(0.02)
    finally:
        await worker.close()


async def test_waiting_is_counted_the_bullmq_way_for_jobs_written_by_node(redis_url, bull):
    run_producer(
        redis_url,
        "jira-queue",
        {"waiting": 38, "prioritized": 17, "delayed": 4, "failed": 2, "failedReason": "529"},
    )

    counts = await queue_counts(bull, "jira-queue")

    assert (counts.waiting, counts.prioritized, counts.pending) == (38, 17, 55)
    assert (counts.delayed, counts.failed, counts.active, counts.completed) == (4, 2, 0, 0)
    assert counts.waiting_children == 0 and counts.paused is False


async def test_a_paused_queue_is_flagged_and_its_jobs_still_count_as_waiting(redis_client, bull):
    queue = await add_jobs(redis_client, "jira-queue", waiting=3, prioritized=2)
    await queue.pause()

    overview = await all_queue_counts(bull, WATCHED)

    assert overview.paused == ("jira-queue",)
    jira = overview.queues[0]
    assert jira.paused and jira.pending == 5


async def test_every_watched_queue_is_counted_even_an_empty_one(redis_client, bull):
    await add_jobs(redis_client, "jira-queue", waiting=4, delayed=1)
    await add_jobs(redis_client, "pr-review-queue", prioritized=3)

    overview = await all_queue_counts(bull, (*WATCHED, "never-used-queue"))

    assert [(q.name, q.pending) for q in overview.queues] == [
        ("jira-queue", 4),
        ("pr-review-queue", 3),
        ("never-used-queue", 0),
    ]
    assert overview.pending == 7 and overview.paused == ()


async def test_newest_failed_jobs_come_first_with_reason_attempts_and_time(
    redis_url, redis_client, bull
):
    before = datetime.now(UTC) - timedelta(seconds=1)
    await fail_jobs(redis_url, redis_client, "jira-queue", ["first", "second", "third"])

    detail = await queue_detail(bull, "jira-queue", WATCHED, failed_limit=2)

    assert detail.configured and detail.counts.failed == 3
    assert [job.reason for job in detail.failed_jobs] == ["third", "second"]
    job = detail.failed_jobs[0]
    assert job.attempts == 2 and job.name == "jira-auto-dev"
    assert job.failed_at is not None and before <= job.failed_at <= datetime.now(UTC)


async def test_zero_failed_jobs_asked_lists_none(redis_client, bull):
    await add_jobs(redis_client, "jira-queue", waiting=1)
    detail = await queue_detail(bull, "jira-queue", WATCHED, failed_limit=0)
    assert detail.failed_jobs == ()


async def test_an_unknown_queue_gets_did_you_mean_over_the_watched_queues(bull):
    with pytest.raises(UnknownQueue) as error:
        await queue_detail(bull, "jira-queu", WATCHED, failed_limit=5)
    assert "Did you mean `jira-queue`?" in said(error.value)
    assert error.value.suggestions == ("jira-queue",)


async def test_a_queue_that_exists_in_redis_but_is_not_watched_is_shown(redis_client, bull):
    await add_jobs(redis_client, "billing-queue", waiting=2)
    detail = await queue_detail(bull, "billing-queue", WATCHED, failed_limit=5)
    assert not detail.configured and detail.counts.pending == 2


@pytest.mark.parametrize(
    "name", ["", "a b", "x;FLUSHALL", "q*", "bull:{q}", "큐", "a" * 101, "x'--"]
)
def test_queue_names_are_checked(name):
    with user_error(ValueError, match="queue name"):
        queue_name(name)


@pytest.mark.parametrize("name", ["jira-queue", "a.b:c_d", "Q1", "x" * 100])
def test_valid_queue_names(name):
    assert queue_name(name) == name


async def test_ops_refuse_a_malformed_name_as_a_user_error(bull):
    with user_error(match="not a valid queue name"):
        await queue_detail(bull, "*", WATCHED, failed_limit=1)


async def test_redis_down_names_redis_and_why():
    client = aioredis.Redis.from_url(
        "redis://127.0.0.1:1", decode_responses=True, socket_connect_timeout=1
    )
    try:
        with pytest.raises(BackendError) as error:
            async with asyncio.timeout(60):  # a bound for a hang, not a measure
                await all_queue_counts(BullQueues(client, "bull"), WATCHED)
        assert (error.value.backend, error.value.reason) == ("Redis", "cannot connect")
    finally:
        await client.aclose()


async def test_queue_objects_are_built_once_per_name(bull):
    assert bull.queue("jira-queue") is bull.queue("jira-queue")
    assert bull.queue("jira-queue") is not bull.queue("pr-review-queue")

"""Python bullmq (what the bot uses) against the hub's Node BullMQ 6, over a real Redis.

Node writes jobs in every state; Python must read exactly those counts and failures, and
Python's pause/resume/retry must really stop and restart a running Node worker.
"""

import asyncio

import pytest
import redis.asyncio as aioredis
from bullmq import Queue

from tests.fixtures.node_bullmq import NodeWorker, run_producer

QUEUE = "jira-queue"
ALL_STATES = (
    "waiting",
    "active",
    "delayed",
    "failed",
    "completed",
    "paused",
    "prioritized",
    "waiting-children",
)
QUIET_PERIOD_S = 1.0


@pytest.fixture
async def redis_client(redis_url):
    """The one Redis client of a test; closed once, here (Queue.close() would close it too)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def queue(redis_client):
    return Queue(QUEUE, {"connection": redis_client, "prefix": "bull"})


def counts(**nonzero):
    return {state: nonzero.get(state.replace("-", "_"), 0) for state in ALL_STATES}


async def test_python_sees_exact_counts_and_failure_reasons_of_node_jobs(redis_url, queue):
    ids = run_producer(
        redis_url,
        QUEUE,
        {
            "waiting": 5,
            "prioritized": 3,
            "delayed": 2,
            "failed": 4,
            "failedReason": "upstream timeout",
        },
    )

    assert await queue.getJobCounts(*ALL_STATES) == counts(
        waiting=5, prioritized=3, delayed=2, failed=4
    )
    failed = await queue.getFailed(0, 9)
    assert sorted(job.id for job in failed) == sorted(ids["failed"])
    assert {job.failedReason for job in failed} == {"upstream timeout"}
    assert {job.attemptsMade for job in failed} == {1}
    assert all(job.name.startswith("failed-") for job in failed)
    assert not await queue.isPaused()


async def test_pause_stops_a_running_node_worker_and_resume_restarts_it(redis_url, queue):
    with NodeWorker(redis_url, QUEUE) as worker:
        assert await queue.pause() == 0
        assert await queue.isPaused()
        ids = run_producer(redis_url, QUEUE, {"waiting": 3, "prioritized": 2})

        await asyncio.sleep(QUIET_PERIOD_S)
        assert worker.completed == []
        # BullMQ 6 keeps the jobs of a paused queue in wait/prioritized (no `paused` list).
        assert await queue.getJobCounts(*ALL_STATES) == counts(waiting=3, prioritized=2)

        calls = 1
        while await queue.resume():  # returns the jobs left in a legacy `paused` list
            calls += 1
        assert calls == 1
        assert not await queue.isPaused()
        done = await worker.wait_completed(5)

    assert sorted(e["id"] for e in done) == sorted(ids["waiting"] + ids["prioritized"])
    assert worker.closed_cleanly
    assert await queue.getJobCounts(*ALL_STATES) == counts(completed=5)


async def test_retry_failed_jobs_lets_a_node_worker_complete_them(redis_url, queue):
    ids = run_producer(redis_url, QUEUE, {"failed": 4})
    with NodeWorker(redis_url, QUEUE) as worker:
        await asyncio.sleep(0.2)
        assert worker.completed == []  # failed jobs stay failed until retried

        await queue.retryJobs({"state": "failed"})
        done = await worker.wait_completed(4)

    assert sorted(e["id"] for e in done) == sorted(ids["failed"])
    assert worker.closed_cleanly
    assert await queue.getJobCounts(*ALL_STATES) == counts(completed=4)

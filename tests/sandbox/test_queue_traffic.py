"""The sandbox's live preview-queue: jobs keep arriving and completing; the bot's pause stops the
worker (waiting grows, completed does not), resume restarts it, and stop() never hangs."""

import asyncio
import threading
import time

import redis.asyncio as aioredis

from ops.backends.queues import BullQueues
from ops.queues import queue_counts
from sandbox.queue_traffic import QUEUE, QueueTraffic


async def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_pause_visibly_stops_the_sandbox_consumer(redis_url):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    bull = BullQueues(client, "bull")
    traffic = QueueTraffic(redis_url, interval=0.2).start()
    try:

        async def completed_at_least(n):
            return (await queue_counts(bull, QUEUE)).completed >= n

        await wait_for(lambda: completed_at_least(3))
        await bull.pause(QUEUE)
        await asyncio.sleep(0.5)  # a job held at pause time finishes
        paused = await queue_counts(bull, QUEUE)
        await asyncio.sleep(1.0)
        later = await queue_counts(bull, QUEUE)
        assert later.paused and later.completed == paused.completed
        assert later.pending >= paused.pending + 3  # still arriving, nobody takes them

        await bull.resume(QUEUE)
        await wait_for(lambda: completed_at_least(later.completed + later.pending))
    finally:
        traffic.stop()
        await client.aclose()
    # stop() gives up on a worker that does not close (after a bound): this one really ended
    assert [t for t in threading.enumerate() if t.name == "sandbox-queue-traffic"] == []
    traffic.stop()  # idempotent

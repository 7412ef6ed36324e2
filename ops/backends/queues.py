"""BullMQ queues over the shared Redis client, through the `bullmq` package (BullMQ's own Lua).

The only module that imports `bullmq`. Hand-written Redis commands are wrong for BullMQ 6
(prioritized jobs live in a zset, pause is a flag in the `meta` hash), so counts, the paused
flag and job listings all go through `bullmq.Queue`; the one raw command is the existence
check of a queue's `meta`/`id` keys.

`Queue` objects are cached per name: building one reads and registers every Lua script
(~1 ms). They are never closed: `Queue.close()` would close the shared client.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
from bullmq import Queue

from ops.backends.classify import backend_error
from ops.errors import BackendError

REDIS = "Redis"
COUNT_STATES = (
    "waiting",
    "prioritized",
    "delayed",
    "active",
    "failed",
    "completed",
    "waiting-children",
    "paused",  # the pre-5.0 `paused` list; BullMQ 6 keeps paused jobs in `wait`
)
T = TypeVar("T")


@dataclass(frozen=True)
class RawFailedJob:
    """A failed job as BullMQ stores it (times in ms since the epoch, 0 when unknown)."""

    id: str
    name: str
    failed_reason: str
    attempts_made: int
    finished_on_ms: int
    timestamp_ms: int


@dataclass(frozen=True)
class RetriedJobs:
    retried: tuple[str, ...]  # job ids moved back to wait
    skipped: tuple[str, ...]  # job ids no longer in `failed` when their turn came


class BullQueues:
    """The queues under `prefix`: counts and listings, and pause / resume / retry."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._queues: dict[str, Queue] = {}

    @property
    def prefix(self) -> str:
        return self._prefix

    def queue(self, name: str) -> Queue:
        cached = self._queues.get(name)
        if cached is None:
            cached = Queue(name, {"connection": self._client, "prefix": self._prefix})
            self._queues[name] = cached
        return cached

    async def counts(self, name: str) -> dict[str, int]:
        """Every state's count (`COUNT_STATES`), O(1) each, in one Lua call."""
        raw = await _redis(self.queue(name).getJobCounts(*COUNT_STATES))
        return {state: int(raw.get(state) or 0) for state in COUNT_STATES}

    async def is_paused(self, name: str) -> bool:
        return bool(await _redis(self.queue(name).isPaused()))

    async def exists(self, name: str) -> bool:
        """True when BullMQ has ever written the queue (its `meta` or `id` key exists)."""
        keys = [f"{self._prefix}:{name}:meta", f"{self._prefix}:{name}:id"]
        return bool(await _redis(self._client.exists(*keys)))

    async def newest_failed(self, name: str, limit: int) -> list[RawFailedJob]:
        """The `limit` most recently failed jobs, newest first."""
        if limit <= 0:
            return []
        jobs = await _redis(self.queue(name).getFailed(0, limit - 1))
        return [_failed_job(job) for job in jobs]

    # -- changes (the caller decides whether it may: approvals' queue mutations) ---------------

    async def pause(self, name: str) -> None:
        """BullMQ's pause: the `paused` flag in `meta`; workers take no new job, jobs stay."""
        await _redis(self.queue(name).pause())

    async def resume(self, name: str) -> int:
        """Resume; the number of calls it took.

        bullmq's resume moves at most 7,000 jobs of a pre-BullMQ-5 `paused` list per call and
        returns how many are left there, so it is called until nothing is left.
        """
        calls = 1
        left = await _redis(self.queue(name).resume())
        while left:
            calls += 1
            left = await _after_progress(self.queue(name).resume())
        return calls

    async def retry_all_failed(self, name: str) -> None:
        """Every failed job back to `wait` (bullmq loops the Lua script in batches itself, so a
        refusal may come after some batches were retried)."""
        await _after_progress(self.queue(name).retryJobs({"state": "failed"}))

    async def retry_newest_failed(self, name: str, limit: int) -> RetriedJobs:
        """The `limit` most recently failed jobs back to `wait`, one by one (newest first).

        `retryJobs(count=…)` is a batch size, not a limit: it always retries every failed job.
        A job that left `failed` in the meantime (retried or removed by someone else) is skipped.
        """
        retried: list[str] = []
        skipped: list[str] = []
        if limit <= 0:
            return RetriedJobs((), ())
        for job in await _redis(self.queue(name).getFailed(0, limit - 1)):
            try:
                await (_after_progress if retried else _redis)(job.retry("failed"))
            except TypeError:  # bullmq's "job is not in the failed state" / "missing key"
                skipped.append(str(job.id))
            else:
                retried.append(str(job.id))
        return RetriedJobs(tuple(retried), tuple(skipped))


async def _after_progress(awaitable: Awaitable[T]) -> T:
    """A Redis call after others of the same change were applied: its failure is partial."""
    try:
        return await _redis(awaitable)
    except BackendError as exc:
        raise exc.after_progress() from exc


def _failed_job(job: Any) -> RawFailedJob:
    return RawFailedJob(
        id=str(job.id),
        name=str(job.name or ""),
        failed_reason=str(job.failedReason or ""),
        attempts_made=int(job.attemptsMade or 0),
        finished_on_ms=int(job.finishedOn or 0),
        timestamp_ms=int(job.timestamp or 0),
    )


async def _redis(awaitable: Awaitable[T]) -> T:
    """Await a Redis call; a recognised failure becomes BackendError("Redis", reason)."""
    try:
        return await awaitable
    except Exception as exc:
        error = backend_error(REDIS, exc)
        if error is None:
            raise
        raise error from exc

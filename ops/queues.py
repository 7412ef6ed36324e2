"""BullMQ queues, counted the BullMQ way, and their newest failed jobs (runbook §5.3 backlog).

The runbook's `redis-cli llen bull:{queue}:wait` misses prioritized jobs (a zset in BullMQ 6):
here "waiting" is what BullMQ itself calls waiting, `wait` + `prioritized`.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ops.backends.container import Backends
from ops.backends.queues import BullQueues, RawFailedJob
from ops.errors import Invalid, Problem, UserError

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_ADAPTERS: dict[int, BullQueues] = {}


def queue_name(text: str) -> str:
    """A BullMQ queue name as the hub uses them (a command-table parser: raises ValueError)."""
    if not _QUEUE_NAME.match(text):
        raise Invalid(Problem.QUEUE_NAME_SHAPE)
    return text


def bull_queues(backends: Backends) -> BullQueues:
    """The BullMQ adapter of these backends, built once (its Queue objects are cached).

    Kept beside, not inside, the container until `Backends` holds one itself; the entry goes
    away with the Backends object.
    """
    key = id(backends)
    adapter = _ADAPTERS.get(key)
    if adapter is None:
        adapter = BullQueues(backends.redis, backends.config.hub.queue_prefix)
        _ADAPTERS[key] = adapter
        weakref.finalize(backends, _ADAPTERS.pop, key, None)
    return adapter


@dataclass(frozen=True)
class QueueCounts:
    name: str
    waiting: int
    prioritized: int
    delayed: int
    active: int
    failed: int
    completed: int
    waiting_children: int
    paused_list: int  # jobs in the pre-BullMQ-5 `paused` list (0 with BullMQ 6)
    paused: bool

    @property
    def pending(self) -> int:
        """Jobs waiting to run, the BullMQ way: wait + prioritized (+ a legacy paused list)."""
        return self.waiting + self.prioritized + self.paused_list


@dataclass(frozen=True)
class QueuesOverview:
    queues: tuple[QueueCounts, ...]

    @property
    def pending(self) -> int:
        """Every queue's waiting jobs together: shown beside, never judged (see `busiest`)."""
        return sum(q.pending for q in self.queues)

    @property
    def busiest(self) -> QueueCounts | None:
        """The queue with the most waiting jobs: the one the §3.1 threshold is judged on.

        The runbook's alarm (`WaitingJobs` > 50) is per queue: 30 + 30 in two queues is two
        healthy queues, not a backlog, and `/rtb status` must agree with the alarm.
        """
        return max(self.queues, key=lambda q: q.pending, default=None)

    @property
    def paused(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.queues if q.paused)


@dataclass(frozen=True)
class FailedJob:
    id: str
    name: str
    reason: str
    attempts: int
    failed_at: datetime | None


@dataclass(frozen=True)
class QueueDetail:
    counts: QueueCounts
    failed_jobs: tuple[FailedJob, ...]
    configured: bool  # one of config.hub.queues (else found in Redis)


class UnknownQueue(UserError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.55)
        super().__init__(Problem.QUEUE_UNKNOWN, queue=name, close=tuple(close), known=tuple(known))
        self.name = name
        self.suggestions = tuple(close)


async def queue_counts(queues: BullQueues, name: str) -> QueueCounts:
    counts, paused = await asyncio.gather(queues.counts(name), queues.is_paused(name))
    return QueueCounts(
        name=name,
        waiting=counts["waiting"],
        prioritized=counts["prioritized"],
        delayed=counts["delayed"],
        active=counts["active"],
        failed=counts["failed"],
        completed=counts["completed"],
        waiting_children=counts["waiting-children"],
        paused_list=counts["paused"],
        paused=paused,
    )


async def all_queue_counts(queues: BullQueues, names: Sequence[str]) -> QueuesOverview:
    """Every queue at once (each is O(1) in Redis; the round trips overlap)."""
    counted = await asyncio.gather(*(queue_counts(queues, name) for name in names))
    return QueuesOverview(tuple(counted))


async def queue_detail(
    queues: BullQueues, name: str, watched: Sequence[str], failed_limit: int
) -> QueueDetail:
    """Counts and the newest failed jobs of a watched queue, or of any queue BullMQ knows."""
    _check_name(name)
    configured = name in watched
    if not configured and not await queues.exists(name):
        raise UnknownQueue(name, watched)
    counts, failed = await asyncio.gather(
        queue_counts(queues, name), queues.newest_failed(name, failed_limit)
    )
    return QueueDetail(counts, tuple(_failed_job(job) for job in failed), configured)


def _check_name(name: str) -> None:
    try:
        queue_name(name)
    except ValueError as exc:
        shown = name[:60].replace("`", "'")
        raise UserError(Problem.NOT_VALID, value=shown, what="queue_name", why=exc) from None


def _failed_job(raw: RawFailedJob) -> FailedJob:
    millis = raw.finished_on_ms or raw.timestamp_ms
    failed_at = datetime.fromtimestamp(millis / 1000, UTC) if millis else None
    return FailedJob(raw.id, raw.name, raw.failed_reason, raw.attempts_made, failed_at)

"""BullMQ queue changes (runbook §5.1 isolate, §5.3 backlog): pause, resume, retry failed jobs.

Each change reads the counts before and after, so the answer says what it did. Whether a change
may run is not decided here: approvals' queue mutations put it behind the policy gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ops.backends.queues import BullQueues
from ops.errors import Problem, UserError
from ops.queues import QueueCounts, UnknownQueue, queue_counts, queue_name


@dataclass(frozen=True)
class QueueChange:
    name: str
    before: QueueCounts
    after: QueueCounts
    retried: tuple[str, ...] = ()  # job ids, when they were retried one by one (--limit)
    skipped: tuple[str, ...] = ()  # job ids that had left `failed` before their turn
    resume_calls: int = 0  # resume: calls it took (> 1 only with a legacy `paused` list)

    def to_json(self) -> dict[str, Any]:
        return {
            "queue": self.name,
            "before": counts_json(self.before),
            "after": counts_json(self.after),
            "retried": list(self.retried),
            "skipped": list(self.skipped),
            "resume_calls": self.resume_calls,
        }


def counts_json(counts: QueueCounts) -> dict[str, Any]:
    return asdict(counts)


def counts_from_json(data: dict[str, Any]) -> QueueCounts:
    return QueueCounts(**data)


async def known_queue(queues: BullQueues, name: str, watched: Sequence[str]) -> None:
    """A watched queue, or one BullMQ has written; else UnknownQueue with a did-you-mean."""
    try:
        queue_name(name)
    except ValueError as exc:
        shown = name[:60].replace("`", "'")
        raise UserError(Problem.NOT_VALID, value=shown, what="queue_name", why=exc) from None
    if name not in watched and not await queues.exists(name):
        raise UnknownQueue(name, watched)


async def pause_queue(queues: BullQueues, name: str) -> QueueChange:
    before = await queue_counts(queues, name)
    await queues.pause(name)
    return QueueChange(name, before, await queue_counts(queues, name))


async def resume_queue(queues: BullQueues, name: str) -> QueueChange:
    before = await queue_counts(queues, name)
    calls = await queues.resume(name)
    return QueueChange(name, before, await queue_counts(queues, name), resume_calls=calls)


async def retry_failed_jobs(queues: BullQueues, name: str, limit: int | None) -> QueueChange:
    """Every failed job, or only the `limit` most recently failed ones, back to waiting."""
    if limit is not None and limit < 1:
        raise UserError(Problem.QUEUE_RETRY_LIMIT_LOW)
    before = await queue_counts(queues, name)
    if limit is None:
        await queues.retry_all_failed(name)
        after = await queue_counts(queues, name)
        return QueueChange(name, before, after)
    retried = await queues.retry_newest_failed(name, limit)
    after = await queue_counts(queues, name)
    return QueueChange(name, before, after, retried.retried, retried.skipped)

"""BullMQ queues in the state the runbook's §5.3 "BullMQ backlog" playbook expects.

* `jira-queue`: 38 waiting + 17 prioritized (55 "waiting" the BullMQ way: red against 50),
  4 delayed, 6 failed after 3 attempts (Claude 529, git push rejected), 24 completed.
* `pr-review-queue`: 3 waiting, 1 failed, 10 completed.
* `preview-queue`: nothing pending, 5 completed (healthy).

Completed and failed jobs are produced for real: a bullmq Worker runs them (its processor
raises for the jobs meant to fail) and is closed before the pending jobs are added.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bullmq import Job, Queue

from sandbox.bull_workers import close_worker, sandbox_worker

PREFIX = "bull"
STATES = (
    "waiting",
    "active",
    "delayed",
    "failed",
    "completed",
    "paused",
    "prioritized",
    "waiting-children",
)
ATTEMPTS = 3
WORKER_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class QueueSeed:
    name: str
    job_name: str
    waiting: int = 0
    prioritized: int = 0
    delayed: int = 0
    completed: int = 0
    failures: tuple[str, ...] = ()  # one failed job per reason


QUEUES = (
    QueueSeed(
        "jira-queue",
        "jira-auto-dev",
        waiting=38,
        prioritized=17,
        delayed=4,
        completed=24,
        failures=(
            "Claude API 529 overloaded",
            "Claude API 529 overloaded",
            "Claude API 529 overloaded",
            "git push rejected: non-fast-forward",
            "Claude API 529 overloaded",
            "git push rejected: non-fast-forward",
        ),
    ),
    QueueSeed(
        "pr-review-queue",
        "pr-review",
        waiting=3,
        completed=10,
        failures=("GitHub API 502 Bad Gateway",),
    ),
    QueueSeed("preview-queue", "preview-deploy", completed=5),
)


def job_data(job_name: str, n: int) -> dict[str, Any]:
    return {
        "issueKey": f"PROJ-{100 + n % 100}",
        "workflowType": job_name,
        "env": "int",
        "webhookId": f"wh-{n:06d}",
    }


async def seed_queues(redis_url: str) -> dict[str, dict[str, int]]:
    """Empty and fill the queues; return each queue's job counts (all eight states)."""
    counts: dict[str, dict[str, int]] = {}
    for seed in QUEUES:
        counts[seed.name] = await _seed_queue(redis_url, seed)
    return counts


async def _seed_queue(redis_url: str, seed: QueueSeed) -> dict[str, int]:
    queue = Queue(seed.name, {"connection": redis_url, "prefix": PREFIX})
    try:
        await queue.obliterate(force=True)
        await _run_finished_jobs(queue, redis_url, seed)
        await _add_pending_jobs(queue, seed)
        counts: dict[str, int] = await queue.getJobCounts(*STATES)
        return counts
    finally:
        await queue.close()


async def _run_finished_jobs(queue: Queue, redis_url: str, seed: QueueSeed) -> None:
    """Add the jobs that end completed or failed and let a real worker process them."""
    if not seed.completed and not seed.failures:
        return
    opts = {"attempts": ATTEMPTS, "removeOnComplete": False, "removeOnFail": False}
    jobs = [
        {"name": seed.job_name, "data": job_data(seed.job_name, n), "opts": opts}
        for n in range(seed.completed + len(seed.failures))
    ]
    added = await queue.addBulk(jobs)
    reasons = {job.id: reason for job, reason in zip(added[::-1], seed.failures, strict=False)}

    async def process(job: Job, token: str) -> dict[str, Any]:
        if job.id in reasons:
            raise RuntimeError(reasons[job.id])
        return {"status": "done", "issueKey": job.data["issueKey"]}

    worker = sandbox_worker(
        seed.name, process, {"connection": redis_url, "prefix": PREFIX, "concurrency": 8}
    )
    try:
        await _wait_for(queue, completed=seed.completed, failed=len(seed.failures))
    finally:
        await close_worker(worker)


async def _wait_for(queue: Queue, *, completed: int, failed: int) -> None:
    async with asyncio.timeout(WORKER_TIMEOUT_SECONDS):
        while True:
            counts = await queue.getJobCounts("completed", "failed")
            if counts["completed"] >= completed and counts["failed"] >= failed:
                return
            await asyncio.sleep(0.02)


async def _add_pending_jobs(queue: Queue, seed: QueueSeed) -> None:
    """Waiting, prioritized (priority 1–5) and delayed (10–40 min) jobs, nobody to run them."""
    plans: list[dict[str, int]] = [{} for _ in range(seed.waiting)]
    plans += [{"priority": 1 + n % 5} for n in range(seed.prioritized)]
    plans += [{"delay": (10 + 10 * n) * 60_000} for n in range(seed.delayed)]
    first = seed.completed + len(seed.failures)
    if plans:
        await queue.addBulk(
            [
                {
                    "name": seed.job_name,
                    "data": job_data(seed.job_name, first + n),
                    "opts": {"attempts": ATTEMPTS, **plan},
                }
                for n, plan in enumerate(plans)
            ]
        )

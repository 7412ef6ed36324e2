"""`/sandbox jobs <queue> <n>`: n real waiting BullMQ jobs, then the §3.1 evaluator's passes.

The evaluator alerts after `threshold_alerts.consecutive` evaluations over a threshold, one
every `every_minutes`; the console has no scheduler and nobody waits minutes at a prompt. So
the verb adds the jobs to the sandbox's Redis (real BullMQ jobs, what the hub's producers add)
and then runs that many evaluation passes back to back, each the real pass (`evaluate`: the
same readings as `/rtb status`, the same state in PostgreSQL, the same outbox) at the time it
runs, as the scheduler would run them a period apart. The console then delivers the outbox,
so the alert shows in the transcript; a second `/sandbox jobs` finds the alert open and posts
nothing new, like the scheduler's next periods.
"""

from __future__ import annotations

from datetime import timedelta

import redis.asyncio as aioredis
from bullmq import Queue

from handlers.threshold_jobs import PassResult, evaluate
from ops.waiting_metric import ALARM_PREFIX, alarm_name, publish_waiting_jobs
from sandbox.seed_queues import PREFIX, job_data
from sandbox.verbs import Verb, VerbContext

MAX_JOBS = 5000
USAGE = "<queue> <n>"


async def add_jobs(context: VerbContext, words: list[str]) -> str:
    queues = context.runtime.deps.config.hub.queues
    if len(words) != 2:
        return f"usage: /sandbox jobs {USAGE}"
    queue, count = words
    if queue not in queues:
        return f"no queue `{queue}` here; the bot watches: {', '.join(queues)}"
    if not count.isdigit() or not 1 <= int(count) <= MAX_JOBS:
        return f"<n> must be a whole number from 1 to {MAX_JOBS}, not `{count}`"
    waiting = await add_waiting_jobs(context.stack.redis.url, queue, int(count))
    passes = await evaluation_passes(context)
    consecutive = context.runtime.deps.config.threshold_alerts.consecutive
    said = (
        f"added {count} waiting jobs to {queue} ({waiting} waiting there now); ran {consecutive}"
        f" evaluation passes back to back, as the scheduler would a period apart: "
        f"{describe_passes(passes)}"
    )
    return said + await _cloudwatch_side(context, queue, waiting)


async def _cloudwatch_side(context: VerbContext, queue: str, waiting: int) -> str:
    """Waiting jobs owned by the runbook's CloudWatch alarm (the default): the bot publishes
    the metric the alarm reads; the alarm itself is CloudWatch's to raise (moto does not)."""
    deps = context.runtime.deps
    if deps.config.threshold_alerts.owner("waiting_jobs") != "cloudwatch":
        return ""
    published = await publish_waiting_jobs(deps.backends, deps.require_push().clock())
    over = waiting > deps.config.thresholds.waiting_jobs
    return (
        f"\nWaiting jobs belong to CloudWatch's alarm here (threshold_alerts.owners): the bot "
        f"published RTBHub/BullMQ WaitingJobs ({queue} {waiting}, total {published.total})"
        + (
            f"; CloudWatch would now turn `{alarm_name(queue)}` to ALARM — "
            f"`/sandbox alarm {ALARM_PREFIX} ALARM` shows the incident card it brings."
            if over
            else "."
        )
    )


async def add_waiting_jobs(redis_url: str, queue: str, count: int) -> int:
    """Jobs a producer would add; returns the queue's waiting + prioritized count after."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        bull = Queue(queue, {"connection": client, "prefix": PREFIX})
        jobs = [
            {"name": "sandbox-job", "data": job_data(queue, n), "opts": {}} for n in range(count)
        ]
        await bull.addBulk(jobs)
        counts = await bull.getJobCounts("waiting", "prioritized")
        return int(counts.get("waiting") or 0) + int(counts.get("prioritized") or 0)
    finally:
        await client.aclose()


async def evaluation_passes(context: VerbContext) -> list[PassResult]:
    deps, push = context.runtime.deps, context.runtime.deps.require_push()
    results: list[PassResult] = []
    previous = None
    for _ in range(deps.config.threshold_alerts.consecutive):
        at = push.clock()
        if previous is not None and at <= previous:
            at = previous + timedelta(microseconds=1)
        results.append(await evaluate(deps, push.outbox, at, push.replica))
        previous = at
    return results


def describe_passes(passes: list[PassResult]) -> str:
    events = [f"{e.reading.key} {e.kind}" for result in passes for e in result.events]
    if events:
        return "posted " + ", ".join(events) + "."
    alerting = sorted(key for key, state in passes[-1].states.items() if state.alerting)
    if alerting:
        return f"no alert, recovery or reminder due (already alerting: {', '.join(alerting)})."
    return "no alert, recovery or reminder due."


THRESHOLD_VERBS = (
    Verb(
        "jobs", USAGE, "add n waiting jobs to a queue, then run the threshold evaluator", add_jobs
    ),
)

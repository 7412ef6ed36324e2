"""The scheduled side of a replica: APScheduler fires the job table's jobs, a catch-up runs
at start, and the outbox sender delivers what they (and later pushers) enqueue.

Every replica runs all of this; the (job, period) claim in PostgreSQL decides who posts
(`handlers/scheduled.py`). A job fired by APScheduler runs as one of the runtime's tracked
background tasks, so it never runs inside an ack and SIGTERM waits for it (up to the drain's
10 s); the sender is a task of its own, cancelled at stop (what it had not sent stays in the
outbox for another replica, or for the next start).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps
from handlers.jobs import JOBS
from handlers.outbox_sender import OutboxSender
from handlers.scheduled import PushSide, ScheduledJob, catch_up, fire_job
from handlers.weekly_jobs import SAMPLER, SAMPLER_CRON, sample_minute
from ops.outbox import Outbox
from ops.schedule import Clock, JobClaims, cron_trigger, utc_now


def replica_id() -> str:
    """Who ran a job, for `/rtb schedules`: the pod name (its hostname) and the process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def build_push(
    deps: Deps,
    client: AsyncWebClient,
    *,
    replica: str | None = None,
    clock: Clock = utc_now,
    jobs: Mapping[str, ScheduledJob] = JOBS,
) -> PushSide:
    db = deps.backends.db
    outbox = Outbox(db, clock=clock)
    sender = OutboxSender(outbox, client, replica or replica_id())
    claims = JobClaims(db, sender.replica, clock)
    return PushSide(claims, outbox, sender, jobs, clock)


def schedule_jobs(scheduler: AsyncIOScheduler, deps: Deps, push: PushSide) -> None:
    """One APScheduler cron job per table entry, each handing the run to the tracked tasks.
    What APScheduler calls is a coroutine function (`spawn_fire`, `spawn_sample`): its asyncio
    executor runs those on the loop, and a plain function in a thread pool, where there is no
    loop to spawn on (every fire failed so: tests/bot/test_scheduler_fires.py).
    APScheduler's own misfire grace covers a loop that was busy at the fire time; a replica
    that was down is `catch_up`'s business."""
    config = deps.config
    for job in push.jobs.values():
        scheduler.add_job(
            spawn_fire,
            cron_trigger(job.cron(config), config.timezone),
            args=(deps, push, job),
            id=f"scheduled:{job.name}",
            misfire_grace_time=max(1, int(job.grace(config) / timedelta(seconds=1))),
            coalesce=True,
            max_instances=1,
        )


async def spawn_fire(deps: Deps, push: PushSide, job: ScheduledJob) -> None:
    deps.tasks.spawn(fire_job(deps, push, job), name=f"scheduled {job.name}")


def spawn_catch_up(deps: Deps, push: PushSide) -> None:
    deps.tasks.spawn(catch_up(deps, push), name="scheduled catch-up")


def schedule_sampler(scheduler: AsyncIOScheduler, deps: Deps, push: PushSide) -> None:
    """workflow-engine's sample every minute, in every replica: the minute's INSERT is the
    claim (ops.weekly.sampler), so it is not a job of the table and leaves no claim rows."""
    scheduler.add_job(
        spawn_sample,
        cron_trigger(SAMPLER_CRON, deps.config.timezone),
        args=(deps, push.replica),
        id=SAMPLER,
        misfire_grace_time=30,
        coalesce=True,
        max_instances=1,
    )


async def spawn_sample(deps: Deps, replica: str) -> None:
    deps.tasks.spawn(sample_minute(deps, replica), name="engine sample")

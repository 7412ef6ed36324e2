"""Scheduled jobs as data, and firing one the only way there is: claim the period, then run.

A `ScheduledJob` names its schedule (a cron expression read from the config), how late a
missed run may still be caught up (`grace`), the channel it posts to and the coroutine that
builds and enqueues what it posts (`run`). The scheduler (`bot/scheduler.py`), the catch-up
at start and the console's `/fire` all call `fire_job`, so they claim the same (job, period)
slot: whichever replica or command comes first runs the job, every other one runs nothing and
says who did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import structlog

from handlers.render.i18n import use_locale
from ops.config import Config
from ops.outbox import Outbox
from ops.schedule import Clock, JobClaims, due_period, next_fire, period_key

if TYPE_CHECKING:
    from handlers.context import Deps
    from handlers.outbox_sender import OutboxSender

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What a job's `run` gets: the bot's dependencies and the period it runs for."""

    deps: Deps
    outbox: Outbox
    period: str  # the claim key's period, e.g. 2026-12-03T09:00:00+09:00
    scheduled_for: datetime  # the fire time the period stands for (aware)
    now: datetime


@dataclass(frozen=True)
class JobResult:
    """What a run did, recorded with its claim: the outbox keys it enqueued, and facts for
    `/rtb schedules` (e.g. which of its sources could not be read)."""

    posted: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)


JobRun = Callable[[JobContext], Awaitable[JobResult]]


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    summary: str
    cron: Callable[[Config], str]
    grace: Callable[[Config], timedelta]
    channel: Callable[[Config], str]
    run: JobRun


@dataclass
class PushSide:
    """The scheduled side of one replica: its claims, the outbox and the sender, the jobs."""

    claims: JobClaims
    outbox: Outbox
    sender: OutboxSender
    jobs: Mapping[str, ScheduledJob]
    clock: Clock

    @property
    def replica(self) -> str:
        return self.claims.replica


FireStatus = Literal["ran", "failed", "claimed", "not due"]  # internal: status codes


@dataclass(frozen=True)
class Fired:
    """What one attempt to fire a job found: it ran here (or failed here), another replica or
    an earlier attempt had claimed the period, or no period is due (past the grace period)."""

    job: str
    status: FireStatus
    period: str | None = None
    claimed_by: str | None = None
    result: JobResult | None = None


async def fire_job(
    deps: Deps, push: PushSide, job: ScheduledJob, *, grace: timedelta | None = None
) -> Fired:
    """Run `job` for the period due now, if this caller wins its claim. `grace` replaces the
    job's own (the console's `/fire` takes the newest period, however old)."""
    config, now = deps.config, push.clock()
    fire_time = due_period(job.cron(config), config.timezone, now, grace or job.grace(config))
    if fire_time is None:
        return Fired(job.name, "not due")  # internal: a status code
    period = period_key(fire_time, config.timezone)
    with structlog.contextvars.bound_contextvars(job=job.name, period=period):
        if not await push.claims.claim(job.name, period, fire_time):
            holder = await push.claims.claimed_by(job.name, period)
            log.info("scheduled job already claimed", claimed_by=holder)
            return Fired(job.name, "claimed", period, holder)
        log.info("scheduled job claimed", replica=push.replica)
        context = JobContext(deps, push.outbox, period, fire_time, now)
        try:
            with use_locale(deps.languages.locale_for_channel(job.channel(config))):
                result = await job.run(context)
        except Exception:
            log.exception("scheduled job failed")
            await push.claims.finish(job.name, period, "failed", {})
            return Fired(job.name, "failed", period, push.replica)
        await push.claims.finish(job.name, period, "done", _detail(result))
        push.sender.nudge()
        log.info("scheduled job done", posted=list(result.posted))
        return Fired(job.name, "ran", period, push.replica, result)


async def catch_up(deps: Deps, push: PushSide) -> list[Fired]:
    """At start: every job whose last fire time is within its grace period and unclaimed
    runs now (a replica that was down at 09:00 posts at 09:40; one that starts at 11:30 with a
    2 h grace does not, and no period is ever run twice)."""
    return [await fire_job(deps, push, job) for job in push.jobs.values()]


def next_run(config: Config, job: ScheduledJob, now: datetime) -> datetime | None:
    return next_fire(job.cron(config), config.timezone, now)


def _detail(result: JobResult) -> dict[str, Any]:
    return {"posted": list(result.posted), **result.detail}

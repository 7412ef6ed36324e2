"""The daily housekeeping job: deletes the push side's state that nobody needs any more
(`ops.retention`), claimed per day like every job, so one replica does it.

It posts nothing; its counts are logged and recorded with its claim (`/rtb schedules` lists
the job, its next run and how the last one ended).
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from handlers.render.i18n import N_
from handlers.scheduled import JobContext, JobResult, ScheduledJob
from ops.retention import prune_push_state

log = structlog.get_logger(__name__)

HOUSEKEEPING_JOB = "housekeeping"
# Late by up to a day is still worth doing: a replica that starts at noon cleans up then.
HOUSEKEEPING_GRACE = timedelta(hours=23)


async def run_housekeeping(ctx: JobContext) -> JobResult:
    deps = ctx.deps
    push = deps.require_push()
    graces = {job.name: job.grace(deps.config) for job in push.jobs.values()}
    keep = timedelta(days=deps.config.retention.keep_days)
    pruned = await prune_push_state(deps.backends.db, ctx.now, keep, graces)
    counts = {"messages": pruned.messages, "ticks": pruned.ticks, "claims": pruned.claims}
    log.info("housekeeping deleted old push state", keep_days=keep.days, **counts)
    return JobResult((), {"deleted": counts})


HOUSEKEEPING_JOBS = (
    ScheduledJob(
        HOUSEKEEPING_JOB,
        N_(
            "Deletes delivered outbox messages (and their ticks) and job claims older than "
            "retention.keep_days; never an unsent message, never a claim still within its grace."
        ),
        cron=lambda c: c.retention.housekeeping,
        grace=lambda _: HOUSEKEEPING_GRACE,
        channel=lambda _: "",  # posts nothing
        run=run_housekeeping,
    ),
)

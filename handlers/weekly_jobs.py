"""The weekly digest (§6.2) as a scheduled job and on demand, and its chart in the thread.

The job builds the digest and draws its chart (a child process, `handlers.render.chart`),
then enqueues the digest (`weekly-digest:<Monday>`), its overflow (`…:details:<n>`, replies
in its thread) and the chart (`…:chart`, a file row in the same thread) in the outbox. The
sender uploads the chart once the digest is posted, exactly once like every outbox row: a
replica that stops before or during the upload leaves it to the next sender, which first
looks for it in the thread. A chart that cannot be drawn is logged and left out: the digest
goes out without its picture, never without its numbers.

The sampler behind item 2 is not a claimed job: its INSERT of the minute is the claim
(`ops.weekly.sampler`), so `sample_minute` only runs it and logs what happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from handlers.context import Deps
from handlers.render.chart import FILENAME, ChartFailed, chart_spec, draw_chart
from handlers.render.i18n import N_, _
from handlers.render.message import Message
from handlers.render.weekly import WeeklyMessages, render_weekly
from handlers.scheduled import JobContext, JobResult, ScheduledJob
from ops.outbox import Outbox
from ops.schedule import JobRun
from ops.weekly.digest import WeeklyDigest, build_weekly
from ops.weekly.sampler import minute_of, newest_sample, sample_engine

log = structlog.get_logger(__name__)

WEEKLY_JOB = "weekly-digest"
SAMPLER = "engine-sampler"
SAMPLER_CRON = "* * * * *"
SAMPLER_SUMMARY = N_(
    "workflow-engine's replicas, KEDA pause and BullMQ load, every minute (weekly item 2); "
    "every replica samples, the minute's first INSERT is recorded."
)
CHART_TITLE = N_("AI cost and Fargate preview cost, the last 14 days")


def weekly_key(scheduled_for: datetime, timezone: str) -> str:
    return f"{WEEKLY_JOB}:{scheduled_for.astimezone(ZoneInfo(timezone)).date().isoformat()}"


def unread_sources(digest: WeeklyDigest) -> list[str]:
    """The sources that did not answer, for the job's record (`/rtb schedules`)."""
    failed = [
        part.failure.backend
        for part in (digest.fargate, digest.scaling, digest.assume_role, digest.ttl)
        if part.failure is not None
    ]
    if digest.fargate.value is not None:
        failed += [f.backend for f in digest.fargate.value.failures]
    if digest.assume_role.value is not None:
        failed += [f.backend for f in digest.assume_role.value.failures]
    if digest.ttl.value is not None:
        failed += [f.backend for f in digest.ttl.value.failures]
    return sorted(set(failed))


async def enqueue_weekly(
    outbox: Outbox, channel: str, rendered: WeeklyMessages, key: str
) -> list[str]:
    """The digest, then its overflow as replies in its thread; returns the outbox keys."""
    main = rendered.main
    await outbox.enqueue(channel, main.blocks_json(), main.text, key)
    keys = [key]
    for number, reply in enumerate(rendered.thread, 1):
        reply_key = f"{key}:details:{number}"
        await outbox.enqueue(channel, reply.blocks_json(), reply.text, reply_key, thread_key=key)
        keys.append(reply_key)
    return keys


async def post_weekly(deps: Deps, digest: WeeklyDigest, outbox: Outbox, key: str) -> list[str]:
    """Enqueue the digest under `key`, and its chart into its thread (drawn first, so that
    the digest and its chart are in the outbox together)."""
    png = await draw_weekly_chart(digest, deps.config.thresholds.ai_cost_daily_usd, key)
    channel = deps.config.channels.alerts
    keys = await enqueue_weekly(outbox, channel, render_weekly(digest), key)
    if png is not None:
        chart_key = f"{key}:chart"
        await outbox.enqueue_file(channel, png, FILENAME, _(CHART_TITLE), chart_key, thread_key=key)
        keys.append(chart_key)
    return keys


async def run_weekly_digest(ctx: JobContext) -> JobResult:
    digest = await build_weekly(ctx.deps.backends, ctx.now, week_of=ctx.scheduled_for)
    key = weekly_key(ctx.scheduled_for, ctx.deps.config.timezone)
    keys = await post_weekly(ctx.deps, digest, ctx.outbox, key)
    return JobResult(tuple(keys), {"unread": unread_sources(digest)})


async def show_weekly(deps: Deps) -> Message:
    """`/rtb digest weekly`: the digest now, privately (its details past six lines counted)."""
    digest = await build_weekly(deps.backends, deps.require_push().clock())
    main = render_weekly(digest, posted=False).main
    return Message(text=main.text, blocks=main.blocks, ephemeral=True)


async def post_weekly_now(deps: Deps) -> list[str]:
    """`/rtb digest weekly --post`: outside the schedule, under a key of its own."""
    push = deps.require_push()
    now = push.clock()
    digest = await build_weekly(deps.backends, now)
    return await post_weekly(deps, digest, push.outbox, f"{WEEKLY_JOB}:posted:{now.isoformat()}")


# -- the chart -----------------------------------------------------------------------------------


async def draw_weekly_chart(digest: WeeklyDigest, threshold_usd: float, key: str) -> bytes | None:
    """The chart's PNG (drawn by a child process); None, logged with its reason, when the
    child could not draw it."""
    try:
        return await draw_chart(chart_spec(digest, threshold_usd))
    except ChartFailed as failed:
        log.error("weekly chart not drawn", reason=failed.reason, outbox_key=key)
        return None


# -- the sampler -------------------------------------------------------------------------------


async def sample_minute(deps: Deps, replica: str) -> None:
    """One minute's sample of workflow-engine (every replica; the first INSERT wins)."""
    try:
        outcome = await sample_engine(deps.backends, replica)
    except Exception:  # PostgreSQL down: this minute is unknown, the next one will tell
        log.exception("engine sample failed")
        return
    sample = outcome.sample
    unknown = [
        name
        for name, value in (("replicas", sample.desired), ("queues", sample.active))
        if value is None
    ]
    if unknown:
        log.warning("engine sample incomplete", unknown=unknown, recorded=outcome.recorded)
    log.debug("engine sampled", recorded=outcome.recorded, pruned=outcome.pruned)


async def sampler_run(deps: Deps) -> JobRun | None:
    """The sampler's newest minute as a run for `/rtb schedules` ("failed": a source did not
    answer that minute)."""
    recorded = await newest_sample(deps.backends)
    if recorded is None:
        return None
    sample = recorded.sample
    unknown = [n for n, v in (("replicas", sample.desired), ("queues", sample.active)) if v is None]
    return JobRun(
        SAMPLER,
        minute_of(sample.minute).isoformat(),
        recorded.sampled_by,
        recorded.sampled_at,
        recorded.sampled_at,
        "failed" if unknown else "done",
        {"unknown": unknown} if unknown else {},
    )


WEEKLY_JOBS = (
    ScheduledJob(
        WEEKLY_JOB,
        N_(
            "The §6.2 checklist: Fargate cost, KEDA scaling and idle time, AssumeRole audit, "
            "preview TTL failures, and the 14-day chart."
        ),
        cron=lambda c: c.schedules.weekly_digest,
        grace=lambda c: timedelta(minutes=c.schedules.weekly_grace_minutes),
        channel=lambda c: c.channels.alerts,
        run=run_weekly_digest,
    ),
)

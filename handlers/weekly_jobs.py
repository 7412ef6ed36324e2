"""The weekly digest (§6.2) as a scheduled job and on demand, and its chart in the thread.

The job builds the digest, enqueues it (`weekly-digest:<Monday>`) and its overflow
(`…:details:<n>`, replies in its thread) in the outbox, and hands the chart to a background
upload: the chart goes into the digest's thread, so it waits until the sender has posted the
digest and recorded its `ts` (up to CHART_WAIT), then uploads it once with files_upload_v2.
The chart is not in the outbox: if the replica stops before the upload, or Slack refuses it,
the digest goes out without its picture (logged), never without its numbers.

The sampler behind item 2 is not a claimed job: its INSERT of the minute is the claim
(`ops.weekly.sampler`), so `sample_minute` only runs it and logs what happened.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps
from handlers.render.chart import FILENAME, ChartFailed, chart_spec, draw_chart
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
SAMPLER_SUMMARY = (
    "workflow-engine's replicas, KEDA pause and BullMQ load, every minute (weekly item 2); "
    "every replica samples, the minute's first INSERT is recorded."
)
CHART_WAIT = timedelta(minutes=15)
CHART_POLL_SECONDS = 2.0
CHART_TITLE = "AI cost and Fargate preview cost, the last 14 days"


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
    """Enqueue the digest under `key` and start its chart's upload into the thread."""
    keys = await enqueue_weekly(outbox, deps.config.channels.alerts, render_weekly(digest), key)
    spec = chart_spec(digest, deps.config.thresholds.ai_cost_daily_usd)
    client = deps.require_push().sender.client
    deps.tasks.spawn(chart_into_thread(client, outbox, key, spec), name=f"chart {key}")
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


async def chart_into_thread(
    client: AsyncWebClient,
    outbox: Outbox,
    key: str,
    spec: dict[str, object],
    *,
    wait: timedelta = CHART_WAIT,
    poll_seconds: float = CHART_POLL_SECONDS,
) -> bool:
    """Draw the chart (child process), wait for the digest's `ts`, upload it into the thread.
    True when uploaded; every other outcome is logged with its reason."""
    with structlog.contextvars.bound_contextvars(outbox_key=key):
        try:
            png = await draw_chart(spec)
        except ChartFailed as failed:
            log.error("weekly chart not drawn", reason=failed.reason)
            return False
        parent = await _posted(outbox, key, wait, poll_seconds)
        if parent is None:
            log.error(
                "weekly chart not uploaded: the digest was not posted in time", wait=str(wait)
            )
            return False
        channel, ts = parent
        try:
            await client.files_upload_v2(
                channel=channel, thread_ts=ts, file=png, filename=FILENAME, title=CHART_TITLE
            )
        except SlackApiError as refused:
            log.error("weekly chart refused by Slack", error=refused.response.get("error"))
            return False
        except Exception as exc:  # Slack unreachable
            log.error("weekly chart not uploaded", error=type(exc).__name__)
            return False
        log.info("weekly chart uploaded", channel=channel, thread_ts=ts)
        return True


async def _posted(
    outbox: Outbox, key: str, wait: timedelta, poll_seconds: float
) -> tuple[str, str] | None:
    """(channel id, ts) of the posted message `key`, once the sender has recorded them."""
    deadline = asyncio.get_running_loop().time() + wait.total_seconds()
    while True:
        message = await outbox.get(key)
        if message is not None and message.ts is not None and message.posted_channel:
            return message.posted_channel, message.ts
        if asyncio.get_running_loop().time() + poll_seconds > deadline:
            return None
        await asyncio.sleep(poll_seconds)


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
        "The §6.2 checklist: Fargate cost, KEDA scaling and idle time, AssumeRole audit, "
        "preview TTL failures, and the 14-day chart.",
        cron=lambda c: c.schedules.weekly_digest,
        grace=lambda c: timedelta(minutes=c.schedules.weekly_grace_minutes),
        channel=lambda c: c.channels.alerts,
        run=run_weekly_digest,
    ),
)

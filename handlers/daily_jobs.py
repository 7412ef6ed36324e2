"""The daily digest's scheduled jobs: the digest at 09:00 and the reminder at 14:00.

Both only build and enqueue (`ops.outbox`); the sender posts. Keys name the local day, so the
reminder finds the day's digest and a day never has two digests from the schedule:
`daily-digest:2026-12-03`, its reminder `daily-digest:2026-12-03:reminder`, the cost alert
`ai-cost-over:2026-12-02` (the day it is about). `/rtb digest daily --post` posts outside the
schedule under a key of its own (`daily-digest:posted:<time>`), ticked the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.context import Deps
from handlers.render.daily_digest import (
    Tick,
    Ticks,
    render_cost_alert,
    render_daily_details,
    render_daily_digest,
    render_reminder,
    unchecked_items,
)
from handlers.render.i18n import N_
from handlers.scheduled import JobContext, JobResult, ScheduledJob
from ops.daily_digest import DailyDigest, build_daily_digest
from ops.digest_ticks import ticks_of
from ops.outbox import Outbox

DAILY_JOB = "daily-digest"
REMINDER_JOB = "daily-reminder"


def daily_key(day: str) -> str:
    return f"{DAILY_JOB}:{day}"


def local_day(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).date().isoformat()


async def build_daily(deps: Deps, at: datetime) -> DailyDigest:
    """The digest as of `at`, with yesterday's previews (from the previous run) to compare."""
    previous = None
    push = deps.push
    if push is not None:
        detail = await push.claims.previous_detail(DAILY_JOB, at - timedelta(hours=1))
        previous = None if detail is None else detail.get("present")
    return await build_daily_digest(deps.backends, at, previous)


async def enqueue_daily(deps: Deps, outbox: Outbox, digest: DailyDigest, key: str) -> list[str]:
    """The digest to the alerts channel, its long lists to its thread, an over-threshold cost
    to the costs channel; returns the outbox keys."""
    channels = deps.config.channels
    message = render_daily_digest(digest, message_key=key, ticks={})
    await outbox.enqueue(channels.alerts, message.blocks_json(), message.text, key)
    keys = [key]
    details = render_daily_details(digest)
    if details is not None:
        reply = f"{key}:details"
        await outbox.enqueue(
            channels.alerts, details.blocks_json(), details.text, reply, thread_key=key
        )
        keys.append(reply)
    if digest.ai_cost.over_threshold:
        alert = render_cost_alert(digest.ai_cost)
        cost_key = f"ai-cost-over:{digest.ai_cost.day}"
        await outbox.enqueue(channels.costs, alert.blocks_json(), alert.text, cost_key)
        keys.append(cost_key)
    return keys


async def run_daily_digest(ctx: JobContext) -> JobResult:
    digest = await build_daily(ctx.deps, ctx.now)
    key = daily_key(local_day(ctx.scheduled_for, ctx.deps.config.timezone))
    keys = await enqueue_daily(ctx.deps, ctx.outbox, digest, key)
    items = (digest.previews.failures, digest.failed_jobs.failures, digest.ai_cost.failures)
    unread = sorted({f.backend for failures in items for f in failures})
    return JobResult(tuple(keys), {"present": list(digest.previews.present), "unread": unread})


async def run_daily_reminder(ctx: JobContext) -> JobResult:
    key = daily_key(local_day(ctx.scheduled_for, ctx.deps.config.timezone))
    digest = await ctx.outbox.get(key)
    if digest is None:
        return JobResult((), {"skipped": "no daily digest today"})  # internal: a claim's fact
    ticks = await current_ticks(ctx.deps, key)
    unchecked = unchecked_items(ticks)
    if not unchecked:
        return JobResult((), {"skipped": "every item checked"})  # internal: a claim's fact
    reminder = render_reminder(unchecked)
    reply = f"{key}:reminder"
    await ctx.outbox.enqueue(
        digest.channel, reminder.blocks_json(), reminder.text, reply, thread_key=key
    )
    return JobResult((reply,), {"unchecked": list(unchecked)})


async def current_ticks(deps: Deps, key: str) -> Ticks:
    async with deps.backends.db.connection() as conn:
        rows = await ticks_of(conn, key)
    return {item: [Tick(user, at) for user, at in found] for item, found in rows.items()}


DAILY_JOBS = (
    ScheduledJob(
        DAILY_JOB,
        N_("The §6.1 checklist: previews, failed jobs, yesterday's AI cost."),
        cron=lambda c: c.schedules.daily_digest,
        grace=lambda c: timedelta(minutes=c.schedules.daily_grace_minutes),
        channel=lambda c: c.channels.alerts,
        run=run_daily_digest,
    ),
    ScheduledJob(
        REMINDER_JOB,
        N_("One reminder in the daily digest's thread for the items still unchecked."),
        cron=lambda c: c.schedules.daily_reminder,
        grace=lambda c: timedelta(minutes=c.schedules.daily_grace_minutes),
        channel=lambda c: c.channels.alerts,
        run=run_daily_reminder,
    ),
)

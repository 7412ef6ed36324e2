"""The §3.1 thresholds watched (every `threshold_alerts.every_minutes`) and the WaitingJobs
metric published (every minute): two scheduled jobs, each claimed per period like a digest, so
one replica runs each period and any replica continues where another stopped.

Where each indicator goes, as the runbook's table says (`ROUTES`): P99, waiting jobs and active
previews to #rtb-alerts, the daily AI cost to #rtb-costs, the error rate to PagerDuty (through
`page_on_call`, the one hook the PagerDuty client plugs into) and #rtb-alerts. An indicator
whose owner is `cloudwatch` (`threshold_alerts.owners`) is left to its CloudWatch alarm and the
incident intake: the evaluator neither alerts on it nor keeps state for it.

Everything is posted through the outbox: an alert under `threshold:<indicator>:<raised at>`,
its recovery and reminders as replies in its thread. The messages are enqueued before the
states are saved: a replica that dies in between leaves the previous states, and the next pass
takes the same step again (an alert shown twice in that crash window, never one lost).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import structlog

from handlers.context import Deps
from handlers.render.i18n import N_
from handlers.render.thresholds import PageOutcome, render_threshold_event
from handlers.scheduled import JobContext, JobResult, ScheduledJob
from ops.config import Config, IndicatorName
from ops.outbox import Outbox
from ops.paging import PageAction, page, pages_for
from ops.status import status
from ops.thresholds import (
    Hysteresis,
    ThresholdEvent,
    ThresholdState,
    ThresholdStates,
    readings,
    step,
)
from ops.waiting_metric import publish_waiting_jobs

log = structlog.get_logger(__name__)

THRESHOLDS_JOB = "thresholds"
WAITING_JOBS_METRIC_JOB = "waiting-jobs-metric"
ChannelName = Literal["alerts", "costs"]
ROUTES: Mapping[IndicatorName, ChannelName] = {
    "webhook_p99": "alerts",
    "waiting_jobs": "alerts",
    "error_rate": "alerts",
    "ai_cost_today": "costs",
    "active_previews": "alerts",
}
# internal: PageOutcome codes, worded by the renderer
_SHOWN: dict[str, PageOutcome] = {"sent": "paged", "not configured": "not configured"}  # internal
PAGE_WAIT_SECONDS = 10.0  # a page's retries (3 tries, 1 s then 2 s apart) fit in it
CLAIMS_KEPT = timedelta(days=2)  # both jobs claim every minute: older claims are pruned


@dataclass(frozen=True)
class PassResult:
    """One evaluation pass: what it posted (outbox keys) and each watched indicator's state."""

    posted: tuple[str, ...]
    states: Mapping[IndicatorName, ThresholdState]
    events: tuple[ThresholdEvent, ...]


async def page_on_call(deps: Deps, event: ThresholdEvent) -> PageOutcome:
    """Trigger (alert) or resolve (recovery) the indicator's PagerDuty alert, deduplicated by
    `event.alert_key` (a retried pass pages nothing twice). Bounded by `PAGE_WAIT_SECONDS`: the
    Slack alert is written after it, and must not wait on a PagerDuty outage for long."""
    reading = event.reading
    action: PageAction = "trigger" if event.kind == "alert" else "resolve"
    value = "unknown" if reading.value is None else f"{reading.value:g}"
    summary = (
        f"rtb-ai-hub {reading.key.replace('_', ' ')} {value} over {reading.threshold:g} "
        f"for {event.consecutive} evaluations (runbook §3.1)"
    )
    try:
        result = await asyncio.wait_for(
            page(deps, dedup_key=event.alert_key, action=action, summary=summary),
            PAGE_WAIT_SECONDS,
        )
    except TimeoutError:
        log.warning("page timed out", dedup_key=event.alert_key, action=action)
        return "failed"
    return _SHOWN.get(result.outcome, "failed")


async def evaluate(deps: Deps, outbox: Outbox, scheduled_for: datetime, replica: str) -> PassResult:
    """Read the indicators as `/rtb status` does, move each watched one a step, post what the
    steps say, save the states. A pass older than one already saved does nothing (a replica
    whose pass was slow must not post what a newer pass already decided)."""
    config = deps.config
    store = ThresholdStates(deps.backends.db)
    saved = await store.load()
    if saved.newest is not None and saved.newest >= scheduled_for:  # a newer pass decided
        return PassResult((), {}, ())
    report = await status(deps.backends)
    rules = Hysteresis(
        config.threshold_alerts.consecutive,
        timedelta(hours=config.threshold_alerts.reminder_hours),
    )
    states: dict[IndicatorName, ThresholdState] = {}
    events: list[ThresholdEvent] = []
    for reading in readings(report):
        if config.threshold_alerts.owner(reading.key) != "bot":
            continue
        state = saved.states.get(reading.key, ThresholdState(reading.key))
        states[reading.key], event = step(state, reading, rules, scheduled_for)
        if event is not None:
            events.append(event)
    posted = [await _post(deps, outbox, event) for event in events]
    await store.save(states, scheduled_for, replica)
    return PassResult(tuple(posted), states, tuple(events))


async def _post(deps: Deps, outbox: Outbox, event: ThresholdEvent) -> str:
    config = deps.config
    page = await page_on_call(deps, event) if _pages(config, event) else None
    message = render_threshold_event(
        event, config.threshold_alerts.every_minutes, config.timezone, page
    )
    channel = channel_of(config, event.reading.key)
    if event.kind == "alert":
        key = event.alert_key
        await outbox.enqueue(channel, message.blocks_json(), message.text, key)
        return key
    key = f"{event.alert_key}:{event.kind}:{event.at.isoformat()}"
    thread = event.alert_key
    await outbox.enqueue(channel, message.blocks_json(), message.text, key, thread_key=thread)
    return key


def _pages(config: Config, event: ThresholdEvent) -> bool:
    """The runbook pages on the error rate (`pagerduty.page_indicators`)."""
    return pages_for(config, indicator=event.reading.key) and event.kind in ("alert", "recovery")


def channel_of(config: Config, indicator: IndicatorName) -> str:
    channels = config.channels
    return channels.costs if ROUTES[indicator] == "costs" else channels.alerts


async def run_thresholds(ctx: JobContext) -> JobResult:
    push = ctx.deps.require_push()
    result = await evaluate(ctx.deps, ctx.outbox, ctx.scheduled_for, push.replica)
    await push.claims.prune(THRESHOLDS_JOB, ctx.scheduled_for - CLAIMS_KEPT)
    alerting = sorted(key for key, state in result.states.items() if state.alerting)
    return JobResult(result.posted, {"alerting": alerting})


async def run_waiting_jobs_metric(ctx: JobContext) -> JobResult:
    await ctx.deps.require_push().claims.prune(
        WAITING_JOBS_METRIC_JOB, ctx.scheduled_for - CLAIMS_KEPT
    )
    if not ctx.deps.config.threshold_alerts.publish_waiting_jobs:
        skipped = "threshold_alerts.publish_waiting_jobs is false"  # internal: a claim's fact
        return JobResult((), {"skipped": skipped})
    published = await publish_waiting_jobs(ctx.deps.backends, ctx.scheduled_for)
    return JobResult((), {"total": published.total, "queues": dict(published.per_queue)})


def _one_period(config: Config) -> timedelta:
    return timedelta(minutes=config.threshold_alerts.every_minutes)


THRESHOLD_JOBS = (
    ScheduledJob(
        THRESHOLDS_JOB,
        N_("The five §3.1 indicators: alert after N evaluations over, recover after N under."),
        cron=lambda c: f"*/{c.threshold_alerts.every_minutes} * * * *",
        grace=_one_period,
        channel=lambda c: c.channels.alerts,
        run=run_thresholds,
    ),
    ScheduledJob(
        WAITING_JOBS_METRIC_JOB,
        N_("RTBHub/BullMQ WaitingJobs per queue and in total, to CloudWatch (int)."),
        cron=lambda c: "* * * * *",
        grace=lambda c: timedelta(minutes=1),
        channel=lambda c: c.channels.alerts,
        run=run_waiting_jobs_metric,
    ),
)

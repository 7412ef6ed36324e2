"""APScheduler really runs the bot's scheduled work in `serve` (run_schedules=True): a job
the scheduler fires runs on the event loop as a tracked task, not in APScheduler's thread
pool (where there is no loop to spawn a task on, and every fire failed)."""

import asyncio
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.app import create_runtime
from handlers.weekly_jobs import SAMPLER

HOUSEKEEPING = "scheduled:housekeeping"  # a job of the table (bot.scheduler.schedule_jobs)
WAIT_SECONDS = 60.0  # the bound of a wait on a loaded machine, not a measure


async def test_jobs_fired_by_apscheduler_run_on_the_loop(bot_settings):
    runtime = create_runtime(bot_settings, retries=0, replica="pod-sched", run_schedules=True)
    await runtime.start()
    try:
        events: list[JobExecutionEvent] = []
        scheduler = runtime.scheduler
        assert scheduler is not None
        scheduler.add_listener(events.append, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        for job_id in (SAMPLER, HOUSEKEEPING):
            scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
        db = runtime.deps.backends.db

        async def recorded() -> bool:
            row = await db.fetch_one(
                "SELECT 1 AS found FROM rtb_bot.engine_samples WHERE sampled_by = 'pod-sched'"
            )
            return row is not None

        async def sampled() -> None:
            while len(events) < 2 or not (await recorded() or any(e.exception for e in events)):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(sampled(), WAIT_SECONDS)
        await runtime.deps.tasks.drain(WAIT_SECONDS)
        minute_recorded = await recorded()
    finally:
        await runtime.stop()
    assert sorted((e.job_id, e.exception) for e in events) == [
        (SAMPLER, None),
        (HOUSEKEEPING, None),
    ]
    assert minute_recorded

"""The job table: every scheduled job of the bot, as data (see handlers.scheduled)."""

from __future__ import annotations

from collections.abc import Iterable

from handlers import (
    daily_jobs,
    escalation_jobs,
    housekeeping_jobs,
    threshold_jobs,
    ttl_notices,
    weekly_jobs,
)
from handlers.scheduled import ScheduledJob


def build_jobs(*groups: Iterable[ScheduledJob]) -> dict[str, ScheduledJob]:
    jobs: dict[str, ScheduledJob] = {}
    for job in (j for group in groups for j in group):
        if job.name in jobs:
            raise ValueError(f"duplicate scheduled job {job.name!r}")  # internal: at import
        jobs[job.name] = job
    return jobs


JOBS = build_jobs(
    daily_jobs.DAILY_JOBS,
    weekly_jobs.WEEKLY_JOBS,
    housekeeping_jobs.HOUSEKEEPING_JOBS,
    escalation_jobs.ESCALATION_JOBS,
    threshold_jobs.THRESHOLD_JOBS,
    ttl_notices.TTL_JOBS,
)

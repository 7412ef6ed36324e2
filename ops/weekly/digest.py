"""`build_weekly`: the four §6.2 items and the chart's numbers, every source at once.

Each source gets `weekly.source_seconds`; one that fails or is late is its item's failure
(which backend, a reason safe to show), never a missing digest. The sources overlap, so the
build takes about as long as the slowest one, not the sum.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops.backends.container import Backends
from ops.costs import HUB_DB
from ops.fanout import Part, gather_parts
from ops.weekly.assume_role import AssumeRoleAudit, assume_role_audit
from ops.weekly.chart import AiDaily, ai_cost_per_day
from ops.weekly.fargate import FargateWeek, fargate_week
from ops.weekly.scaling import ScalingHistory, scaling_history
from ops.weekly.ttl import TtlFailures, ttl_failures
from ops.weekly.window import Week

# Each source by the backends it reads: a source that does not answer is named so ("Cost
# Explorer: no answer within 20 s"), the same in every language.
BOT_DB = "PostgreSQL (bot)"  # a name
FARGATE = "Cost Explorer"  # a name
SCALING = BOT_DB
ASSUME_ROLE = "CloudTrail"  # a name
TTL = "Logs Insights + Kubernetes"  # a name: the hub's logs and the clusters' namespaces
AI_DAILY = HUB_DB


@dataclass(frozen=True)
class WeeklyDigest:
    week: Week
    built_at: datetime
    timezone: str
    fargate: Part[FargateWeek]
    scaling: Part[ScalingHistory]
    assume_role: Part[AssumeRoleAudit]
    ttl: Part[TtlFailures]
    ai_daily: Part[AiDaily]  # the chart's AI cost line


async def build_weekly(
    backends: Backends, now: datetime | None = None, *, week_of: datetime | None = None
) -> WeeklyDigest:
    """The digest of the week before `week_of` (the period's fire time: a late or repeated
    run still describes the week it is for), read `now` (previews overdue now)."""
    moment = now or datetime.now(UTC)
    config = backends.config
    week = Week.before(week_of or moment, config.timezone)
    sources: dict[str, Awaitable[Any]] = {
        FARGATE: fargate_week(backends, week_of or moment),
        SCALING: scaling_history(backends, week),
        ASSUME_ROLE: assume_role_audit(backends, week),
        TTL: ttl_failures(backends, week, moment),
        AI_DAILY: ai_cost_per_day(backends, week),
    }
    parts = await gather_parts(sources, config.weekly.source_seconds)
    return WeeklyDigest(
        week=week,
        built_at=moment,
        timezone=config.timezone,
        fargate=parts[FARGATE],
        scaling=parts[SCALING],
        assume_role=parts[ASSUME_ROLE],
        ttl=parts[TTL],
        ai_daily=parts[AI_DAILY],
    )

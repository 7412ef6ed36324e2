"""Costs (runbook §3.3, §5.3 "AI cost spike"): `ai_costs` and Fargate preview cost per account.

AI cost is the runbook's query, parameterised: `SELECT model, env, SUM(total_cost_usd),
COUNT(*) FROM ai_costs WHERE created_at > now() - %s::interval GROUP BY …`. The grouping
columns come from a fixed table, never from user text. Fargate preview cost is Cost Explorer's
`env: preview` cost allocation tag, asked in each env's own account.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.backends.db import Database
from ops.config import EnvName
from ops.fanout import Part, gather_parts

Grouping = Literal["model", "env"]
FARGATE_DAYS = 7
PREVIEW_TAG = {"Key": "env", "Values": ["preview"]}
MAX_LINES = 100
HUB_DB = "PostgreSQL (hub)"

_GROUP_COLUMNS: dict[Grouping | None, str] = {None: "model, env", "model": "model", "env": "env"}
_SELECT_COLUMNS: dict[Grouping | None, str] = {
    None: "model, env",
    "model": "model, NULL::text AS env",
    "env": "NULL::text AS model, env",
}
_TODAY_SQL = """
SELECT coalesce(sum(total_cost_usd), 0) AS total, count(*) AS calls
FROM ai_costs WHERE created_at >= %(since)s
"""


def _costs_sql(by: Grouping | None) -> str:
    return (
        f"SELECT {_SELECT_COLUMNS[by]}, sum(total_cost_usd) AS total, count(*) AS calls "
        "FROM ai_costs WHERE created_at > now() - %(since)s::interval "
        f"GROUP BY {_GROUP_COLUMNS[by]} ORDER BY total DESC, calls DESC LIMIT %(limit)s"
    )


@dataclass(frozen=True)
class CostLine:
    model: str | None  # None when grouped by env only
    env: str | None  # None when grouped by model only
    total_usd: Decimal
    calls: int


@dataclass(frozen=True)
class AiCosts:
    since: timedelta
    by: Grouping | None
    lines: tuple[CostLine, ...]  # most expensive first

    @property
    def total_usd(self) -> Decimal:
        return sum((line.total_usd for line in self.lines), Decimal(0))

    @property
    def calls(self) -> int:
        return sum(line.calls for line in self.lines)


@dataclass(frozen=True)
class DailyCost:
    """AI cost since local midnight (config.timezone)."""

    since: datetime  # local midnight, time-zone aware
    total_usd: Decimal
    calls: int


@dataclass(frozen=True)
class FargateCost:
    env: EnvName
    account_id: str
    start: date  # Cost Explorer days (UTC), end exclusive
    end: date
    days: tuple[tuple[date, Decimal], ...]

    @property
    def total_usd(self) -> Decimal:
        return sum((amount for _, amount in self.days), Decimal(0))


@dataclass(frozen=True)
class CostReport:
    since: timedelta
    threshold_usd: float  # AI cost per day (thresholds.ai_cost_daily_usd)
    ai: Part[AiCosts]
    today: Part[DailyCost]
    fargate: tuple[tuple[EnvName, Part[FargateCost]], ...]


async def ai_costs(db: Database, since: timedelta, by: Grouping | None = None) -> AiCosts:
    rows = await db.fetch(_costs_sql(by), {"since": since, "limit": MAX_LINES})
    lines = tuple(
        CostLine(row["model"], row["env"], Decimal(row["total"]), int(row["calls"])) for row in rows
    )
    return AiCosts(since, by, lines)


def local_midnight(now: datetime, timezone: str) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    return datetime.combine(local.date(), time(0), local.tzinfo)


async def ai_cost_today(db: Database, timezone: str, now: datetime | None = None) -> DailyCost:
    since = local_midnight(now or datetime.now(UTC), timezone)
    row = await db.fetch_one(_TODAY_SQL, {"since": since})
    assert row is not None  # an aggregate always returns one row
    return DailyCost(since, Decimal(row["total"]), int(row["calls"]))


async def fargate_preview_cost(
    backends: Backends, env: EnvName, *, actor: Actor = BOT, today: date | None = None
) -> FargateCost:
    """The last `FARGATE_DAYS` full UTC days of `env: preview` cost in `env`'s account."""
    end = today or datetime.now(UTC).date()
    start = end - timedelta(days=FARGATE_DAYS)
    answer = await backends.blocking.run(
        _ce_name(env),
        backends.config.timeouts.backend_seconds,
        _get_cost_and_usage,
        backends,
        env,
        actor,
        start,
        end,
    )
    days = tuple(
        (day, amount)
        for day, amount in (_day_amount(result) for result in answer.get("ResultsByTime", []))
        if start <= day < end  # only the days asked for, whatever the answer holds
    )
    account = backends.config.environments[env].account_id
    return FargateCost(env, account, start, end, days)


def _get_cost_and_usage(
    backends: Backends, env: EnvName, actor: Actor, start: date, end: date
) -> dict[str, Any]:
    answer: dict[str, Any] = backends.aws.client(env, "ce", actor).get_cost_and_usage(
        TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
        Filter={"Tags": PREVIEW_TAG},
    )
    return answer


def _day_amount(result: dict[str, Any]) -> tuple[date, Decimal]:
    day = date.fromisoformat(result["TimePeriod"]["Start"])
    amount = result.get("Total", {}).get("UnblendedCost", {}).get("Amount", "0")
    return day, Decimal(amount)


async def cost_report(
    backends: Backends,
    since: timedelta,
    by: Grouping | None = None,
    *,
    actor: Actor = BOT,
) -> CostReport:
    """AI cost over `since` and today, Fargate preview cost per env: all at once.

    Parts are named after their backend, so a part that times out names what was slow.
    """
    config = backends.config
    calls: dict[str, Any] = {HUB_DB: _hub_costs(backends, since, by)}
    for env in config.environments:
        calls[_ce_name(env)] = fargate_preview_cost(backends, env, actor=actor)
    parts = await gather_parts(calls, config.timeouts.backend_seconds)
    hub: Part[tuple[AiCosts, DailyCost]] = parts[HUB_DB]
    ai, today = _split(hub)
    fargate = tuple((env, parts[_ce_name(env)]) for env in config.environments)
    return CostReport(since, config.thresholds.ai_cost_daily_usd, ai, today, fargate)


async def _hub_costs(
    backends: Backends, since: timedelta, by: Grouping | None
) -> tuple[AiCosts, DailyCost]:
    db = backends.hub_db
    ai, today = await asyncio.gather(
        ai_costs(db, since, by), ai_cost_today(db, backends.config.timezone)
    )
    return ai, today


def _split(part: Part[tuple[AiCosts, DailyCost]]) -> tuple[Part[AiCosts], Part[DailyCost]]:
    if part.value is None:
        return Part(failure=part.failure), Part(failure=part.failure)
    return Part(value=part.value[0]), Part(value=part.value[1])


def _ce_name(env: EnvName) -> str:
    return f"AWS {env} Cost Explorer"

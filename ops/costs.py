"""Costs (runbook §3.3, §5.3 "AI cost spike"): `ai_costs` and Fargate preview cost per account.

AI cost is the runbook's query, parameterised: `SELECT model, env, SUM(total_cost_usd),
COUNT(*) FROM ai_costs WHERE created_at … GROUP BY …`. The grouping columns come from a fixed
table, never from user text. Fargate preview cost is Cost Explorer's `env: preview` cost
allocation tag, asked in each env's own account.

One window per answer (`CostWindow`): every number of a costs answer covers the same span, a
local calendar day (today so far, or a past day: what the $100/day threshold is about) or a
rolling window (`--since 24h`), so "today $120" never sits beside a 24-hour table of $144.
"""

from __future__ import annotations

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

_GROUP_COLUMNS: dict[Grouping | None, str] = {
    None: "model, env",  # internal: SQL
    "model": "model",
    "env": "env",
}
_SELECT_COLUMNS: dict[Grouping | None, str] = {
    None: "model, env",  # internal: SQL
    "model": "model, NULL::text AS env",  # internal: SQL
    "env": "NULL::text AS model, env",  # internal: SQL
}
_TODAY_SQL = """
SELECT coalesce(sum(total_cost_usd), 0) AS total, count(*) AS calls
FROM ai_costs WHERE created_at >= %(since)s
"""


def _costs_sql(by: Grouping | None) -> str:
    return (
        f"SELECT {_SELECT_COLUMNS[by]}, sum(total_cost_usd) AS total, "  # internal: SQL
        "count(*) AS calls FROM ai_costs WHERE created_at >= %(start)s AND created_at < %(end)s "
        f"GROUP BY {_GROUP_COLUMNS[by]} ORDER BY total DESC, calls DESC LIMIT %(limit)s"
    )


@dataclass(frozen=True)
class CostWindow:
    start: datetime
    end: datetime  # exclusive; now, for today and rolling windows
    day: date | None = None  # a local calendar day: the daily threshold applies
    since: timedelta | None = None  # a rolling window, as asked
    so_far: bool = False  # a calendar day still running (today)

    @classmethod
    def last(cls, since: timedelta, now: datetime | None = None) -> CostWindow:
        end = now or datetime.now(UTC)
        return cls(end - since, end, since=since)

    @classmethod
    def calendar_day(cls, day: date, timezone: str, now: datetime | None = None) -> CostWindow:
        """`day` in the team's time zone, up to now when it is today."""
        zone, end_of_now = ZoneInfo(timezone), now or datetime.now(UTC)
        start = datetime.combine(day, time(0), zone)
        end_of_day = datetime.combine(day + timedelta(days=1), time(0), zone)
        return cls(start, min(end_of_day, end_of_now), day=day, so_far=end_of_now < end_of_day)

    @property
    def utc_days(self) -> tuple[date, date]:
        """The Cost Explorer days (UTC, end exclusive) that cover the window."""
        last = (self.end - timedelta(microseconds=1)).astimezone(UTC).date()
        return self.start.astimezone(UTC).date(), last + timedelta(days=1)


@dataclass(frozen=True)
class CostLine:
    model: str | None  # None when grouped by env only
    env: str | None  # None when grouped by model only
    total_usd: Decimal
    calls: int


@dataclass(frozen=True)
class AiCosts:
    window: CostWindow
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
    window: CostWindow
    threshold_usd: float  # AI cost per day (thresholds.ai_cost_daily_usd)
    ai: Part[AiCosts]
    fargate: tuple[tuple[EnvName, Part[FargateCost]], ...]


async def ai_costs(db: Database, window: CostWindow, by: Grouping | None = None) -> AiCosts:
    params = {"start": window.start, "end": window.end, "limit": MAX_LINES}
    rows = await db.fetch(_costs_sql(by), params)
    lines = tuple(
        CostLine(row["model"], row["env"], Decimal(row["total"]), int(row["calls"])) for row in rows
    )
    return AiCosts(window, by, lines)


def local_midnight(now: datetime, timezone: str) -> datetime:
    local = now.astimezone(ZoneInfo(timezone))
    return datetime.combine(local.date(), time(0), local.tzinfo)


async def ai_cost_today(db: Database, timezone: str, now: datetime | None = None) -> DailyCost:
    since = local_midnight(now or datetime.now(UTC), timezone)
    row = await db.fetch_one(_TODAY_SQL, {"since": since})
    assert row is not None  # an aggregate always returns one row
    return DailyCost(since, Decimal(row["total"]), int(row["calls"]))


async def fargate_preview_cost(
    backends: Backends,
    env: EnvName,
    *,
    actor: Actor = BOT,
    today: date | None = None,
    span: tuple[date, date] | None = None,
) -> FargateCost:
    """`env: preview` cost in `env`'s account over `span` (UTC days, end exclusive); by
    default the last `FARGATE_DAYS` full UTC days before `today`."""
    if span is None:
        end = today or datetime.now(UTC).date()
        span = (end - timedelta(days=FARGATE_DAYS), end)
    start, end = span
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
    window: CostWindow,
    by: Grouping | None = None,
    *,
    actor: Actor = BOT,
) -> CostReport:
    """AI cost and Fargate preview cost per env over one window: all at once.

    Parts are named after their backend, so a part that times out names what was slow.
    """
    config = backends.config
    calls: dict[str, Any] = {HUB_DB: ai_costs(backends.hub_db, window, by)}
    for env in config.environments:
        calls[_ce_name(env)] = fargate_preview_cost(
            backends, env, actor=actor, span=window.utc_days
        )
    parts = await gather_parts(calls, config.timeouts.backend_seconds)
    fargate = tuple((env, parts[_ce_name(env)]) for env in config.environments)
    return CostReport(window, config.thresholds.ai_cost_daily_usd, parts[HUB_DB], fargate)


def _ce_name(env: EnvName) -> str:
    return f"AWS {env} Cost Explorer"  # a name

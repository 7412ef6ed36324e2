"""Fargate cost per env (runbook §6.2): Cost Explorer in each env's own account, `env: preview`
tag, the last 7 full UTC days against the 7 before (one 14-day DAILY request per account; the
same days feed the digest's chart).

Fargate usage is picked out by usage type: the request groups by USAGE_TYPE and the days sum
the groups whose usage type names Fargate (`APN2-Fargate-vCPU-Hours:perCPU`,
`APN2-Fargate-GB-Hours`, …), so a load balancer or a volume tagged `env: preview` is not
counted as Fargate. Cost Explorer counts whole UTC days: at 09:00 in Seoul (00:00 UTC) they
are exactly the local week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ops.backends.aws import BOT
from ops.backends.container import Backends
from ops.config import EnvName
from ops.costs import PREVIEW_TAG
from ops.fanout import Failed, gather_parts, split_parts
from ops.weekly.window import inner_seconds

DAYS = 14  # this week and the week before
WEEK_DAYS = 7
FARGATE_USAGE = "Fargate"  # in every Fargate usage type


@dataclass(frozen=True)
class EnvFargate:
    env: EnvName
    account_id: str
    days: tuple[tuple[date, Decimal], ...]  # oldest first, only days Cost Explorer answered
    week_start: date  # the first day of "this week"; the days before are the week before

    @property
    def this_week(self) -> Decimal:
        return sum((a for d, a in self.days if d >= self.week_start), Decimal(0))

    @property
    def week_before(self) -> Decimal:
        return sum((a for d, a in self.days if d < self.week_start), Decimal(0))

    @property
    def change_percent(self) -> float | None:
        """None when the week before cost nothing (no base to compare with)."""
        if self.week_before == 0:
            return None
        return float((self.this_week - self.week_before) / self.week_before * 100)


@dataclass(frozen=True)
class FargateWeek:
    start: date  # this week's first UTC day
    end: date  # exclusive
    envs: tuple[EnvFargate, ...]  # the envs that answered, in config order
    failures: tuple[Failed, ...]  # the envs that did not

    @property
    def this_week(self) -> Decimal:
        return sum((e.this_week for e in self.envs), Decimal(0))

    @property
    def week_before(self) -> Decimal:
        return sum((e.week_before for e in self.envs), Decimal(0))


def ce_name(env: EnvName) -> str:
    return f"AWS {env} Cost Explorer"  # a name


async def fargate_week(backends: Backends, now: datetime) -> FargateWeek:
    end = now.astimezone(UTC).date()
    start = end - timedelta(days=DAYS)
    envs: Sequence[EnvName] = tuple(backends.config.environments)
    parts = await gather_parts(
        {ce_name(env): _env_days(backends, env, start, end) for env in envs},
        inner_seconds(backends.config),
    )
    answered, failures = split_parts(envs, parts)
    week_start = end - timedelta(days=WEEK_DAYS)
    accounts = backends.config.environments
    found = tuple(
        EnvFargate(env, accounts[env].account_id, days, week_start) for env, days in answered
    )
    return FargateWeek(week_start, end, found, tuple(failures))


async def _env_days(
    backends: Backends, env: EnvName, start: date, end: date
) -> tuple[tuple[date, Decimal], ...]:
    answer = await backends.blocking.run(
        ce_name(env),
        backends.config.timeouts.backend_seconds,
        _get_cost_and_usage,
        backends,
        env,
        start,
        end,
    )
    days = (fargate_day(result) for result in answer.get("ResultsByTime", []))
    return tuple(sorted((d, a) for d, a in days if start <= d < end))


def _get_cost_and_usage(backends: Backends, env: EnvName, start: date, end: date) -> Any:
    return backends.aws.client(env, "ce", BOT).get_cost_and_usage(
        TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
        Filter={"Tags": PREVIEW_TAG},
        GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
    )


def fargate_day(result: dict[str, Any]) -> tuple[date, Decimal]:
    """One ResultsByTime entry: its day and the sum of its Fargate usage-type groups."""
    day = date.fromisoformat(result["TimePeriod"]["Start"])
    amount = Decimal(0)
    for group in result.get("Groups") or []:
        if any(FARGATE_USAGE in key for key in group.get("Keys") or []):
            cost = (group.get("Metrics") or {}).get("UnblendedCost") or {}
            amount += Decimal(str(cost.get("Amount", "0")))
    return day, amount

"""`/rtb diagnose costs`: where an AI cost spike comes from (§5.3)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ops import costs, executions
from ops.backends.container import Backends
from ops.backends.db import Database
from ops.config import Config
from ops.diagnose.causes import (
    CostsCalm,
    CostSpike,
    OverBudgetToday,
    RunsSpike,
)
from ops.diagnose.common import (
    BASELINE,
    MAX_CAUSES,
    MAX_LINES_NAMED,
    MIN_SPIKE_RUNS,
    MIN_SPIKE_USD,
    RECENT,
    SPIKE_RATIO,
    TODAY_WARN_SHARE,
    Diagnosis,
    Notes,
    gather,
)
from ops.diagnose.findings import (
    CheckKind,
    CheckState,
    CostByModelFacts,
    CostHourFacts,
    CostRate,
    CostTodayFacts,
    RunsByTypeFacts,
)
from ops.fanout import Part
from ops.suggestions import suggest

TODAY = "ai_costs today"  # a name: the part, named when it does not answer

_COST_RATES_SQL = """
SELECT model, env,
       coalesce(sum(total_cost_usd) FILTER (WHERE created_at > now() - %(recent)s::interval), 0)
           AS recent_usd,
       count(*) FILTER (WHERE created_at > now() - %(recent)s::interval) AS recent_calls,
       coalesce(sum(total_cost_usd) FILTER (WHERE created_at <= now() - %(recent)s::interval), 0)
           AS earlier_usd
FROM ai_costs
WHERE created_at > now() - %(recent)s::interval - %(baseline)s::interval
GROUP BY model, env
ORDER BY recent_usd DESC, earlier_usd DESC, model, env
LIMIT %(limit)s
"""


def is_spike(recent_usd: Decimal, usual_usd: Decimal) -> bool:
    """At least `MIN_SPIKE_USD`, and `SPIKE_RATIO` times the usual (or nothing usually)."""
    big = recent_usd >= MIN_SPIKE_USD
    return big and (not usual_usd or recent_usd / usual_usd >= Decimal(SPIKE_RATIO))


async def cost_rates(
    db: Database, recent: timedelta = RECENT, baseline: timedelta = BASELINE
) -> tuple[CostRate, ...]:
    """AI cost per (model, env) within `recent`, most expensive first, with the usual rate."""
    rows = await db.fetch(
        _COST_RATES_SQL, {"recent": recent, "baseline": baseline, "limit": costs.MAX_LINES}
    )
    share = Decimal(recent.total_seconds()) / Decimal(baseline.total_seconds())
    return tuple(
        _cost_rate(
            row["model"],
            row["env"],
            Decimal(row["recent_usd"]),
            int(row["recent_calls"]),
            Decimal(row["earlier_usd"]) * share,
        )
        for row in rows
    )


def _cost_rate(model: str, env: str, recent: Decimal, calls: int, usual: Decimal) -> CostRate:
    return CostRate(model, env, recent, calls, usual, spike=is_spike(recent, usual))


async def diagnose_costs(backends: Backends) -> Diagnosis:
    """Why AI cost went up: the last hour by model and env and workflow runs by type, each
    against its 7-day hourly average, and today against the daily threshold."""
    config, db = backends.config, backends.hub_db
    parts = await gather(
        config,
        {
            "ai_costs": cost_rates(db),
            "workflow_executions": executions.type_rates(db, RECENT, BASELINE),
            TODAY: costs.ai_cost_today(db, config.timezone),
        },
    )
    notes = Notes()
    spiked = _cost_rate_checks(notes, parts["ai_costs"])
    for runs in _runs_rate_check(notes, parts["workflow_executions"])[:1]:
        notes.cause(
            1 if spiked else 3,
            RunsSpike(runs.workflow_type, runs.recent_runs, runs.usual_runs),
            suggest("executions", type=runs.workflow_type, since="1h"),
        )
    _today_check(notes, parts[TODAY], config, spiked=spiked)
    notes.commands.append(suggest("costs", since="7d", by="env"))
    unknown = any(c.state == "unknown" for c in notes.checks)
    return notes.diagnosis("costs", notes.inconclusive() if unknown else CostsCalm())


def _cost_rate_checks(notes: Notes, part: Part[tuple[CostRate, ...]]) -> bool:
    """The checks; True when some model and env costs far more than usual."""
    if part.value is None:
        notes.unknown(CheckKind.COST_HOUR, part.failure)
        notes.unknown(CheckKind.COST_BY_MODEL, part.failure)
        return False
    rates = part.value
    recent = sum((r.recent_usd for r in rates), Decimal(0))
    usual = sum((r.usual_usd for r in rates), Decimal(0))
    calls = sum(r.recent_calls for r in rates)
    ratio = float(recent / usual) if usual else None
    hour = CostHourFacts(recent, calls, usual, ratio)
    notes.check(CheckKind.COST_HOUR, "fail" if is_spike(recent, usual) else "ok", hour)
    active = tuple(r for r in rates if r.recent_calls)[:MAX_LINES_NAMED]
    spikes = [r for r in rates if r.spike]
    notes.check(CheckKind.COST_BY_MODEL, "fail" if spikes else "ok", CostByModelFacts(active))
    for rank, rate in enumerate(spikes[:MAX_CAUSES]):  # the biggest first, then the runs
        spike = CostSpike(rate.model, rate.env, rate.recent_usd, rate.ratio)
        notes.cause(2 * rank, spike, suggest("costs", since="1h"))
    return bool(spikes)


def _runs_rate_check(notes: Notes, part: Part[executions.TypeRates]) -> list[executions.TypeRate]:
    """The check; returns the workflow types running far more often than usual."""
    if part.value is None:
        notes.unknown(CheckKind.RUNS_BY_TYPE, part.failure)
        return []
    rates = [r for r in part.value.rates if r.recent_runs]
    spiking = [
        r
        for r in rates
        if r.recent_runs >= MIN_SPIKE_RUNS and (r.ratio is None or r.ratio >= SPIKE_RATIO)
    ]
    facts = RunsByTypeFacts(tuple(rates[:MAX_LINES_NAMED]))
    notes.check(CheckKind.RUNS_BY_TYPE, "warn" if spiking else "ok", facts)
    return spiking


def _today_check(
    notes: Notes, part: Part[costs.DailyCost], config: Config, *, spiked: bool
) -> None:
    if part.value is None:
        notes.unknown(CheckKind.COST_TODAY, part.failure)
        return
    today, limit = part.value, Decimal(str(config.thresholds.ai_cost_daily_usd))
    state: CheckState = (
        "fail"
        if today.total_usd > limit
        else "warn"
        if today.total_usd >= limit * TODAY_WARN_SHARE
        else "ok"
    )
    facts = CostTodayFacts(today.total_usd, today.since, config.timezone, today.calls, limit)
    notes.check(CheckKind.COST_TODAY, state, facts)
    if state == "fail":
        cause = OverBudgetToday(today.total_usd, limit, spiked=spiked)
        notes.cause(4, cause, suggest("costs", since="24h", by="model"))

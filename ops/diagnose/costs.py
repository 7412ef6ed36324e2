"""`/rtb diagnose costs`: where an AI cost spike comes from (§5.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from ops import costs, executions
from ops.backends.container import Backends
from ops.backends.db import Database
from ops.config import Config
from ops.diagnose.common import (
    BASELINE,
    MAX_CAUSES,
    MAX_LINES_NAMED,
    MIN_SPIKE_RUNS,
    MIN_SPIKE_USD,
    RECENT,
    SPIKE_RATIO,
    TODAY_WARN_SHARE,
    CheckState,
    Diagnosis,
    Notes,
    clock,
    gather,
    inconclusive,
    times,
    usd,
)
from ops.fanout import Part
from ops.suggestions import suggest

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


@dataclass(frozen=True)
class CostRate:
    model: str
    env: str
    recent_usd: Decimal
    recent_calls: int
    usual_usd: Decimal  # per recent window, averaged over the baseline before it

    @property
    def ratio(self) -> float | None:
        return float(self.recent_usd / self.usual_usd) if self.usual_usd else None

    @property
    def spike(self) -> bool:
        big = self.recent_usd >= MIN_SPIKE_USD
        return big and (self.ratio is None or self.ratio >= SPIKE_RATIO)


async def cost_rates(
    db: Database, recent: timedelta = RECENT, baseline: timedelta = BASELINE
) -> tuple[CostRate, ...]:
    """AI cost per (model, env) within `recent`, most expensive first, with the usual rate."""
    rows = await db.fetch(
        _COST_RATES_SQL, {"recent": recent, "baseline": baseline, "limit": costs.MAX_LINES}
    )
    share = Decimal(recent.total_seconds()) / Decimal(baseline.total_seconds())
    return tuple(
        CostRate(
            model=row["model"],
            env=row["env"],
            recent_usd=Decimal(row["recent_usd"]),
            recent_calls=int(row["recent_calls"]),
            usual_usd=Decimal(row["earlier_usd"]) * share,
        )
        for row in rows
    )


async def diagnose_costs(backends: Backends) -> Diagnosis:
    """Why AI cost went up: the last hour by model and env and workflow runs by type, each
    against its 7-day hourly average, and today against the daily threshold."""
    config, db = backends.config, backends.hub_db
    parts = await gather(
        config,
        {
            "ai_costs": cost_rates(db),
            "workflow_executions": executions.type_rates(db, RECENT, BASELINE),
            "ai_costs today": costs.ai_cost_today(db, config.timezone),
        },
    )
    notes = Notes()
    spiked = _cost_rate_checks(notes, parts["ai_costs"])
    for runs in _runs_rate_check(notes, parts["workflow_executions"])[:1]:
        usual = f"{runs.usual_runs:.0f}/h usual" if runs.usual_runs else "none usually"
        notes.cause(
            1 if spiked else 3,
            f"{runs.workflow_type} ran {runs.recent_runs:,} times vs {usual}",
            suggest("executions", type=runs.workflow_type, since="1h"),
        )
    _today_check(notes, parts["ai_costs today"], config, spiked=spiked)
    notes.commands.append(suggest("costs", since="7d", by="env"))
    calm = "No spike: the last hour is within its usual range, and so is today."
    unknown = any(c.state == "unknown" for c in notes.checks)
    return notes.diagnosis("AI cost", inconclusive(notes) if unknown else calm)


def _cost_rate_checks(notes: Notes, part: Part[tuple[CostRate, ...]]) -> bool:
    """The checks; True when some model and env costs far more than usual."""
    if part.value is None:
        notes.unknown("AI cost, last hour", part.failure)
        notes.unknown("AI cost by model and env", part.failure)
        return False
    rates = part.value
    recent = sum((r.recent_usd for r in rates), Decimal(0))
    usual = sum((r.usual_usd for r in rates), Decimal(0))
    calls = sum(r.recent_calls for r in rates)
    overall = recent >= MIN_SPIKE_USD and (not usual or recent / usual >= Decimal(SPIKE_RATIO))
    ratio = f", {times(float(recent / usual))} the usual" if usual else ""
    notes.check(
        "AI cost, last hour",
        "fail" if overall else "ok",
        f"{usd(recent)} in {calls:,} calls{ratio} ({usd(usual)}/h, 7-day average).",
    )
    active = [r for r in rates if r.recent_calls]
    lines = [_rate_text(r) for r in active[:MAX_LINES_NAMED]]
    spikes = [r for r in rates if r.spike]
    notes.check(
        "AI cost by model and env",
        "fail" if spikes else "ok",
        (" · ".join(lines) or "No AI calls in the last hour") + ".",
    )
    for rank, rate in enumerate(spikes[:MAX_CAUSES]):  # the biggest first, then the runs
        text = f"{rate.model} in {rate.env}: {_rate_text(rate, short=True)}"
        notes.cause(2 * rank, text, suggest("costs", since="1h"))
    return bool(spikes)


def _rate_text(rate: CostRate, *, short: bool = False) -> str:
    ratio = rate.ratio
    usual = "none in the previous 7 days" if ratio is None else f"{times(ratio)} its usual"
    if short:
        return f"{usd(rate.recent_usd)} in the last hour, {usual}"
    calls = f"{rate.recent_calls:,} call" + ("" if rate.recent_calls == 1 else "s")
    return f"{rate.model} {rate.env} {usd(rate.recent_usd)} ({calls}, {usual})"


def _runs_rate_check(notes: Notes, part: Part[executions.TypeRates]) -> list[executions.TypeRate]:
    """The check; returns the workflow types running far more often than usual."""
    name = "Workflow runs by type, last hour"
    if part.value is None:
        notes.unknown(name, part.failure)
        return []
    rates = [r for r in part.value.rates if r.recent_runs]
    spiking = [
        r
        for r in rates
        if r.recent_runs >= MIN_SPIKE_RUNS and (r.ratio is None or r.ratio >= SPIKE_RATIO)
    ]
    facts = [
        f"{r.workflow_type} {r.recent_runs:,} vs {r.usual_runs:.1f}/h usual"
        + (f" ({times(r.ratio)})" if r.ratio is not None else " (new)")
        for r in rates[:MAX_LINES_NAMED]
    ]
    finding = " · ".join(facts) or "No runs in the last hour"
    notes.check(name, "warn" if spiking else "ok", finding + ".")
    return spiking


def _today_check(
    notes: Notes, part: Part[costs.DailyCost], config: Config, *, spiked: bool
) -> None:
    name = "AI cost today"
    if part.value is None:
        notes.unknown(name, part.failure)
        return
    today, limit = part.value, Decimal(str(config.thresholds.ai_cost_daily_usd))
    state: CheckState = (
        "fail"
        if today.total_usd > limit
        else "warn"
        if today.total_usd >= limit * TODAY_WARN_SHARE
        else "ok"
    )
    since = clock(today.since, config.timezone)
    finding = (
        f"{usd(today.total_usd)} since {since} ({config.timezone}), {today.calls:,} calls; "
        f"threshold {usd(limit)}/day."
    )
    notes.check(name, state, finding)
    if state == "fail":
        over = f"today's AI cost {usd(today.total_usd)} is over the {usd(limit)}/day threshold"
        text = over[0].upper() + over[1:] if spiked else f"No spike in the last hour, but {over}"
        notes.cause(4, text, suggest("costs", since="24h", by="model"))

"""The 14 days behind the weekly digest's chart: AI cost per local day (hub `ai_costs`) and
Fargate preview cost per env per UTC day (the same Cost Explorer answer as the Fargate item).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ops.backends.container import Backends
from ops.weekly.window import Week

CHART_DAYS = 14
_AI_DAILY = """
SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, sum(total_cost_usd) AS total
FROM ai_costs WHERE created_at >= %(start)s AND created_at < %(end)s
GROUP BY 1 ORDER BY 1
"""


@dataclass(frozen=True)
class AiDaily:
    days: tuple[tuple[date, Decimal], ...]  # every local day of the two weeks, 0 when none


async def ai_cost_per_day(backends: Backends, week: Week) -> AiDaily:
    start = week.previous.start
    rows = await backends.hub_db.fetch(
        _AI_DAILY, {"tz": backends.config.timezone, "start": start, "end": week.end}
    )
    totals = {row["day"]: Decimal(row["total"]) for row in rows}
    first = start.date()
    days = (first + timedelta(days=n) for n in range(CHART_DAYS))
    return AiDaily(tuple((day, totals.get(day, Decimal(0))) for day in days))

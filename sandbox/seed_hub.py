"""A realistic, deterministic week of rtb-ai-hub data: `ai_costs` and `workflow_executions`.

The story the numbers tell (everything is relative to `now`, local time Asia/Seoul):

* AI cost: business-hours shaped, $40–80 a day for the previous days; today (since local
  midnight) ends at about $120 — red against the $100/day threshold — because of a spike in the
  last hour: `claude-sonnet-4` in `int` for `jira-auto-dev` costs about $30 there.
* Workflows: ~2,000 executions over the week, 2–60 s, ~3 % failed; in the last 15 minutes a
  burst of `jira-auto-dev` failures ("Claude API 529 overloaded", "git push rejected") makes the
  error rate 12 %; three executions are still running. The `preview-deploy` runs agree with
  the clusters (seed_kube) and the logs (seed_trail_logs): each preview still present was
  deployed, in its env, seconds before its namespace appeared; PROJ-300's run in prd failed
  about 40 minutes ago; the other runs deployed previews long since deleted (never the key of
  one still present).

Same `now` and `rng_seed` give the same rows. `seed_hub` empties both tables first.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import psycopg

from sandbox.seed_kube import POD_AFTER_NAMESPACE, PREVIEWS
from sandbox.seed_trail_logs import FAILED_PREVIEW, PREVIEW_300_LOG

LOCAL_TZ = ZoneInfo("Asia/Seoul")
T = TypeVar("T")
Row = tuple[Any, ...]
_CENT = Decimal("0.000001")
_MTOK = Decimal(1_000_000)


@dataclass(frozen=True)
class Model:
    name: str
    usd_per_mtok_in: Decimal
    usd_per_mtok_out: Decimal
    weight: float


MODELS = (
    Model("claude-sonnet-4", Decimal(3), Decimal(15), 0.5),
    Model("claude-haiku-4", Decimal(1), Decimal(5), 0.3),
    Model("gpt-4.1", Decimal(2), Decimal(8), 0.2),
)
ENVS: tuple[tuple[str, float], ...] = (("int", 0.5), ("stg", 0.3), ("prd", 0.2))

# workflow type -> (share of traffic, median duration s, failure messages)
WORKFLOWS: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "jira-auto-dev": (
        0.45,
        20.0,
        (
            "Claude API 529 overloaded",
            "git push rejected: non-fast-forward",
            "Jira API 429 rate limited",
        ),
    ),
    "pr-review": (0.30, 11.0, ("GitHub API 502 Bad Gateway", "Claude API 529 overloaded")),
    "preview-deploy": (
        0.15,
        26.0,
        (
            "kubectl apply timed out after 60s",
            "namespaces is forbidden: User cannot create resource",
        ),
    ),
    "incident-summary": (0.10, 6.0, ("OpenAI API 500 internal error",)),
}

# Relative activity by local hour (Asia/Seoul): quiet nights, busy 9–18.
HOUR_WEIGHTS = (
    0.15,
    0.1,
    0.1,
    0.1,
    0.1,
    0.15,
    0.2,
    0.35,
    0.6,
    1.0,
    1.0,
    1.0,
    0.7,
    0.9,
    1.0,
    1.0,
    1.0,
    0.9,
    0.7,
    0.5,
    0.4,
    0.3,
    0.25,
    0.2,
)

AI_ROWS_PER_DAY = 420
AI_ROWS_TODAY = 180
DAILY_COST_USD = (40.0, 80.0)
TODAY_COST_USD = Decimal(120)


@dataclass(frozen=True)
class Spike:
    model: str = "claude-sonnet-4"
    env: str = "int"
    workflow_type: str = "jira-auto-dev"
    usd: Decimal = Decimal(30)
    rows: int = 40
    window: timedelta = timedelta(minutes=55)


SPIKE = Spike()

WORKFLOW_ROWS = 1_950
FAILURE_RATE = 0.03
ERROR_WINDOW = timedelta(minutes=15)
# The last 15 minutes: (workflow type, finished executions, of which failed).
# No preview-deploy: a preview deployed in the last minutes would be in the clusters (seed_kube).
BURST: tuple[tuple[str, int, int], ...] = (
    ("jira-auto-dev", 25, 6),
    ("pr-review", 20, 0),
    ("incident-summary", 5, 0),
)
BURST_ERRORS = (
    "Claude API 529 overloaded",
    "Claude API 529 overloaded",
    "git push rejected: non-fast-forward",
)
# Still running: (workflow type, started this long ago).
RUNNING: tuple[tuple[str, timedelta], ...] = (
    ("jira-auto-dev", timedelta(seconds=40)),
    ("jira-auto-dev", timedelta(minutes=2)),
    ("preview-deploy", timedelta(minutes=3, seconds=30)),
)

AI_COLUMNS = (
    "model",
    "env",
    "workflow_type",
    "issue_key",
    "input_tokens",
    "output_tokens",
    "total_cost_usd",
    "created_at",
)
WF_COLUMNS = (
    "workflow_type",
    "status",
    "issue_key",
    "env",
    "started_at",
    "finished_at",
    "duration_ms",
    "error_message",
)


@dataclass(frozen=True)
class HubSeedSummary:
    """Facts about the seeded data, computed from the rows inserted."""

    ai_cost_rows: int
    workflow_rows: int
    today_cost_usd: Decimal
    yesterday_cost_usd: Decimal
    last_hour_cost_usd: Decimal
    spike_model: str
    spike_env: str
    spike_cost_usd: Decimal
    window_finished: int
    window_failed: int
    running: int

    @property
    def window_error_rate_percent(self) -> float:
        return 100.0 * self.window_failed / self.window_finished


def hub_schema_sql() -> str:
    """The DDL of the hub's two tables (sandbox/hub_schema.sql)."""
    return resources.files("sandbox").joinpath("hub_schema.sql").read_text(encoding="utf-8")


async def seed_hub(url: str, *, now: datetime | None = None, rng_seed: int = 7) -> HubSeedSummary:
    """Create the hub tables (idempotent), replace their rows with the seeded week."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(rng_seed)  # noqa: S311 (deterministic fixture data)
    costs = ai_cost_rows(rng, now)
    runs = workflow_rows(rng, now)
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.execute(hub_schema_sql())
        await conn.execute("TRUNCATE ai_costs, workflow_executions RESTART IDENTITY")
        await _copy(conn, "ai_costs", AI_COLUMNS, costs)
        await _copy(conn, "workflow_executions", WF_COLUMNS, runs)
    return summarize(costs, runs, now)


async def _copy(
    conn: psycopg.AsyncConnection[Any], table: str, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    async with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            await copy.write_row(row)


# -- time ------------------------------------------------------------------------------------


def local_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(LOCAL_TZ)
    return datetime.combine(local.date(), time(0), LOCAL_TZ).astimezone(UTC)


def business_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in [start, end) drawn with the business-hours shape (rejection sampling)."""
    span = (end - start).total_seconds()
    peak = max(HOUR_WEIGHTS)
    while True:
        moment = start + timedelta(seconds=rng.random() * span)
        if rng.random() * peak < HOUR_WEIGHTS[moment.astimezone(LOCAL_TZ).hour]:
            return moment


def pick(rng: random.Random, choices: Sequence[tuple[T, float]]) -> T:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def issue_key(rng: random.Random) -> str:
    return f"PROJ-{rng.randint(100, 199)}"


# -- ai_costs --------------------------------------------------------------------------------


def ai_cost_rows(rng: random.Random, now: datetime) -> list[Row]:
    """Previous days at $40–80 each, today topped up to ~$120 including the spike."""
    today = local_midnight(now)
    week_ago = now - timedelta(days=7)
    rows: list[Row] = []
    for days_back in range(7, 0, -1):
        day = today - timedelta(days=days_back)
        target = Decimal(str(round(rng.uniform(*DAILY_COST_USD), 2)))
        day_rows = cost_batch(rng, AI_ROWS_PER_DAY, target, day, day + timedelta(days=1))
        rows += [r for r in day_rows if r[-1] >= week_ago]
    rows += cost_batch(rng, AI_ROWS_TODAY, TODAY_COST_USD - SPIKE.usd, today, now)
    return rows + spike_rows(rng, now, today)


def cost_batch(
    rng: random.Random, count: int, target: Decimal, start: datetime, end: datetime
) -> list[Row]:
    """`count` calls spread over [start, end) whose costs add up to about `target`."""
    models = [(m, m.weight) for m in MODELS]
    types = [(name, share) for name, (share, _, _) in WORKFLOWS.items()]
    drafts = [
        (pick(rng, models), pick(rng, ENVS), pick(rng, types), *draw_tokens(rng))
        for _ in range(count)
    ]
    raw = sum(price(m, i, o) for m, _, _, i, o in drafts)
    factor = target / raw
    rows = [
        cost_row(m, env, wf, issue_key(rng), i * factor, o * factor, business_time(rng, start, end))
        for m, env, wf, i, o in drafts
    ]
    return sorted(rows, key=lambda r: r[-1])


def spike_rows(rng: random.Random, now: datetime, today: datetime) -> list[Row]:
    model = next(m for m in MODELS if m.name == SPIKE.model)
    start = max(now - SPIKE.window, today)
    drafts = [draw_tokens(rng, heavy=True) for _ in range(SPIKE.rows)]
    factor = SPIKE.usd / sum(price(model, i, o) for i, o in drafts)
    span = (now - start).total_seconds()
    return [
        cost_row(
            model,
            SPIKE.env,
            SPIKE.workflow_type,
            issue_key(rng),
            i * factor,
            o * factor,
            start + timedelta(seconds=span * (n + rng.random()) / SPIKE.rows),
        )
        for n, (i, o) in enumerate(drafts)
    ]


def draw_tokens(rng: random.Random, *, heavy: bool = False) -> tuple[Decimal, Decimal]:
    scale = 4.0 if heavy else 1.0
    tokens_in = min(200_000.0, rng.lognormvariate(9.6, 0.7) * scale)  # median ~15k
    tokens_out = min(32_000.0, rng.lognormvariate(7.6, 0.6) * scale)  # median ~2k
    return Decimal(int(tokens_in)), Decimal(int(tokens_out))


def price(model: Model, tokens_in: Decimal, tokens_out: Decimal) -> Decimal:
    return (tokens_in * model.usd_per_mtok_in + tokens_out * model.usd_per_mtok_out) / _MTOK


def cost_row(
    model: Model,
    env: str,
    workflow_type: str,
    issue: str,
    tokens_in: Decimal,
    tokens_out: Decimal,
    created_at: datetime,
) -> Row:
    t_in, t_out = max(1, int(tokens_in)), max(1, int(tokens_out))
    cost = price(model, Decimal(t_in), Decimal(t_out)).quantize(_CENT)
    return (model.name, env, workflow_type, issue, t_in, t_out, cost, created_at)


# -- workflow_executions ---------------------------------------------------------------------


def workflow_rows(rng: random.Random, now: datetime) -> list[Row]:
    quiet_until = now - ERROR_WINDOW - timedelta(minutes=1)  # background ends before the window
    background = [
        execution(rng, business_time(rng, now - timedelta(days=7), quiet_until))
        for _ in range(WORKFLOW_ROWS)
    ]
    background = sorted(map(_not_a_live_preview, background), key=lambda r: r[4])
    previews = preview_rows(now)
    return background + previews + burst_rows(rng, now) + running_rows(rng, now)


LIVE_PREVIEWS = frozenset(p.issue for previews in PREVIEWS.values() for p in previews)
FORBIDDEN_NAMESPACE = "namespaces is forbidden"
DEPLOY_LEAD = timedelta(seconds=20)  # preview-deploy starts this long before the namespace


def _not_a_live_preview(row: Row) -> Row:
    """A background preview-deploy run deployed a preview since deleted: PROJ-1xx becomes
    PROJ-2xx when a preview of that key is still present (its run is in preview_rows). One
    refused a namespace ran in prd, the only env whose RBAC refuses the hub that (seed_kube)."""
    workflow_type, status, issue, env, *rest = row
    if workflow_type != "preview-deploy":
        return row
    if issue in LIVE_PREVIEWS:
        issue = f"PROJ-{int(issue.removeprefix('PROJ-')) + 100}"
    if FORBIDDEN_NAMESPACE in (rest[-1] or ""):
        env = "prd"
    return (workflow_type, status, issue, env, *rest)


def preview_rows(now: datetime) -> list[Row]:
    """The runs that made the previews still present (within the week), and PROJ-300's."""
    rows: list[Row] = []
    for env, previews in PREVIEWS.items():
        for preview in previews:
            started = preview.created(now) - DEPLOY_LEAD
            finished = preview.created(now) + POD_AFTER_NAMESPACE + timedelta(seconds=4)
            if started >= now - timedelta(days=7):
                run = _run("preview-deploy", "completed", preview.issue, env, started, finished)
                rows.append(run)
    first, last = PREVIEW_300_LOG[0], PREVIEW_300_LOG[-1]
    started, finished = now - timedelta(seconds=first[0]), now - timedelta(seconds=last[0])
    rows.append(_run("preview-deploy", "failed", FAILED_PREVIEW, "prd", started, finished, last[3]))
    return sorted(rows, key=lambda r: r[4])


def _run(
    workflow_type: str,
    status: str,
    issue: str,
    env: str,
    started: datetime,
    finished: datetime,
    error: str | None = None,
) -> Row:
    duration_ms = int((finished - started).total_seconds() * 1000)
    return (workflow_type, status, issue, env, started, finished, duration_ms, error)


def execution(
    rng: random.Random,
    started: datetime,
    workflow_type: str | None = None,
    failed: bool | None = None,
    error: str | None = None,
) -> Row:
    types = [(name, share) for name, (share, _, _) in WORKFLOWS.items()]
    wf = workflow_type or pick(rng, types)
    _, median, errors = WORKFLOWS[wf]
    failed = rng.random() < FAILURE_RATE if failed is None else failed
    duration_ms = int(1000 * min(60.0, max(2.0, rng.lognormvariate(0, 0.45) * median)))
    finished = started + timedelta(milliseconds=duration_ms)
    message = (error or rng.choice(errors)) if failed else None
    return (
        wf,
        "failed" if failed else "completed",
        issue_key(rng),
        pick(rng, ENVS),
        started,
        finished,
        duration_ms,
        message,
    )


def burst_rows(rng: random.Random, now: datetime) -> list[Row]:
    """The last 15 minutes: every row starts and finishes inside the window."""
    rows: list[Row] = []
    for wf, count, failed in BURST:
        for n in range(count):
            # starts in [now-14m, now-1m]; lasts at most 60 s, so it has finished by now
            started = now - ERROR_WINDOW + timedelta(seconds=60 + rng.random() * 13 * 60)
            error = BURST_ERRORS[n % len(BURST_ERRORS)]
            rows.append(execution(rng, started, wf, n < failed, error))
    return sorted(rows, key=lambda r: r[4])


def running_rows(rng: random.Random, now: datetime) -> list[Row]:
    return [
        (wf, "running", issue_key(rng), "int", now - ago, None, None, None) for wf, ago in RUNNING
    ]


# -- summary ---------------------------------------------------------------------------------


def summarize(costs: Sequence[Row], runs: Sequence[Row], now: datetime) -> HubSeedSummary:
    today = local_midnight(now)
    yesterday = today - timedelta(days=1)
    hour_ago = now - timedelta(hours=1)
    window = [r for r in runs if r[1] != "running" and r[4] >= now - ERROR_WINDOW]
    spike = [r for r in costs if r[-1] >= hour_ago and (r[0], r[1]) == (SPIKE.model, SPIKE.env)]
    return HubSeedSummary(
        ai_cost_rows=len(costs),
        workflow_rows=len(runs),
        today_cost_usd=_total(r for r in costs if r[-1] >= today),
        yesterday_cost_usd=_total(r for r in costs if yesterday <= r[-1] < today),
        last_hour_cost_usd=_total(r for r in costs if r[-1] >= hour_ago),
        spike_model=SPIKE.model,
        spike_env=SPIKE.env,
        spike_cost_usd=_total(spike),
        window_finished=len(window),
        window_failed=sum(r[1] == "failed" for r in window),
        running=sum(r[1] == "running" for r in runs),
    )


def _total(rows: Any) -> Decimal:
    return sum((r[6] for r in rows), Decimal(0))

"""Issue 10 benchmark: the daily digest's build time and its PostgreSQL time.

    .venv/bin/python bench/digest.py        # a few minutes; prints Markdown, exits

1. Build time (`ops.daily_digest.build_daily_digest`, what the scheduled job awaits before it
   renders) over the seeded sandbox (sandbox.stack.SandboxStack), with every source delayed by
   500 ms: Redis, the hub's PostgreSQL and the hub API behind bench/status.py's delaying TCP
   proxies, the fake clusters delaying every request themselves. Each source is also timed
   alone; the goal is the digest within 1.3× the slowest source, not the sum.
2. PostgreSQL time of the digest's two hub queries (`ai_costs` for yesterday and the 7 days
   before, `workflow_executions` failed in 24 h) over 1,000,000 rows each, with the timestamp
   indexes a real hub has (hub_schema.sql) and without them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from status import LOOPBACK, DelayProxy, host_port

from ops.backends.container import Backends, BackendUrls, build_backends
from ops.backends.db import Database
from ops.config import Config
from ops.daily_digest import (
    _ai_cost,
    _failed_executions,
    _queue_failures,
    build_daily_digest,
)
from ops.previews import list_previews
from sandbox.seed_hub import hub_schema_sql
from sandbox.stack import ACCOUNTS, QUEUES, SandboxStack

DELAY_S = 0.5
RUNS = 5
TARGET_RATIO = 1.3
BIG_ROWS = 1_000_000
TZ = "Asia/Seoul"

# bench/approvals.py would shadow the approvals package (the sandbox's config loader imports it)
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]


def bench_config(stack: SandboxStack, hub_api_url: str) -> Config:
    return Config.model_validate(
        {
            "environments": {
                env: {
                    "account_id": account,
                    "role_arn": None
                    if env == "int"
                    else f"arn:aws:iam::{account}:role/rtb-hub-deployer",
                    "kube_server": stack.kube[env].url,
                    "hub_api_url": f"{hub_api_url}/{env}",
                }
                for env, account in ACCOUNTS.items()
            },
            "hub": {"queues": list(QUEUES)},
            "timeouts": {"backend_seconds": 5.0, "fanout_seconds": 8.0},
            "aws": {"endpoint_url": stack.moto.url},
        }
    )


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def median_of(work: Callable[[], Awaitable[Any]], runs: int = RUNS) -> float:
    return statistics.median([await timed(work) for _ in range(runs)])


def sources(backends: Backends) -> dict[str, Callable[[], Awaitable[Any]]]:
    now = datetime.now(UTC)
    found: dict[str, Callable[[], Awaitable[Any]]] = {
        "Redis (BullMQ failed jobs)": lambda: _queue_failures(backends, now - timedelta(days=1)),
        "PostgreSQL workflow_executions": lambda: _failed_executions(
            backends.hub_db, now - timedelta(days=1), now
        ),
        "PostgreSQL ai_costs": lambda: _ai_cost(backends.hub_db, now, TZ),
    }
    for env in backends.config.environments:
        found[f"Kubernetes {env} (previews)"] = lambda e=env: list_previews(backends, (e,), now=now)
        found[f"hub API {env}"] = lambda e=env: backends.hub_api.list_previews(e)
    return found


def set_delay(stack: SandboxStack, proxies: list[DelayProxy], delay: float) -> None:
    for proxy in proxies:
        proxy.delay = delay
    for server in stack.kube.values():
        server.clear_faults()
        if delay:
            server.inject_fault(method="GET", status=None, delay=delay, count=None)


async def build_rows(stack: SandboxStack) -> list[str]:
    hub_url, redis_url = stack.environ["HUB_DATABASE_URL"], stack.environ["REDIS_URL"]
    hub_api_host = host_port(stack.hub_api.url)
    proxies = {
        "redis": DelayProxy(host_port(redis_url), 0.0),
        "hub_db": DelayProxy(host_port(hub_url), 0.0),
        "hub_api": DelayProxy(hub_api_host, 0.0),
    }
    for proxy in proxies.values():
        await proxy.start()
    config = bench_config(stack, f"http://{LOOPBACK}:{proxies['hub_api'].port}")
    urls = BackendUrls(
        stack.environ["DATABASE_URL"],
        proxies["hub_db"].url_for(hub_url),
        proxies["redis"].url_for(redis_url),
    )
    backends = build_backends(config, urls, retries=0)
    await backends.open()
    rows = []
    try:
        for _ in range(2):  # warm-up: clients, connections through the proxies
            await build_daily_digest(backends, datetime.now(UTC))
        plain = await median_of(lambda: build_daily_digest(backends, datetime.now(UTC)))
        rows.append(f"| no added delay | {plain * 1000:,.0f} | – | – | – |")
        set_delay(stack, list(proxies.values()), DELAY_S)
        await build_daily_digest(backends, datetime.now(UTC))  # reconnect at the new pace
        alone = {name: await median_of(work, 3) for name, work in sources(backends).items()}
        slowest = max(alone, key=lambda n: alone[n])
        digest = await median_of(lambda: build_daily_digest(backends, datetime.now(UTC)))
        ratio = digest / alone[slowest]
        verdict = "yes" if ratio <= TARGET_RATIO else "**NO**"
        rows.append(
            f"| every source +{DELAY_S * 1000:.0f} ms | {digest * 1000:,.0f} | "
            f"{slowest}: {alone[slowest] * 1000:,.0f} ({ratio:.2f}×) | "
            f"{sum(alone.values()) * 1000:,.0f} | {verdict} |"
        )
        if os.environ.get("BENCH_VERBOSE"):
            print({k: round(v * 1000) for k, v in alone.items()}, file=sys.stderr)
    finally:
        set_delay(stack, list(proxies.values()), 0.0)
        await asyncio.wait_for(backends.close(), 15)
        for proxy in proxies.values():
            await proxy.stop()
    return rows


# -- PostgreSQL over 1,000,000 rows each ------------------------------------------------------

FILL_SQL = f"""
INSERT INTO ai_costs (model, env, workflow_type, total_cost_usd, created_at)
SELECT (ARRAY['claude-sonnet-4','claude-haiku-4','gpt-4.1'])[1 + g % 3],
       (ARRAY['int','stg','prd'])[1 + g % 3], 'jira-auto-dev', (g % 1000) / 10000.0,
       now() - (g * interval '1 second') * 90 * 86400 / {BIG_ROWS}
FROM generate_series(1, {BIG_ROWS}) g;
INSERT INTO workflow_executions (workflow_type, status, env, started_at, duration_ms)
SELECT (ARRAY['jira-auto-dev','pr-review','preview-deploy'])[1 + g % 3],
       CASE WHEN g % 30 = 0 THEN 'failed' ELSE 'completed' END, 'int',
       now() - (g * interval '1 second') * 90 * 86400 / {BIG_ROWS}, 1000
FROM generate_series(1, {BIG_ROWS}) g;
ANALYZE ai_costs; ANALYZE workflow_executions;
"""
DROP_INDEXES = """
DO $$ DECLARE name text; BEGIN
  FOR name IN SELECT indexname FROM pg_indexes WHERE tablename IN ('ai_costs',
      'workflow_executions') AND indexname NOT LIKE '%pkey' LOOP
    EXECUTE format('DROP INDEX %I', name);
  END LOOP;
END $$;
ANALYZE ai_costs; ANALYZE workflow_executions;
"""
INDEXES_SQL = (
    "SELECT indexname FROM pg_indexes WHERE tablename IN ('ai_costs', 'workflow_executions')"
)


async def big_rows(stack: SandboxStack) -> list[str]:
    # the server's superuser: the bot's own roles may not create databases
    big_url = stack.postgres.create_database("digest_bench")
    async with await psycopg.AsyncConnection.connect(big_url, autocommit=True) as conn:
        await conn.execute(hub_schema_sql())
        filled = time.perf_counter()
        await conn.execute(FILL_SQL)
        filled = time.perf_counter() - filled
        indexes = [r[0] for r in await (await conn.execute(INDEXES_SQL)).fetchall()]
    db = Database("bench", big_url, timeout=60)
    await db.open()
    rows = []
    try:
        for label in ("with the timestamp indexes", "without them"):
            now = datetime.now(UTC)
            await _ai_cost(db, now, TZ)  # warm the cache
            costs = await median_of(lambda n=now: _ai_cost(db, n, TZ))
            since = now - timedelta(days=1)
            runs = await median_of(lambda n=now, s=since: _failed_executions(db, s, n))
            rows.append(f"| {label} | {costs * 1000:,.1f} | {runs * 1000:,.1f} |")
            if label.startswith("with"):
                async with await psycopg.AsyncConnection.connect(big_url, autocommit=True) as c:
                    await c.execute(DROP_INDEXES)
    finally:
        await db.close()
    rows.append(f"| (filling 2 × {BIG_ROWS:,} rows took {filled:.0f} s; indexes: "
                f"{', '.join(sorted(indexes))}) | | |")  # fmt: skip
    return rows


async def main() -> int:
    logging.disable(logging.WARNING)
    started = time.monotonic()
    with SandboxStack() as stack:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            os.environ[name] = stack.environ[name]
        build = await build_rows(stack)
        big = await big_rows(stack)
    print(f"### Daily digest build ({RUNS} runs after warm-up, median)\n")
    print("| scenario | digest ms | slowest source alone, ms | sources one after another, ms "
          "| ≤ 1.3× slowest |")  # fmt: skip
    print("|---|---:|---|---:|---|")
    print("\n".join(build))
    print(f"\n### PostgreSQL time of the digest's hub queries, {BIG_ROWS:,} rows each (median)\n")
    print("| indexes | ai_costs (yesterday + 7 days) ms | workflow_executions failed 24 h ms |")
    print("|---|---:|---:|")
    print("\n".join(big))
    print(
        f"\n{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"bench ran {time.monotonic() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

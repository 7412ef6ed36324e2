"""Issue 10 benchmark, the weekly digest: build time with every source slowed, and what the
weekly work leaves in a worker's memory.

    .venv/bin/python bench/digest_weekly.py        # about a minute; prints Markdown, exits

The sandbox stack (sandbox.stack.SandboxStack, seeded with its week) with every weekly source
500 ms slower per request: Cost Explorer, CloudTrail and Logs Insights through the wire-level
fake AWS (`FakeAws.inject_fault(error=None, delay=0.5)`), the clusters delaying every request
themselves, PostgreSQL (the bot's samples, the hub's `ai_costs`) behind bench/status.py's
DelayProxy (every client→server chunk held 500 ms, so each query costs at least that).

1. Build time: each source's collector alone (its own requests may be sequential: CloudTrail
   pages, Logs Insights polls), then `build_weekly` (all of them at once), median of RUNS;
   goal: the build ≤ 1.3 × the slowest source, not their sum.
2. Memory: a fresh process that builds the backends and answers a /rtb status (the worker at
   idle), then runs the sampler 300 times, builds and renders the digest and draws the chart
   (child process), then builds and renders the daily digest; PSS before and after, and
   whether matplotlib was ever imported. Goal: at most +5 MB.

`--memory-only` runs part 2 alone (a few seconds more than the sandbox's start).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops.backends.container import Backends, BackendUrls, build_backends
from ops.config import Config
from ops.weekly.assume_role import assume_role_audit
from ops.weekly.chart import ai_cost_per_day
from ops.weekly.digest import build_weekly
from ops.weekly.fargate import fargate_week
from ops.weekly.scaling import scaling_history
from ops.weekly.ttl import ttl_failures
from ops.weekly.window import Week
from sandbox.stack import SandboxStack

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
from status import DelayProxy, host_port  # noqa: E402  (bench/status.py, a sibling script)

# bench/approvals.py would shadow the approvals package that handlers import
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]

DELAY_S = 0.5
RUNS = 5
TARGET_RATIO = 1.3
MEMORY_GOAL_MB = 5.0
SAMPLER_RUNS = 300
AWS_OPERATIONS = ("GetCostAndUsage", "LookupEvents", "StartQuery")


def bench_config(stack: SandboxStack) -> Config:
    raw = stack.config_data()
    assert stack.fake_aws is not None
    raw["aws"]["service_endpoints"]["ce"] = stack.fake_aws.url
    raw["timeouts"] = {"backend_seconds": 10.0, "fanout_seconds": 20.0}
    raw["weekly"] = {"source_seconds": 60.0}
    return Config.model_validate(raw)


def slow_down(stack: SandboxStack) -> None:
    assert stack.fake_aws is not None
    for operation in AWS_OPERATIONS:
        stack.fake_aws.inject_fault(operation, error=None, delay=DELAY_S, count=None)
    for server in stack.kube.values():
        server.inject_fault("GET", ".*", status=None, delay=DELAY_S, count=None)


async def timed(make: Callable[[], Awaitable[Any]], runs: int = RUNS) -> list[float]:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        await make()
        spent.append(time.perf_counter() - started)
    return spent


async def build_times(stack: SandboxStack, proxy: DelayProxy) -> list[tuple[str, list[float]]]:
    env = stack.environ
    urls = BackendUrls(
        proxy.url_for(env["DATABASE_URL"]), proxy.url_for(env["HUB_DATABASE_URL"]), env["REDIS_URL"]
    )
    backends = build_backends(bench_config(stack), urls, retries=0)
    await backends.open()
    try:
        assert stack.now is not None
        now = stack.now
        week = Week.before(now, backends.config.timezone)
        proxy.delay = 0.0
        await build_weekly(backends, now)  # warm: sessions, clients, pool connections
        proxy.delay = DELAY_S
        slow_down(stack)
        sources: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("Cost Explorer (3 accounts)", lambda: fargate_week(backends, now)),
            ("samples (bot PostgreSQL)", lambda: scaling_history(backends, week)),
            ("CloudTrail (2 accounts × 2 weeks)", lambda: assume_role_audit(backends, week)),
            ("Logs Insights + clusters", lambda: ttl_failures(backends, week, now)),
            ("AI cost per day (hub PostgreSQL)", lambda: ai_cost_per_day(backends, week)),
        ]
        rows = [(name, await timed(call)) for name, call in sources]
        rows.append(
            ("build_weekly (all at once)", await timed(lambda: build_weekly(backends, now)))
        )
        return rows
    finally:
        await backends.close()


# -- memory (a fresh process) ------------------------------------------------------------------


def pss_mb() -> float:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def memory_child() -> dict[str, Any]:
    from handlers.render.chart import chart_spec, draw_chart
    from handlers.render.daily_digest import render_daily_digest
    from handlers.render.hub import render_status
    from handlers.render.weekly import render_weekly
    from ops import cloudtrail, logs
    from ops.costs import cost_report
    from ops.daily_digest import build_daily_digest
    from ops.status import status
    from ops.weekly.sampler import sample_engine

    config = Config.model_validate(json.loads(os.environ["BENCH_CONFIG"]))
    env = os.environ
    backends: Backends = build_backends(
        config, BackendUrls(env["DATABASE_URL"], env["HUB_DATABASE_URL"], env["REDIS_URL"])
    )
    await backends.open()
    try:
        for _ in range(3):
            render_status(await status(backends), config.timezone)
        gc.collect()
        before = pss_mb()
        first = datetime(2020, 1, 1, tzinfo=UTC)  # minutes long past: each one a new claim
        await sample_engine(backends, "bench", first)
        gc.collect()
        sampled_once = pss_mb()
        for n in range(1, SAMPLER_RUNS):
            await sample_engine(backends, "bench", first + timedelta(minutes=n))
        gc.collect()
        sampled = pss_mb()
        await cost_report(backends, timedelta(hours=24))  # what a day of commands loads
        await cloudtrail.lookup(backends, ["stg", "prd"], event="AssumeRole", since=timedelta(1))
        await logs.search(backends, "workflow-engine", logs.LogFilters("cleanupExpired"))
        gc.collect()
        commands = pss_mb()
        digest = await build_weekly(backends)
        render_weekly(digest)
        png = await draw_chart(chart_spec(digest, config.thresholds.ai_cost_daily_usd))
        gc.collect()
        built = pss_mb()
        for _ in range(3):
            render_weekly(await build_weekly(backends))
        gc.collect()
        rebuilt = pss_mb()
        for _ in range(3):
            daily = await build_daily_digest(backends, datetime.now(UTC))
            render_daily_digest(daily, message_key="bench", ticks={})
        gc.collect()
        return {
            "before": before,
            "sampled_once": sampled_once,
            "sampled": sampled,
            "commands": commands,
            "built": built,
            "rebuilt": rebuilt,
            "daily": pss_mb(),
            "png": len(png),
            "matplotlib": "matplotlib" in sys.modules,
        }
    finally:
        await backends.close()


def memory(stack: SandboxStack) -> dict[str, Any]:
    config = bench_config(stack).model_dump(mode="json")
    env = {**os.environ, **stack.environ, "BENCH_CONFIG": json.dumps(config)}
    done = subprocess.run(
        [sys.executable, __file__, "--memory-child"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the memory child failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- report ------------------------------------------------------------------------------------


def report(rows: list[tuple[str, list[float]]], mem: dict[str, Any]) -> str:
    lines = [
        f"Weekly digest, every source +{DELAY_S * 1000:.0f} ms a request "
        f"(median of {RUNS}; {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f})",
        "",
        "| what | median | max |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {statistics.median(t):.2f} s | {max(t):.2f} s |" for name, t in rows]
    slowest = max(statistics.median(t) for _, t in rows[:-1])
    build = statistics.median(rows[-1][1])
    total = sum(statistics.median(t) for _, t in rows[:-1])
    ratio = build / slowest
    verdict = "pass" if ratio <= TARGET_RATIO else "FAIL"
    lines += [
        "",
        f"build {build:.2f} s = {ratio:.2f}× the slowest source ({slowest:.2f} s); the sum would "
        f"be {total:.2f} s. Goal ≤ {TARGET_RATIO}×: {verdict}",
        "",
        memory_report(mem),
    ]
    return "\n".join(lines)


def memory_report(mem: dict[str, Any]) -> str:
    lines = [
        "| worker memory (PSS, fresh process) | MB | change |",
        "|---|---|---|",
        f"| idle, after three /rtb status | {mem['before']:.1f} | |",
        f"| after the sampler ran once | {mem['sampled_once']:.1f} | "
        f"{mem['sampled_once'] - mem['before']:+.1f} |",
        f"| after the sampler ran {SAMPLER_RUNS} times | {mem['sampled']:.1f} | "
        f"{mem['sampled'] - mem['before']:+.1f} (goal ≤ +{MEMORY_GOAL_MB:g}: "
        + ("pass" if mem["sampled"] - mem["before"] <= MEMORY_GOAL_MB else "FAIL")
        + ") |",
        f"| after /rtb costs, trail, search (their AWS clients) | {mem['commands']:.1f} | "
        f"{mem['commands'] - mem['sampled']:+.1f} |",
        f"| after a digest built, rendered, charted (PNG {mem['png']:,} bytes, child) | "
        f"{mem['built']:.1f} | {mem['built'] - mem['commands']:+.1f} |",
        f"| after three more digests | {mem['rebuilt']:.1f} | "
        f"{mem['rebuilt'] - mem['built']:+.1f} |",
        f"| after three daily digests built and rendered | {mem['daily']:.1f} | "
        f"{mem['daily'] - mem['rebuilt']:+.1f} |",
        f"| **the digests' share: weekly ×4 + daily ×3** (vs after the commands) | "
        f"{mem['daily']:.1f} | {mem['daily'] - mem['commands']:+.1f} (goal ≤ "
        f"+{MEMORY_GOAL_MB:g}: "
        + ("pass" if mem["daily"] - mem["commands"] <= MEMORY_GOAL_MB else "FAIL")
        + ") |",
        "",
        f"matplotlib imported in the worker: {mem['matplotlib']}",
    ]
    return "\n".join(lines)


async def timings(stack: SandboxStack) -> list[tuple[str, list[float]]]:
    upstream = host_port(stack.environ["DATABASE_URL"])
    proxy = DelayProxy(upstream, 0.0)
    await proxy.start()
    try:
        return await build_times(stack, proxy)
    finally:
        await proxy.stop()


def main() -> None:
    if "--memory-child" in sys.argv:
        print(json.dumps(asyncio.run(memory_child())))
        return
    with SandboxStack(queue_traffic=False) as stack:
        os.environ.update(stack.environ)
        mem = memory(stack)
        if "--memory-only" in sys.argv:
            print(memory_report(mem))
            return
        rows = asyncio.run(timings(stack))
    print(report(rows, mem))


if __name__ == "__main__":
    main()

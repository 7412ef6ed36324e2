"""Issue 12 benchmark: the §3.1 evaluator's pass time with each source delayed, and the
worker's memory with the evaluator and the WaitingJobs publisher running.

    .venv/bin/python bench/thresholds.py    # about a minute; prints Markdown, exits

1. Pass time: `handlers.threshold_jobs.evaluate` (what the scheduled job awaits: the status
   fan-out, the states read and written in the bot's PostgreSQL, the outbox writes) over the
   seeded sandbox, median of `RUNS` passes after a warm-up; then with one source at a time
   delayed by `DELAY_S` (bench/status.py's delaying TCP proxies in front of Redis, the hub's
   and the bot's PostgreSQL and a small CloudWatch; the fake clusters delay every request
   themselves), then every source at once. The status fan-out runs its sources concurrently,
   so one slow source should cost about its delay, not the sum. The bot's own PostgreSQL is
   read and written one after another (load, enqueue, save): its row shows the round trips.
2. Memory: this process's VmRSS after the backends are open and one `/rtb status` was read
   (what an idle worker has already done), then after `MEMORY_PASSES` evaluator passes and as
   many WaitingJobs publications (PutMetricData to moto) back to back — an hour and a half of
   both jobs' work. The growth is what the two jobs add to a worker.
"""

from __future__ import annotations

import asyncio
import importlib.util
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

# This folder leaves sys.path: bench/approvals.py would shadow the `approvals` package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from approvals.gate import Gate  # noqa: E402
from approvals.roles import RoleResolver  # noqa: E402
from bot.app import slack_client  # noqa: E402
from bot.settings import Secrets  # noqa: E402
from handlers.approval_cards import SlackApprovalNotifier, usergroup_members  # noqa: E402
from handlers.context import Deps, TaskTracker  # noqa: E402
from handlers.threshold_jobs import evaluate  # noqa: E402
from ops.backends.container import Backends, BackendUrls, build_backends  # noqa: E402
from ops.backends.db import Database, migrate  # noqa: E402
from ops.config import Config  # noqa: E402
from ops.outbox import Outbox  # noqa: E402
from ops.status import status  # noqa: E402
from ops.waiting_metric import publish_waiting_jobs  # noqa: E402
from sandbox.stack import SandboxStack  # noqa: E402


def _status_bench() -> Any:
    """bench/status.py's proxies and CloudWatch, loaded by path (see HERE)."""
    spec = importlib.util.spec_from_file_location("status_bench", HERE / "status.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_STATUS = _status_bench()
LOOPBACK: str = _STATUS.LOOPBACK
DelayProxy = _STATUS.DelayProxy
bench_config = _STATUS.bench_config
host_port = _STATUS.host_port
start_cloudwatch = _STATUS.start_cloudwatch
DELAY_S = 0.5
RUNS = 5
MEMORY_PASSES = 90
SOURCES = ("Redis", "PostgreSQL (hub)", "PostgreSQL (bot)", "AWS int CloudWatch", "Kubernetes")


class Passes:
    """Evaluator passes at strictly increasing times (a pass older than a saved one is a no-op)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.outbox = Outbox(deps.backends.db)
        self.at = datetime.now(UTC)

    async def run(self) -> Any:
        self.at = max(self.at + timedelta(microseconds=1), datetime.now(UTC))
        return await evaluate(self.deps, self.outbox, self.at, "bench")


async def median_ms(work: Callable[[], Awaitable[Any]], runs: int = RUNS) -> float:
    await work()  # warm-up at this pace (connections re-established through the proxies)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def delay(stack: SandboxStack, proxies: dict[str, Any], names: tuple[str, ...]) -> None:
    for name, proxy in proxies.items():
        proxy.delay = DELAY_S if name in names else 0.0
    for server in stack.kube.values():
        server.clear_faults()
        if "Kubernetes" in names:
            server.inject_fault(method="GET", status=None, delay=DELAY_S, count=None)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status_file:
        for line in status_file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def pass_rows(stack: SandboxStack, passes: Passes, proxies: dict[str, Any]) -> list[str]:
    rows = []
    base = await median_ms(passes.run)
    rows.append(f"| no added delay | {base:,.0f} | – |")
    for name in SOURCES:
        delay(stack, proxies, (name,))
        took = await median_ms(passes.run)
        rows.append(f"| {name} +{DELAY_S * 1000:.0f} ms | {took:,.0f} | {took - base:+,.0f} |")
    delay(stack, proxies, SOURCES)
    took = await median_ms(passes.run)
    rows.append(f"| every source +{DELAY_S * 1000:.0f} ms | {took:,.0f} | {took - base:+,.0f} |")
    delay(stack, proxies, ())
    return rows


async def memory_row(backends: Backends, passes: Passes) -> str:
    await status(backends)
    idle = rss_mb()
    for _ in range(MEMORY_PASSES):
        await passes.run()
        await publish_waiting_jobs(backends, datetime.now(UTC))
    busy = rss_mb()
    return f"| {idle:,.1f} | {busy:,.1f} | {busy - idle:+,.1f} |"


def bench_gate(config: Config, backends: Backends, environ: dict[str, str]) -> Gate:
    """The gate as bot.app builds it (the threshold passes never ask it anything)."""
    client = slack_client("xoxb-bench", str(config.slack_api_url))
    roles = RoleResolver(config.roles, usergroup_members(client))
    keys = Secrets.from_environ(environ).signing_keys()
    return Gate(config, backends, roles, SlackApprovalNotifier(client, config, roles), keys)


async def main() -> int:
    logging.disable(logging.WARNING)
    started = time.monotonic()
    with SandboxStack(queue_traffic=False) as stack:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            os.environ[name] = stack.environ[name]
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        owner = Database("bench owner", stack.environ["DATABASE_MIGRATION_URL"], max_size=1)
        await owner.open()
        await migrate(owner)
        await owner.close()
        runner, cw_port = await start_cloudwatch()
        urls = {
            "Redis": stack.environ["REDIS_URL"],
            "PostgreSQL (hub)": stack.environ["HUB_DATABASE_URL"],
            "PostgreSQL (bot)": stack.environ["DATABASE_URL"],
        }
        proxies = {name: DelayProxy(host_port(url), 0.0) for name, url in urls.items()}
        proxies["AWS int CloudWatch"] = DelayProxy((LOOPBACK, cw_port), 0.0)
        for proxy in proxies.values():
            await proxy.start()
        cloudwatch = f"http://{LOOPBACK}:{proxies['AWS int CloudWatch'].port}"
        config = bench_config(stack, stack.moto.url, cloudwatch)
        through = {name: proxies[name].url_for(url) for name, url in urls.items()}
        backends = build_backends(
            config,
            BackendUrls(through["PostgreSQL (bot)"], through["PostgreSQL (hub)"], through["Redis"]),
            retries=0,
        )
        await backends.open()
        passes = Passes(
            Deps(
                config,
                backends,
                TaskTracker(),
                "bench",
                bench_gate(config, backends, stack.environ),
            )
        )
        try:
            memory = await memory_row(backends, passes)
            rows = await pass_rows(stack, passes, proxies)
        finally:
            await asyncio.wait_for(backends.close(), 15)
            for proxy in proxies.values():
                await proxy.stop()
            await runner.cleanup()
    print_tables(rows, memory, time.monotonic() - started)
    return 0


def print_tables(rows: list[str], memory: str, elapsed: float) -> None:
    print(f"### Threshold evaluator pass (median of {RUNS} after a warm-up)\n")
    print("| scenario | pass ms | vs no delay |")
    print("|---|---:|---:|")
    print("\n".join(rows))
    print(f"\n### Worker memory: {MEMORY_PASSES} evaluator passes + as many publications\n")
    print("| VmRSS after one /rtb status, MB | after the passes, MB | growth |")
    print("|---:|---:|---:|")
    print(memory)
    print(
        f"\n{os.cpu_count()} CPUs, Python {platform.python_version()}, load "
        f"{os.getloadavg()[0]:.1f}, bench ran {elapsed:.0f} s."
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

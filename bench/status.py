"""Issue 3 benchmark: `/rtb status` (ops.status.status) with slow and hung backends.

    .venv/bin/python bench/status.py        # about 45 s; prints Markdown, exits

The sandbox stack (sandbox.stack.SandboxStack: Redis, PostgreSQL, moto, three fake Kubernetes
API servers, all seeded) plus a small CloudWatch that answers GetMetricData p99 (moto cannot).
Redis, the hub PostgreSQL and CloudWatch are reached through TCP proxies started here that
hold every client→server chunk for `DELAY_S` before forwarding it, so each request round trip
costs at least that much; the fake Kubernetes servers delay every request themselves
(`FakeKubeServer.inject_fault(delay=...)`). A "hung" backend is a proxy that stops forwarding.

Measured: the op-level wall time of `status(backends)` (what the handler awaits before
rendering), median and max of `RUNS` runs after a warm-up, against the 500 ms floor; the same
sources awaited one after another, for comparison; then one backend hung at a time, which must
cost that backend's timeout (`timeouts.backend_seconds`) and be named in the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from ops.backends.container import Backends, BackendUrls, build_backends
from ops.config import Config
from ops.costs import ai_cost_today
from ops.queues import all_queue_counts, bull_queues
from ops.status import (
    count_preview_namespaces,
    error_rate,
    status,
    webhook_p99,
)
from sandbox.stack import ACCOUNTS, QUEUES, SandboxStack

DELAY_S = 0.5
BACKEND_TIMEOUT_S = 2.0
RUNS = 7
TARGET_RATIO = 1.3
LOOPBACK = "127.0.0.1"


# -- a TCP proxy that delays (or swallows) what clients send ----------------------------------


class DelayProxy:
    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def hung(self) -> bool:
        return not self._flowing.is_set()

    @hung.setter
    def hung(self, value: bool) -> None:
        if value:
            self._flowing.clear()
        else:
            self._flowing.set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        up_writer = None
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            pumps = [
                asyncio.create_task(self._pump(reader, up_writer, delayed=True)),
                asyncio.create_task(self._pump(up_reader, writer, delayed=False)),
            ]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    w.close()
            self._connections.discard(task)

    async def _pump(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, delayed: bool
    ) -> None:
        """Forward chunks in order; client→server ones `self.delay` after they arrived
        (read when they arrive, so a delay set later applies to open connections too)."""
        pending: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def read() -> None:
            with contextlib.suppress(OSError):
                while chunk := await src.read(65536):
                    await pending.put((time.monotonic() + self._delay(delayed), chunk))
            await pending.put((time.monotonic() + self._delay(delayed), b""))

        reader = asyncio.create_task(read())
        try:
            while True:
                due, chunk = await pending.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                await self._flowing.wait()  # a hung backend: nothing goes through
                if not chunk:
                    return
                dst.write(chunk)
                await dst.drain()
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    def _delay(self, delayed: bool) -> float:
        return self.delay if delayed else 0.0

    def url_for(self, url: str) -> str:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)
        netloc[-1] = f"{LOOPBACK}:{self.port}"
        return urlunsplit(parts._replace(netloc="@".join(netloc)))


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or LOOPBACK, int(parts.port or 0)


# -- CloudWatch GetMetricData p99 (AWS JSON 1.0), which moto 5.2 cannot answer -----------------


async def start_cloudwatch() -> tuple[web.AppRunner, int]:
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        now = datetime.now(UTC)
        result = {
            "Id": "p99",
            "Label": "Latency",
            "Timestamps": [(now - timedelta(minutes=5)).timestamp()],
            "Values": [4210.0],
            "StatusCode": "Complete",
        }
        return web.json_response(
            {"MetricDataResults": [result], "Messages": []},
            content_type="application/x-amz-json-1.0",
        )

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


# -- the bench --------------------------------------------------------------------------------


def bench_config(stack: SandboxStack, aws_url: str, cloudwatch_url: str) -> Config:
    return Config.model_validate(
        {
            "environments": {
                env: {
                    "account_id": account,
                    # int is the bot's own account (no AssumeRole), as in production
                    "role_arn": None
                    if env == "int"
                    else f"arn:aws:iam::{account}:role/rtb-hub-deployer",
                    "kube_server": stack.kube[env].url,
                }
                for env, account in ACCOUNTS.items()
            },
            "hub": {"queues": list(QUEUES)},
            "timeouts": {"backend_seconds": BACKEND_TIMEOUT_S, "fanout_seconds": 3.0},
            "aws": {"endpoint_url": aws_url, "service_endpoints": {"cloudwatch": cloudwatch_url}},
        }
    )


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


def failed_parts(report: Any) -> list[str]:
    return sorted({f.backend for i in report.indicators for f in i.failures})


async def sequential(backends: Backends) -> dict[str, float]:
    """The same sources awaited one after another (what a naive handler would do)."""
    config = backends.config
    steps: dict[str, Callable[[], Awaitable[Any]]] = {
        "CloudWatch": lambda: webhook_p99(backends),
        "Redis": lambda: all_queue_counts(bull_queues(backends), config.hub.queues),
        "error rate": lambda: error_rate(backends.hub_db, timedelta(minutes=15)),
        "cost today": lambda: ai_cost_today(backends.hub_db, config.timezone),
    }
    for env in config.environments:
        steps[f"previews {env}"] = functools.partial(count_preview_namespaces, backends, env)
    return {name: (await timed(step))[0] for name, step in steps.items()}


async def measure(backends: Backends, runs: int) -> tuple[list[float], Any]:
    for _ in range(2):  # warm-up: connections through the proxies, boto3 clients
        await status(backends)
    times: list[float] = []
    report = None
    for _ in range(runs):
        elapsed, report = await timed(lambda: status(backends))
        times.append(elapsed)
    return times, report


def set_delay(stack: SandboxStack, proxies: dict[str, DelayProxy], delay: float) -> None:
    for proxy in proxies.values():
        proxy.delay = delay
    for server in stack.kube.values():
        server.clear_faults()
        if delay:
            server.inject_fault(method="GET", status=None, delay=delay, count=None)


async def main() -> int:
    logging.disable(logging.WARNING)
    started = time.monotonic()
    with SandboxStack() as stack:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            os.environ[name] = stack.environ[name]
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        runner, cw_port = await start_cloudwatch()
        hub_url, redis_url = stack.environ["HUB_DATABASE_URL"], stack.environ["REDIS_URL"]
        proxies = {
            "Redis": DelayProxy(host_port(redis_url), 0.0),
            "PostgreSQL (hub)": DelayProxy(host_port(hub_url), 0.0),
            "AWS int CloudWatch": DelayProxy((LOOPBACK, cw_port), 0.0),
        }
        for proxy in proxies.values():
            await proxy.start()
        cw = f"http://{LOOPBACK}:{proxies['AWS int CloudWatch'].port}"
        config = bench_config(stack, stack.moto.url, cw)
        urls = BackendUrls(
            stack.environ["DATABASE_URL"],
            proxies["PostgreSQL (hub)"].url_for(hub_url),
            proxies["Redis"].url_for(redis_url),
        )
        rows: list[str] = []
        try:
            rows += await run_scenarios(stack, config, urls, proxies)
        finally:
            for proxy in proxies.values():
                await proxy.stop()
            await runner.cleanup()
    print_table(rows, time.monotonic() - started)
    return 0


async def run_scenarios(
    stack: SandboxStack, config: Config, urls: BackendUrls, proxies: dict[str, DelayProxy]
) -> list[str]:
    """One long-lived set of clients, as in the bot; a warm-up before every measurement."""
    rows = []
    backends = build_backends(config, urls, retries=0)
    await backends.open()
    try:
        times, report = await measure(backends, RUNS)
        rows.append(row("no added delay", times, None, report))
        set_delay(stack, proxies, DELAY_S)
        times, report = await measure(backends, RUNS)
        summed = [sum((await sequential(backends)).values()) for _ in range(3)]
        if os.environ.get("BENCH_VERBOSE"):
            print(await sequential(backends), file=sys.stderr)
        rows.append(row(f"every backend +{DELAY_S * 1000:.0f} ms", times, summed, report))
        for name in (*proxies, "Kubernetes prd"):
            rows.append(await hung(stack, backends, proxies, name))
    finally:
        set_delay(stack, proxies, 0.0)
        await asyncio.wait_for(backends.close(), 15)
    return rows


async def hung(
    stack: SandboxStack, backends: Backends, proxies: dict[str, DelayProxy], name: str
) -> str:
    """One backend never answers; the others keep their delay.

    The clients' connections are re-established first at full speed: a connection cancelled
    by the previous scenario's timeout cannot be rebuilt within 2 s at 500 ms a round trip
    (redis-py needs 3 round trips before the first command, PostgreSQL 2).
    """
    set_delay(stack, proxies, 0.0)
    await measure(backends, 0)
    set_delay(stack, proxies, DELAY_S)
    await measure(backends, 0)
    if name in proxies:
        proxies[name].hung = True
    else:
        stack.kube["prd"].clear_faults()
        stack.kube["prd"].inject_fault(method="GET", status=None, delay=30, count=None)
    try:
        elapsed, report = await timed(lambda: status(backends))
    finally:
        if name in proxies:
            proxies[name].hung = False
        stack.kube["prd"].clear_faults()
    named = name in failed_parts(report)
    verdict = "yes" if named and elapsed < BACKEND_TIMEOUT_S * 1.2 else "**NO**"
    return (
        f"| {name} hung (others +{DELAY_S * 1000:.0f} ms) | {elapsed * 1000:,.0f} | – | "
        f"{elapsed / BACKEND_TIMEOUT_S:.2f}× timeout | – | {', '.join(failed_parts(report))} | "
        f"{verdict} |"
    )


def row(label: str, times: list[float], summed: list[float] | None, report: Any) -> str:
    median, worst = statistics.median(times), max(times)
    ratio = f"{median / DELAY_S:.2f}× 500 ms" if summed is not None else "–"
    ok = "yes" if summed is None or median < TARGET_RATIO * DELAY_S else "**NO**"
    seq = f"{statistics.median(summed) * 1000:,.0f}" if summed else "–"
    failed = ", ".join(failed_parts(report)) or "none"
    timing = f"{median * 1000:,.0f} | {worst * 1000:,.0f}"
    return f"| {label} | {timing} | {ratio} | {seq} | {failed} | {ok} |"


def print_table(rows: list[str], elapsed: float) -> None:
    print(
        f"### `/rtb status` op latency ({RUNS} runs after warm-up; backend timeout "
        f"{BACKEND_TIMEOUT_S:g} s)\n"
    )
    print(
        "| scenario | median ms | max ms | ratio | same sources one after another, ms "
        "| parts failed | target met |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for line in rows:
        print(line)
    print(
        f"\nTargets: every backend +500 ms → under {TARGET_RATIO}× 500 ms; one backend hung → "
        f"within its {BACKEND_TIMEOUT_S:g} s timeout and named. "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, bench ran {elapsed:.0f} s."
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

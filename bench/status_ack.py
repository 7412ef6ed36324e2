"""Issue 3 benchmark: acks stay fast while 20 `/rtb status` wait on backends that hang 2 s.

    .venv/bin/python bench/status_ack.py     # about 45 s; prints Markdown, exits

The sandbox stack (sandbox.stack.SandboxStack: Redis, PostgreSQL, moto, the fake AWS that
answers the p99, three fake Kubernetes API servers) runs in this process with the load client;
the bot is the real CLI, `rtb-bot serve --http` on loopback, in its own process (so the fakes'
threads do not share its GIL, as in production), its Web API and response_urls pointed at a
fake Slack API. Redis and the hub PostgreSQL are reached through bench/status.py's TCP delay
proxy (imported, not copied); the fake Kubernetes servers and the fake AWS delay every request
themselves (`inject_fault(delay=...)`). "Hung for 2 s": every request to every backend of
`/rtb status` waits 2 s before it is served.

Measured, with signed slash commands over HTTP (sandbox.slack_payloads):

1. idle: `/rtb help` at a steady rate, nothing else running: the ack floor;
2. hung: 20 `/rtb status` sent at once, then `/rtb help` at the same steady rate until every
   status has answered: the acks (HTTP 200 from the bot) of those helps, and each status's own
   completion time (sent → its answer posted to its response_url). A 10 ms ticker in the
   client records its own event loop's lag, to tell a slow client from a slow bot.

Target: ack p99 under 50 ms while the statuses run (nothing blocks the bot's event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.status import LOOPBACK, DelayProxy, host_port  # noqa: E402
from ops.config import Config  # noqa: E402
from sandbox.fake_slack import FakeSlackAPI, ResponsePost  # noqa: E402
from sandbox.servers import free_port  # noqa: E402
from sandbox.slack_payloads import form_body, signed_headers, slash_command  # noqa: E402
from sandbox.stack import FIXED_ENVIRON, SandboxStack  # noqa: E402

HANG_S = 2.0
STATUSES = 20
HELP_INTERVAL_S = 0.025  # 40 commands a second
IDLE_ACKS = 200
TARGET_P99_MS = 50.0
STATUS_DEADLINE_S = 60.0
START_TIMEOUT_S = 30.0
TICK_S = 0.010
USER = "UOPERATOR1"
BOT_TOKEN = "xoxb-bench-status-ack"
SIGNING_SECRET = FIXED_ENVIRON["SLACK_SIGNING_SECRET"]


@dataclass
class Sample:
    """One command: when it was sent, how long its ack took, where its answer goes."""

    sent: float  # time.time(), comparable with ResponsePost.at
    ack_s: float
    status: int
    response_url: str


@dataclass
class Phase:
    acks: list[float] = field(default_factory=list)  # seconds
    lags: list[float] = field(default_factory=list)  # the client's event-loop lag, seconds
    status_acks: list[float] = field(default_factory=list)
    statuses: list[float] = field(default_factory=list)  # sent → answered, seconds
    help_answers: list[float] = field(default_factory=list)
    non_200: int = 0
    unknown_sources: dict[str, int] = field(default_factory=dict)


class Bot:
    """Sends what Slack would send to the bot under test, signed, over one HTTP session."""

    def __init__(self, url: str, slack: FakeSlackAPI) -> None:
        self.url, self.slack = url, slack
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def command(self, text: str) -> Sample:
        response_url = self.slack.response_url()
        body = form_body(slash_command(text, user_id=USER, response_url=response_url))
        headers = signed_headers(body, SIGNING_SECRET)
        sent, started = time.time(), time.perf_counter()
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            await response.read()
        return Sample(sent, time.perf_counter() - started, response.status, response_url)

    def answers(self) -> dict[str, ResponsePost]:
        return {post.url: post for post in self.slack.responses}

    def all_answered(self, samples: list[Sample]) -> bool:
        answers = self.answers()
        return all(s.response_url in answers for s in samples)

    async def close(self) -> None:
        await self.http.close()


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    """How late a 10 ms sleep wakes up: the event loop's lag."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(TICK_S)
        lags.append(max(0.0, time.perf_counter() - started - TICK_S))


async def steady(
    send: Callable[[], Awaitable[Sample]], until: Callable[[], bool], limit: int | None = None
) -> list[Sample]:
    """`send` every HELP_INTERVAL_S (not waiting for the previous ack) until `until()`."""
    pending: list[asyncio.Task[Sample]] = []
    next_at = time.perf_counter()
    while not until() and (limit is None or len(pending) < limit):
        pending.append(asyncio.create_task(send()))
        next_at += HELP_INTERVAL_S
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    return list(await asyncio.gather(*pending))


async def wait_answers(bot: Bot, samples: list[Sample], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    # Polls the fake Slack API's list, which its own thread fills: no event to wait on here.
    while time.monotonic() < deadline and not bot.all_answered(samples):  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def idle_phase(bot: Bot) -> Phase:
    phase, stop = Phase(), asyncio.Event()
    tick = asyncio.create_task(ticker(phase.lags, stop))
    helps = await steady(lambda: bot.command("help"), lambda: False, IDLE_ACKS)
    stop.set()
    await tick
    await wait_answers(bot, helps, 30)
    phase.acks = [s.ack_s for s in helps]
    phase.non_200 = sum(s.status != 200 for s in helps)
    return phase


async def hung_phase(bot: Bot) -> Phase:
    phase, stop = Phase(), asyncio.Event()
    tick = asyncio.create_task(ticker(phase.lags, stop))
    statuses = list(await asyncio.gather(*(bot.command("status") for _ in range(STATUSES))))
    deadline = time.monotonic() + STATUS_DEADLINE_S
    checked = {"at": 0.0, "done": False}

    def statuses_done() -> bool:  # looked up every 250 ms, not at every send
        if time.monotonic() - checked["at"] > 0.25:
            checked.update(at=time.monotonic(), done=bot.all_answered(statuses))
        return bool(checked["done"]) or time.monotonic() > deadline

    helps = await steady(lambda: bot.command("help"), statuses_done)
    stop.set()
    await tick
    await wait_answers(bot, helps, STATUS_DEADLINE_S)
    answers = bot.answers()
    for sample in statuses:
        if sample.response_url in answers:
            post = answers[sample.response_url]
            phase.statuses.append(post.at - sample.sent)
            for source in unknown_sources(post):
                phase.unknown_sources[source] = phase.unknown_sources.get(source, 0) + 1
    phase.help_answers = [
        answers[s.response_url].at - s.sent for s in helps if s.response_url in answers
    ]
    phase.acks = [s.ack_s for s in helps]
    phase.status_acks = [s.ack_s for s in statuses]
    phase.non_200 = sum(s.status != 200 for s in (*helps, *statuses))
    return phase


def unknown_sources(post: ResponsePost) -> list[str]:
    """The sources a status answer names as unknown (`— unknown: *Redis*: …`)."""
    found = []
    for block in post.body.get("blocks") or []:
        text = str((block.get("text") or {}).get("text", ""))
        for line in text.splitlines():
            if "— unknown: *" in line:
                found.append(line.split("— unknown: *", 1)[1].split("*", 1)[0])
    return found


def hang(stack: SandboxStack, proxies: list[DelayProxy], seconds: float) -> None:
    assert stack.fake_aws is not None
    for proxy in proxies:
        proxy.delay = seconds
    for server in stack.kube.values():
        server.clear_faults()
    stack.fake_aws.clear_faults()
    if seconds:
        for server in stack.kube.values():
            server.inject_fault(method="*", status=None, delay=seconds, count=None)
        stack.fake_aws.inject_fault("*", error=None, delay=seconds, count=None)


def write_config(stack: SandboxStack, slack: FakeSlackAPI, workdir: Path) -> Config:
    """The sandbox's config, answering to the fake Slack API started here."""
    data = stack.config_data()
    data["slack_api_url"] = slack.base_url
    (workdir / "config.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return Config.model_validate(data)


def spawn_bot(
    stack: SandboxStack, workdir: Path, port: int, hub: str, redis: str
) -> subprocess.Popen[bytes]:
    """`rtb-bot serve --http` with the sandbox's environment, Redis and PostgreSQL proxied."""
    environ = {
        **os.environ,
        **stack.environ,
        "RTB_CONFIG": str(workdir / "config.yml"),
        "HUB_DATABASE_URL": hub,
        "REDIS_URL": redis,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    command = [str(Path(sys.executable).with_name("rtb-bot")), "serve", "--http"]
    with (workdir / "bot.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [*command, "--host", LOOPBACK, "--port", str(port)],
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


async def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError("the bot did not start (see bot.log in the bench's temp dir)")


def stop_bot(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def run(stack: SandboxStack, workdir: Path) -> tuple[Phase, Phase, Config]:
    hub_url, redis_url = stack.environ["HUB_DATABASE_URL"], stack.environ["REDIS_URL"]
    redis_proxy, hub_proxy = DelayProxy(host_port(redis_url), 0), DelayProxy(host_port(hub_url), 0)
    proxies = [redis_proxy, hub_proxy]
    for proxy in proxies:
        await proxy.start()
    slack = FakeSlackAPI()
    slack.start()
    config = write_config(stack, slack, workdir)
    port = free_port()
    proc = spawn_bot(
        stack, workdir, port, hub_proxy.url_for(hub_url), redis_proxy.url_for(redis_url)
    )
    bot = Bot(f"http://{LOOPBACK}:{port}/slack/events", slack)
    try:
        await wait_healthy(f"http://{LOOPBACK}:{port}/healthz", proc)
        warm = await bot.command("status")  # clients and connections, through the proxies
        await wait_answers(bot, [warm], 30)
        idle = await idle_phase(bot)
        hang(stack, proxies, HANG_S)
        hung = await hung_phase(bot)
    finally:
        hang(stack, proxies, 0.0)
        await bot.close()
        stop_bot(proc)
        for proxy in proxies:
            await proxy.stop()
        slack.stop()
    return idle, hung, config


def quantile_ms(values: list[float], q: float) -> str:
    """Nearest-rank quantile, in milliseconds."""
    if not values:
        return "–"
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-q * len(ordered) // 100)))
    return f"{ordered[int(rank) - 1] * 1000:,.1f}"


def print_table(idle: Phase, hung: Phase, config: Config, elapsed: float) -> None:
    p99 = float(quantile_ms(hung.acks, 99).replace(",", ""))
    verdict = "yes" if p99 < TARGET_P99_MS and not hung.non_200 else "**NO**"
    print(
        f"### Acks while {STATUSES} `/rtb status` wait on backends hung {HANG_S:g} s "
        f"(`/rtb help` every {HELP_INTERVAL_S * 1000:g} ms)\n"
    )
    print(
        "| phase | acks | ack p50 ms | ack p99 ms | ack max ms | client lag p99 ms "
        "| client lag max ms | non-200 | target met |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, phase, met in (("idle", idle, "–"), (f"{STATUSES} statuses running", hung, verdict)):
        print(
            f"| {label} | {len(phase.acks)} | {quantile_ms(phase.acks, 50)} | "
            f"{quantile_ms(phase.acks, 99)} | {quantile_ms(phase.acks, 100)} | "
            f"{quantile_ms(phase.lags, 99)} | {quantile_ms(phase.lags, 100)} | "
            f"{phase.non_200} | {met} |"
        )
    done = sorted(hung.statuses)
    spread = (
        f"{done[0]:.1f} | {statistics.median(done):.1f} | {done[-1]:.1f}" if done else "– | – | –"
    )
    print(
        f"\n| the {STATUSES} statuses | answered | ack p50 ms | ack max ms | done min s "
        "| done median s | done max s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| `/rtb status` | {len(done)}/{STATUSES} | {quantile_ms(hung.status_acks, 50)} | "
        f"{quantile_ms(hung.status_acks, 100)} | {spread} |"
    )
    if hung.unknown_sources:
        named = ", ".join(f"{name} ×{n}" for name, n in sorted(hung.unknown_sources.items()))
        print(f"\nIndicators the status answers showed as unknown, by source: {named}.")
    helps = sorted(hung.help_answers)
    if helps:
        print(
            f"`/rtb help` answers (not acks) during the run: median "
            f"{statistics.median(helps):.1f} s, max {helps[-1]:.1f} s (a light command: it "
            "never waits for a turn behind the statuses' heavy work)."
        )
    timeouts = config.timeouts
    print(
        f"\nTarget: ack p99 < {TARGET_P99_MS:g} ms while the statuses run. Backend timeout "
        f"{timeouts.backend_seconds:g} s, fan-out {timeouts.fanout_seconds:g} s. The bot is "
        "`rtb-bot serve --http` in its own process; client lag is the load client's own loop. "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, bench ran {elapsed:.0f} s."
    )


async def main() -> int:
    logging.disable(logging.WARNING)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rtb-bench-") as workdir, SandboxStack() as stack:
        idle, hung, config = await run(stack, Path(workdir))
    print_table(idle, hung, config, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

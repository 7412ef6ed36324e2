"""Issue 2 benchmark: ack latency, cold start and idle RSS of `rtb-bot serve --http`.

    .venv/bin/python bench/ack.py            # about a minute; prints Markdown, exits

What it measures, and against what:

* **Ack latency**: the time until the HTTP 200 for a signed `/rtb ping` slash command, at 1, 10
  and 50 requests in flight (a closed loop: N client workers, each sending its next request as
  soon as the previous one is answered). The bot is the real CLI, `rtb-bot serve --http`: two
  processes, the ack front that answers Slack and the worker that runs the Bolt app (bot/front.py);
  the work behind each ack (the ping fan-out to PostgreSQL, Redis, moto and the fake
  Kubernetes API servers, then the answer posted to the fake Slack response_url) runs in the bot
  after the ack, as in production, so the acks are measured while that work is going on. Beside
  it, a bare aiohttp handler (`web.Response(text="")`, its own process) on the same machine.
  Between runs the bench waits until every command's answer reached the fake Slack API.
  Diagnostic rows: "1, idle" sends each request only once the bot has posted the previous
  answer (the ack path alone, as Slack usually meets it), and `/rtb help` at 1 in flight (a
  command whose work is cheap). Ping answers that name an unreachable backend are counted.
* **Cold start**: spawn `rtb-bot serve --http` → `/healthz` 200, and → `/readyz` 200 (median of
  3, after one unmeasured import that compiles the project's bytecode, as a pip install does).
* **Idle memory**: after a warm-up of 50 pings (one at a time), idle: PSS summed over the bot's
  processes (pages the front shares with the worker it was forked from count once), with the
  summed VmRSS beside it (which counts them twice). PSS also splits the pages of files
  (libpython, the packages' `.so`) with every other process mapping them: on a machine running
  other Python processes from the same venv the bot's PSS is ~8 MB lower than on a quiet one, so
  the anonymous part (the bot's own heap, the same either way) is shown beside it. The catalogs
  are compiled to `.mo` for the run, as the image has them (`image_catalogs`).

`--during-digests` measures the issue-10 case instead: the backends are the seeded sandbox
(sandbox.stack.SandboxStack: a week of hub data, engine samples, Cost Explorer, CloudTrail and
Logs Insights through the fake AWS, the clusters), and the bot is `rtb-bot serve --http` with
its scheduler, sampler and outbox sender running. Two rows at 50 in flight: `/rtb ping` alone,
then `/rtb ping` while the same worker builds and renders the daily and the weekly digest
over and over (`/rtb digest daily` and `/rtb digest weekly`, the builds the scheduled jobs
run, sent every DIGEST_EVERY_S from before the measured requests start until they end; their
answers are counted). Goal: ack p99 < 50 ms in both.

`--bot-command "python launcher.py"` runs something else than `rtb-bot` (a launcher that patches
a change in) to measure a fix before making it. On a busy machine the numbers inflate: the
load average is printed before and after.

Processes: this one (the load client only), one backends process (`--role backends`: Redis,
PostgreSQL with two databases, moto, three fake Kubernetes API servers, the fake Slack API),
the bare server (`--role bare`) and the bot. Everything listens on 127.0.0.1 only; AWS
credentials are fake and instance metadata is disabled, so nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import http.client
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
ENVS = {"int": "111111111111", "stg": "222222222222", "prd": "333333333333"}
SIGNING_SECRET = "bench-signing-secret-0123456789"
BOT_TOKEN = "xoxb-bench-0000-token"
USER = "UOPERATOR1"
COMMAND = "ping"
DEGRADED = "not reachable"  # in a ping answer when a check failed (handlers/render/general.py)

TARGET_P50_RATIO = 3.0  # bot p50 at 1 in flight within 3x the bare handler
TARGET_P99_MS = 50.0  # bot p99 at 50 in flight
TARGET_COLD_S = 2.0
TARGET_RSS_MB = 120.0

DRAIN_TIMEOUT_S = 90.0
START_TIMEOUT_S = 30.0
TOTAL_BUDGET_S = 170.0  # the bench stops measuring (and says so) past this
DIGEST_EVERY_S = 0.5  # --during-digests: a daily and a weekly digest asked for this often
DIGEST_HEAD_START_S = 0.5  # the first builds are under way before the measured requests
DIGEST_COMMAND = "ping, while daily + weekly digests are built"


# ------------------------------------------------------------------------------------------
# Helper processes
# ------------------------------------------------------------------------------------------


def run_backends(sandbox: bool = False) -> int:
    """Child process: start every backend, print their addresses, then answer stdin commands.
    `sandbox`: the seeded sandbox stack instead (its bot environment is printed).

    `urls N` → a JSON list of N fresh response_urls; `count` → response_url posts so far;
    `digests` → how many of them were a digest (daily or weekly checklist);
    `degraded` → how many of them were pings naming an unreachable backend (e.g. a timeout);
    `reasons` → {failed check: count} over all ping answers;
    `quit` (or EOF) → stop everything.
    """
    import logging

    from sandbox.fake_kube import FakeKubeServer
    from sandbox.fake_slack import FakeSlackAPI
    from sandbox.servers import MotoServer, PostgresServer, RedisServer

    logging.disable(logging.WARNING)
    private_stdout()
    if sandbox:
        return serve_backends(*sandbox_backends())
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(RedisServer())
        postgres = stack.enter_context(PostgresServer())
        bot_db = postgres.create_database("rtb_bot")
        hub_db = postgres.create_database("rtb_hub")
        create_hub_tables(hub_db)
        moto = stack.enter_context(MotoServer())
        kube = {env: stack.enter_context(FakeKubeServer()) for env in ENVS}
        slack = stack.enter_context(FakeSlackAPI())
        addresses = {
            "redis_url": redis.url,
            "database_url": bot_db,
            "hub_database_url": hub_db,
            "aws_endpoint": moto.url,
            "oam_endpoint": oam_fake(stack, moto.url),
            "kube": {env: server.url for env, server in kube.items()},
            "slack_api_url": slack.base_url,
        }
        return serve_backends(addresses, slack)


def create_hub_tables(url: str) -> None:
    """The hub's tables, empty: a hub database always has them, and the bot's scheduled
    threshold pass reads them (without them every pass logged an error, a missing table)."""
    import psycopg

    from sandbox.seed_hub import hub_schema_sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(hub_schema_sql().encode())


def sandbox_backends() -> tuple[dict[str, Any], Any]:
    # bench/approvals.py would shadow the approvals package the sandbox's config loader imports
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    from sandbox.stack import SandboxStack

    stack = SandboxStack(queue_traffic=False).start()
    atexit.register(stack.stop)
    return {"sandbox_environ": stack.environ}, stack.slack


def private_stdout() -> None:
    """This process's stdout is the protocol's alone: whatever else writes to fd 1 (a server
    child inheriting it, e.g. moto's "Unable to find appropriate backend" lines) goes to
    stderr, the backends log."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = protocol


def oam_fake(stack: contextlib.ExitStack, moto_url: str) -> str:
    """The fake AWS in front of moto, for CloudWatch OAM only (stg and prd linked to int)."""
    from sandbox.fake_aws import FakeAws

    links = {ENVS["int"]: (ENVS["stg"], ENVS["prd"])}
    return stack.enter_context(FakeAws(upstream=moto_url, oam_links=links)).url


def serve_backends(addresses: dict[str, Any], slack: Any) -> int:
    print(json.dumps(addresses), flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "urls":
            urls = [slack.response_url() for _ in range(int(args[0]))]
            print(json.dumps(urls), flush=True)
        elif command == "count":
            print(len(slack.responses), flush=True)
        elif command == "digests":
            bodies = (json.dumps(post.body) for post in slack.responses)
            print(sum("checklist" in body for body in bodies), flush=True)
        elif command == "degraded":
            texts = (str(post.body.get("text", "")) for post in slack.responses)
            print(sum(DEGRADED in text for text in texts), flush=True)
        elif command == "reasons":
            print(json.dumps(failed_checks(slack.responses)), flush=True)
        elif command == "quit":
            break
    return 0


def failed_checks(posts: list[Any]) -> dict[str, int]:
    """`{"AWS stg — timed out after 5 s": 12, ...}` from the ping answers' red lines."""
    found: dict[str, int] = {}
    for post in posts:
        for block in post.body.get("blocks") or []:
            text = str((block.get("text") or {}).get("text", ""))
            for line in text.splitlines():
                if line.startswith(":red_circle:"):
                    reason = line.removeprefix(":red_circle:").replace("*", "").strip()
                    found[reason] = found.get(reason, 0) + 1
    return found


def run_bare(port: int) -> int:
    """Child process: the floor, a bare aiohttp handler answering an empty 200."""
    from aiohttp import web

    async def empty(_: web.Request) -> web.Response:
        return web.Response(text="")

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", empty)
    app.router.add_get("/healthz", empty)
    web.run_app(app, host=LOOPBACK, port=port, access_log=None, print=None)
    return 0


class Backends:
    """The `--role backends` child process, driven over its stdin/stdout."""

    def __init__(self, workdir: Path, *, sandbox: bool = False) -> None:
        self._log = (workdir / "backends.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--role", "sandbox" if sandbox else "backends"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
            cwd=ROOT,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError(f"backends did not start; see {workdir / 'backends.log'}")
        self.addresses: dict[str, Any] = json.loads(line)

    def _ask(self, command: str) -> str:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def response_urls(self, n: int) -> list[str]:
        return list(json.loads(self._ask(f"urls {n}")))

    def answers(self) -> int:
        return int(self._ask("count"))

    def digests(self) -> int:
        return int(self._ask("digests"))

    def degraded(self) -> int:
        return int(self._ask("degraded"))

    def failed_checks(self) -> dict[str, int]:
        return dict(json.loads(self._ask("reasons")))

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._ask("quit")
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


# ------------------------------------------------------------------------------------------
# The bot process
# ------------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def write_config(workdir: Path, addresses: dict[str, Any]) -> Path:
    """The same shape as tests/fixtures/bot.py make_config, as a YAML file."""
    import yaml

    raw = {
        "environments": {
            env: {
                "account_id": account,
                "role_arn": f"arn:aws:iam::{account}:role/rtb-hub-deployer",
                "kube_server": addresses["kube"][env],
            }
            for env, account in ENVS.items()
        },
        "roles": {
            "leads": {"users": ["ULEAD1", "ULEAD2"]},
            "operators": {"users": ["UOPERATOR1", "UOPERATOR2"]},
            "viewers": {"users": ["UVIEWER1"]},
        },
        "hub": {"queues": ["jira-queue", "pr-review-queue"]},
        "aws": {
            "endpoint_url": addresses["aws_endpoint"],
            # moto has no CloudWatch OAM: /rtb ping's link check asks the fake AWS
            **(
                {"service_endpoints": {"oam": addresses["oam_endpoint"]}}
                if addresses.get("oam_endpoint")
                else {}
            ),
        },
        "slack_api_url": addresses["slack_api_url"],
    }
    path = workdir / "config.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def bot_environ(config: Path, addresses: dict[str, Any]) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE is dropped so the project's modules are compiled once (an image
    # built with pip has them compiled), not on every start.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "SLACK_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        RTB_CONFIG=str(config),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        DATABASE_URL=addresses["database_url"],
        HUB_DATABASE_URL=addresses["hub_database_url"],
        REDIS_URL=addresses["redis_url"],
        AUDIT_HMAC_KEYS="bench:" + "b" * 32,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="ap-northeast-2",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


def sandbox_bot_environ(addresses: dict[str, Any]) -> dict[str, str]:
    """The sandbox's own bot environment, signed with this bench's secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_"))}
    env.update(addresses["sandbox_environ"])
    env.update(
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def rtb_bot_command() -> list[str]:
    if getattr(ARGS, "bot_command", None):
        return shlex.split(ARGS.bot_command)
    beside = Path(sys.executable).parent / "rtb-bot"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("rtb-bot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/slack/events"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def spawn(command: list[str], env: dict[str, str], log: Path) -> tuple[Served, float]:
    port = free_port()
    with log.open("ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*command, "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Served(proc, port, log), started


def http_status(port: int, path: str) -> int | None:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


def wait_status(served: Served, path: str, started: float) -> float:
    """Seconds from `started` until GET `path` answers 200 (polled every 5 ms)."""
    deadline = started + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if http_status(served.port, path) == 200:
            return time.perf_counter() - started
        if served.proc.poll() is not None:
            raise RuntimeError(f"process exited ({served.proc.returncode}):\n{tail(served.log)}")
        time.sleep(0.005)
    raise RuntimeError(f"{path} not 200 within {START_TIMEOUT_S} s:\n{tail(served.log)}")


def tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (the bot is two processes: the worker and its ack front)."""
    found = [pid]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += process_tree(int(child))
    return found


def memory_mb(pid: int) -> dict[str, float]:
    """Summed over the process tree: VmRSS (counts pages the processes share once per
    process) and PSS (each shared page split between its sharers: the tree's real use)."""
    found = {"VmRSS": 0.0, "VmHWM": 0.0, "Pss": 0.0, "Pss_Anon": 0.0, "processes": 0.0}
    for each in process_tree(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] += int(value.split()[0]) / 1024
        for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("Pss", "Pss_Anon"):
                found[key] += int(line.split()[1]) / 1024
        found["processes"] += 1
    return found


# ------------------------------------------------------------------------------------------
# Load
# ------------------------------------------------------------------------------------------


@dataclass
class Run:
    target: str  # "bare" or "bot"
    command: str  # the /rtb text ("-" for the bare handler)
    in_flight: int
    idle: bool = False
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    wall_s: float = 0.0
    answered: int | None = None  # response_url posts that arrived (bot only)
    digests: int | None = None  # --during-digests: digests built and answered meanwhile
    degraded: int = 0  # of those, pings that named an unreachable backend
    drain_s: float | None = None

    @property
    def key(self) -> tuple[str, str, int, bool]:
        return (self.target, self.command, self.in_flight, self.idle)

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0


def signed_requests(response_urls: list[str], command: str) -> list[tuple[bytes, dict[str, str]]]:
    from sandbox.slack_payloads import form_body, signed_headers, slash_command

    requests = []
    for url in response_urls:
        body = form_body(slash_command(command, user_id=USER, response_url=url))
        requests.append((body.encode(), signed_headers(body, SIGNING_SECRET)))
    return requests


async def load(
    url: str,
    requests: list[tuple[bytes, dict[str, str]]],
    in_flight: int,
    run: Run,
    settle: Callable[[], None] | None = None,
) -> None:
    """A closed loop: `in_flight` workers on keep-alive connections, each posting its next
    request as soon as the previous one is answered. `settle` (idle mode, one worker) runs
    after each response, before the next request."""
    import aiohttp

    queue = list(reversed(requests))
    connector = aiohttp.TCPConnector(limit=in_flight)
    timeout = aiohttp.ClientTimeout(total=30)

    async def worker(session: aiohttp.ClientSession) -> None:
        while queue:
            body, headers = queue.pop()
            t0 = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
            run.latencies_ms.append((time.perf_counter() - t0) * 1000)
            run.statuses[response.status] = run.statuses.get(response.status, 0) + 1
            if settle is not None:
                settle()

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(in_flight)))
        run.wall_s = time.perf_counter() - started


def wait_answers(backends: Backends, expected: int) -> tuple[int, float]:
    """Wait until the fake Slack API has `expected` response_url posts (or give up)."""
    started = time.perf_counter()
    while True:
        got = backends.answers()
        if got >= expected or time.perf_counter() - started > DRAIN_TIMEOUT_S:
            return got, time.perf_counter() - started
        time.sleep(0.002)


def measure(
    target: str,
    served: Served,
    backends: Backends,
    in_flight: int,
    count: int,
    warmup: int,
    *,
    command: str = COMMAND,
    idle: bool = False,
) -> Run:
    """An unmeasured warm-up, then (once the bot has answered it) the measured run.

    `idle`: one request at a time, each sent only after the bot posted the previous command's
    answer and 20 ms more, so every ack meets an idle bot (the bare handler just waits 20 ms).
    """
    is_bot = target == "bot"
    run = Run(target, command if is_bot else "-", 1 if idle else in_flight, idle)
    urls = backends.response_urls(warmup + count)
    before = backends.answers()
    scratch = Run(target, command, in_flight)
    warm = signed_requests(urls[:warmup], command)
    asyncio.run(load(served.url, warm, 1 if idle else in_flight, scratch))
    if is_bot:
        wait_answers(backends, before + warmup)
    expected = backends.answers()
    degraded_before = backends.degraded()
    answered = [expected]

    def settle() -> None:
        if is_bot:
            answered[0] += 1
            wait_answers(backends, answered[0])
        time.sleep(0.02)

    requests = signed_requests(urls[warmup:], command)
    asyncio.run(load(served.url, requests, run.in_flight, run, settle if idle else None))
    if is_bot:
        got, run.drain_s = wait_answers(backends, expected + count)
        run.answered = got - expected
        run.degraded = backends.degraded() - degraded_before
    return run


async def ask_for_digests(url: str, response_urls: list[str], stop: asyncio.Event) -> int:
    """Ask for a daily and a weekly digest every DIGEST_EVERY_S until `stop`; returns how
    many were asked for (each is acked at once and built in the worker)."""
    import aiohttp

    asked = 0
    async with aiohttp.ClientSession() as session:
        while not stop.is_set() and asked + 2 <= len(response_urls):
            pair = response_urls[asked : asked + 2]
            for response_url, name in zip(pair, DIGESTS, strict=True):
                body, headers = signed_requests([response_url], f"digest {name}")[0]
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"/rtb digest {name}: HTTP {response.status}")
            asked += 2
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), DIGEST_EVERY_S)
    return asked


DIGESTS = ("daily", "weekly")


def measure_during_digests(served: Served, backends: Backends, count: int, warmup: int) -> Run:
    """`/rtb ping` at 50 in flight while the worker builds digests (see the docstring)."""
    run = Run("bot", DIGEST_COMMAND, 50)
    measure("bot", served, backends, 50, warmup, 0)  # warm-up, answered
    urls = backends.response_urls(count)
    digest_urls = backends.response_urls(2 * int(TOTAL_BUDGET_S / DIGEST_EVERY_S))
    before, digests_before = backends.answers(), backends.digests()

    async def both() -> int:
        stop = asyncio.Event()
        asking = asyncio.create_task(ask_for_digests(served.url, digest_urls, stop))
        await asyncio.sleep(DIGEST_HEAD_START_S)
        await load(served.url, signed_requests(urls, COMMAND), 50, run)
        stop.set()
        return await asking

    asked = asyncio.run(both())
    got, run.drain_s = wait_answers(backends, before + count + asked)
    run.answered = got - before - asked
    run.digests = backends.digests() - digests_before
    return run


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "**MISS**"


def loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def machine_facts() -> str:
    from importlib.metadata import version

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"nproc {os.cpu_count()} ({cpu}); Linux {platform.release()}; "
        f"Python {platform.python_version()}; slack_bolt {version('slack_bolt')}; "
        f"aiohttp {version('aiohttp')}"
    )


@dataclass
class Results:
    runs: dict[tuple[str, str, int, bool], Run] = field(default_factory=dict)
    cold: list[tuple[float, float]] = field(default_factory=list)
    imports_s: list[float] = field(default_factory=list)
    rss: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def get(self, target: str, command: str, in_flight: int, idle: bool = False) -> Run | None:
        return self.runs.get((target, command if target == "bot" else "-", in_flight, idle))


def report(results: Results, args: argparse.Namespace, load_before: str) -> str:
    out = [
        f"## rtb-bot ack benchmark (signed slash commands over HTTP, {args.requests} "
        "requests per row)",
        "",
        f"Machine: {machine_facts()}. Load average before/after: {load_before} / {loadavg()}.",
        "",
        "Ack latency = time to the HTTP 200; the command's work runs after it, in the bot.",
        "",
        "| in flight | server | command | req/s | p50 ms | p90 ms | p99 ms | max ms | HTTP "
        "| answers posted |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for run in results.runs.values():
        statuses = ", ".join(f"{n}×{code}" for code, n in sorted(run.statuses.items()))
        answers = "—"
        if run.answered is not None:
            answers = f"{run.answered}/{len(run.latencies_ms)}, last {run.drain_s:.1f} s after"
            if run.degraded:
                answers += f"; {run.degraded} with a failed check"
            if run.digests is not None:
                answers += f"; {run.digests} digests built and answered meanwhile"
        flight = "1, idle" if run.idle else str(run.in_flight)
        command = f"`/rtb {run.command}`" if run.target == "bot" else "—"
        out.append(
            f"| {flight} | {run.target} | {command} | {run.throughput:.0f} | {run.pct(0.5):.2f} "
            f"| {run.pct(0.9):.2f} | {run.pct(0.99):.2f} | {max(run.latencies_ms):.2f} "
            f"| {statuses} | {answers} |"
        )
    out += ["", "| in flight | command | p50 bot/bare | p99 bot/bare |", "|---|---|---:|---:|"]
    pairs = [(level, False) for level in args.levels] + [(1, True)]
    for level, idle in pairs:
        for command in (COMMAND, "help"):
            bot, bare = (
                results.get("bot", command, level, idle),
                results.get("bare", "", level, idle),
            )
            if bot and bare:
                p50, p99 = bot.pct(0.5) / bare.pct(0.5), bot.pct(0.99) / bare.pct(0.99)
                flight = "1, idle" if idle else str(level)
                out.append(f"| {flight} | `/rtb {command}` | {p50:.1f}× | {p99:.1f}× |")
    out += ["", "| target | measured | goal | result |", "|---|---|---|---|"]
    bot1, bare1 = results.get("bot", COMMAND, 1), results.get("bare", "", 1)
    if bot1 and bare1:
        ratio = bot1.pct(0.5) / bare1.pct(0.5)
        out.append(
            f"| ack p50, 1 in flight | {bot1.pct(0.5):.2f} ms = {ratio:.1f}× bare "
            f"({bare1.pct(0.5):.2f} ms) | ≤ {TARGET_P50_RATIO:.0f}× bare | "
            f"{verdict(ratio <= TARGET_P50_RATIO)} |"
        )
    idle_bot, idle_bare = results.get("bot", COMMAND, 1, True), results.get("bare", "", 1, True)
    if idle_bot and idle_bare:
        ratio = idle_bot.pct(0.5) / idle_bare.pct(0.5)
        out.append(
            f"| (diagnostic) ack p50, 1 in flight, idle bot | {idle_bot.pct(0.5):.2f} ms = "
            f"{ratio:.1f}× bare idle ({idle_bare.pct(0.5):.2f} ms) | ≤ {TARGET_P50_RATIO:.0f}× "
            f"bare | {verdict(ratio <= TARGET_P50_RATIO)} |"
        )
    bot50 = results.get("bot", COMMAND, 50)
    if bot50:
        p99 = bot50.pct(0.99)
        out.append(
            f"| ack p99, 50 in flight | {p99:.1f} ms | < {TARGET_P99_MS:.0f} ms | "
            f"{verdict(p99 < TARGET_P99_MS)} |"
        )
    during = results.get("bot", DIGEST_COMMAND, 50)
    if during:
        p99 = during.pct(0.99)
        out.append(
            f"| ack p99, 50 in flight, while daily + weekly digests are built in the worker "
            f"({during.digests} built) | {p99:.1f} ms | < {TARGET_P99_MS:.0f} ms | "
            f"{verdict(p99 < TARGET_P99_MS)} |"
        )
    if results.cold:
        health = statistics.median(c[0] for c in results.cold)
        ready = statistics.median(c[1] for c in results.cold)
        each = ", ".join(f"{h:.2f}/{r:.2f}" for h, r in results.cold)
        out.append(
            f"| cold start → /healthz 200, median of {len(results.cold)} | {health:.2f} s "
            f"(each, healthz/readyz: {each}) | < {TARGET_COLD_S:.0f} s | "
            f"{verdict(health < TARGET_COLD_S)} |"
        )
        out.append(
            f"| cold start → /readyz 200, median of {len(results.cold)} | {ready:.2f} s "
            f"| < {TARGET_COLD_S:.0f} s | {verdict(ready < TARGET_COLD_S)} |"
        )
    if "bot, idle after warm-up" in results.rss:
        idle = results.rss["bot, idle after warm-up"]
        pss, rss = idle["Pss"], idle["VmRSS"]
        out.append(
            f"| idle memory after warm-up, all the bot's processes (PSS: shared pages counted "
            f"once) | {pss:.0f} MB (VmRSS summed: {rss:.0f} MB) | < {TARGET_RSS_MB:.0f} MB | "
            f"{verdict(pss < TARGET_RSS_MB)} |"
        )
    out += [
        "",
        "| process tree, moment | processes | PSS MB | of it anonymous (PSS) | VmRSS MB, summed "
        "| VmHWM MB, summed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, values in results.rss.items():
        out.append(
            f"| {name} | {values['processes']:.0f} | {values['Pss']:.0f} "
            f"| {values['Pss_Anon']:.0f} "
            f"| {values['VmRSS']:.0f} | {values['VmHWM']:.0f} |"
        )
    notes = list(results.notes)
    if results.imports_s:
        notes.insert(
            0,
            f"`python -c '{IMPORTS}'` alone (interpreter start + "
            f"imports): median {statistics.median(results.imports_s):.2f} s of "
            f"{len(results.imports_s)}",
        )
    out += ["", *[f"- {note}" for note in notes]]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------

IMPORTS = "import bot.cli, bot.app, bot.front, bot.worker"


def time_imports(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


def cold_starts(serve: list[str], env: dict[str, str], workdir: Path, results: Results) -> Served:
    """Spawn the bot `args.cold_starts` times; the last one stays up and is returned.

    The first start also applies the migrations to the empty database; later ones find them.
    """
    time_imports(env)  # unmeasured: compiles the project's modules once
    results.imports_s = [time_imports(env) for _ in range(3)]
    count = max(1, ARGS.cold_starts)
    for i in range(count):
        served, started = spawn(serve, env, workdir / f"bot-{i}.log")
        try:
            health = wait_status(served, "/healthz", started)
            ready = wait_status(served, "/readyz", started)
        except BaseException:
            served.stop()
            raise
        results.cold.append((health, ready))
        if i == count - 1:
            return served
        served.stop()
    raise AssertionError("unreachable")


CATALOGS = ROOT / "handlers" / "render" / "locale"


@contextlib.contextmanager
def image_catalogs(results: Results) -> Iterator[None]:
    """The message catalogs as the image holds them: compiled to `.mo` (Dockerfile), so the
    bot reads them as it does in production. Without them a checkout compiles each `.po` at
    first use, and Babel's Catalog loads its locale's CLDR data to do so (~4 MB in the worker
    that the image never holds). The `.mo` files this writes are removed afterwards."""
    before = set(CATALOGS.glob("*/LC_MESSAGES/*.mo"))
    subprocess.run(
        [sys.executable, "-m", "handlers.render.catalogs", "compile"], cwd=ROOT, check=True
    )
    results.notes.append("catalogs: compiled to .mo before the bot starts, as the image does")
    try:
        yield
    finally:
        for written in set(CATALOGS.glob("*/LC_MESSAGES/*.mo")) - before:
            written.unlink(missing_ok=True)


def bench(args: argparse.Namespace) -> int:
    results = Results()
    with image_catalogs(results):
        return measured(args, results)


def measured(args: argparse.Namespace, results: Results) -> int:
    began = time.perf_counter()
    load_before = loadavg()
    workdir = Path(tempfile.mkdtemp(prefix="rtb-bench-"))
    backends: Backends | None = None
    bot: Served | None = None
    bare: Served | None = None

    def over_budget() -> bool:
        if time.perf_counter() - began < TOTAL_BUDGET_S:
            return False
        results.notes.append(f"stopped early: over the {TOTAL_BUDGET_S:.0f} s budget")
        return True

    try:
        t0 = time.perf_counter()
        backends = Backends(workdir, sandbox=args.during_digests)
        results.notes.append(f"backends up in {time.perf_counter() - t0:.1f} s (in no number)")
        if args.during_digests:
            env = sandbox_bot_environ(backends.addresses)
        else:
            env = bot_environ(write_config(workdir, backends.addresses), backends.addresses)
        bot = cold_starts(
            [*rtb_bot_command(), "serve", "--http", "--host", LOOPBACK], env, workdir, results
        )
        bare, bare_started = spawn(
            [sys.executable, __file__, "--role", "bare"], os.environ.copy(), workdir / "bare.log"
        )
        wait_status(bare, "/healthz", bare_started)

        # Warm-up: 50 pings one at a time (the first builds the AWS sessions and Kubernetes
        # clients), then the idle RSS.
        measure("bot", bot, backends, 1, 50, 0, idle=True)
        time.sleep(1.0)
        results.rss["bot, idle after warm-up"] = memory_mb(bot.proc.pid)
        results.rss["bare aiohttp, idle"] = memory_mb(bare.proc.pid)

        if args.during_digests:
            for target, served in (("bare", bare), ("bot", bot)):
                run = measure(target, served, backends, 50, args.requests, args.warmup)
                results.runs[run.key] = run
            run = measure_during_digests(bot, backends, args.requests, args.warmup)
            results.runs[run.key] = run
            args.levels = [50]
        plan: list[tuple[str, Served, str, int, bool, int]] = []
        for level in [] if args.during_digests else args.levels:
            plan += [("bare", bare, "", level, False, args.requests)]
            plan += [("bot", bot, COMMAND, level, False, args.requests)]
        # Diagnostics: acks that meet an idle bot, and acks of a command whose work is cheap.
        idle_count = max(1, args.requests // 4)
        plan += (
            []
            if args.during_digests
            else [
                ("bare", bare, "", 1, True, idle_count),
                ("bot", bot, COMMAND, 1, True, idle_count),
            ]
        )
        plan += [] if args.during_digests else [("bot", bot, "help", 1, False, args.requests)]
        for target, served, command, level, idle, count in plan:
            if over_budget():
                break
            run = measure(
                target, served, backends, level, count, args.warmup, command=command, idle=idle
            )
            results.runs[run.key] = run
        time.sleep(1.0)
        results.rss["bot, idle after all the load"] = memory_mb(bot.proc.pid)
        failed = sorted(backends.failed_checks().items(), key=lambda kv: -kv[1])
        if failed:
            listed = "; ".join(f"{reason} ×{n}" for reason, n in failed[:6])
            results.notes.append(f"failed checks in ping answers (all rows): {listed}")
        log_text = bot.log.read_text(errors="replace")
        errors = sum(
            '"level": "error"' in line or '"level":"error"' in line
            for line in log_text.splitlines()
        )
        results.notes.append(
            f"bot log: {errors} error line(s)" if errors else "bot log: no error lines"
        )
    finally:
        for process in (bot, bare):
            if process is not None:
                process.stop()
        if backends is not None:
            backends.stop()
        if args.keep:
            results.notes.append(f"logs and config kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results.notes.append(f"bench wall time {time.perf_counter() - began:.0f} s")
    print(report(results, args, load_before))
    return 0


ARGS = argparse.Namespace()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--role", choices=["bench", "backends", "sandbox", "bare"], default="bench")
    parser.add_argument("--port", type=int, default=0, help="(bare role) port to serve on")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per row")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests per row")
    parser.add_argument(
        "--levels", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 50]
    )
    parser.add_argument("--cold-starts", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, config)")
    parser.add_argument(
        "--during-digests",
        action="store_true",
        help="ack p99 at 50 in flight while the worker builds digests (the sandbox's data)",
    )
    parser.add_argument(
        "--bot-command",
        help="run this instead of rtb-bot (e.g. a patched launcher to try a change); "
        "`serve --http --host ... --port N` is appended",
    )
    args = parser.parse_args()
    ARGS.__dict__.update(vars(args))
    if args.role in ("backends", "sandbox"):
        return run_backends(sandbox=args.role == "sandbox")
    if args.role == "bare":
        return run_bare(args.port)
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())

"""Issue 12 benchmark: the push side's watchers, measured in `rtb-bot serve --http`.

    .venv/bin/python bench/monitors.py            # about two minutes; prints Markdown, exits

Rows (each a function in MEASUREMENTS; add one to measure another watcher):

* **Pod status change → alert sent** (goal p99 ≤ 3 s, the watch path): a preview pod's
  container is OOMKilled in a fake cluster (a status write to the fake Kubernetes API server,
  which streams it to the bot's watch), until the fake Slack API receives the alert's
  `chat.postMessage`. Each sample is a new pod and container (a new alert, not a fold into the
  previous one), 1.2 s apart: Slack's one message per second per channel is paced by the
  outbox, and the bench measures the watcher, not that pacing. Timed inside the backends
  process (the write and the fake Slack share its clock).
* **Idle memory with the watchers vs without** (goal ≤ 10 MB over): PSS summed over the bot's
  processes after a warm-up of 50 pings, the same bot with `pod_watch.enabled: false` beside;
  measured first, before any alert (then again after the alerts, as a row of its own).
* **Ack p99 at 50 in flight with the watchers running** (goal < 50 ms; bench/ack.py's load
  loop and pings, its closed loop at 50 in flight), and without them for comparison.

Processes: this one (the load client), one backends process (`--role backends`: Redis,
PostgreSQL, moto, three fake Kubernetes API servers, the fake Slack API; seeded with a preview
namespace in stg), and the bot, started twice (with and without the watchers). Everything is
on 127.0.0.1; a busy machine inflates the numbers: the load average is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import ack  # bench/ack.py: its processes, load loop and memory reading

NAMESPACE = "preview-bench-1"
ALERT_TIMEOUT_S = 15.0
SAMPLE_GAP_S = 1.2
GOAL_ALERT_P99_S = 3.0
GOAL_IDLE_OVER_MB = 10.0
GOAL_ACK_P99_MS = 50.0


# -- the backends process -------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pod(i: int) -> dict[str, Any]:
    container = {"name": f"c{i}", "image": "app:1", "resources": {"limits": {"memory": "256Mi"}}}
    status = {
        "name": f"c{i}",
        "image": "app:1",
        "imageID": "",
        "ready": True,
        "restartCount": 0,
        "state": {"running": {"startedAt": _iso(datetime.now(UTC))}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"w{i}", "namespace": NAMESPACE},
        "spec": {"containers": [container]},
        "status": {"phase": "Running", "containerStatuses": [status]},
    }


def _killed(pod: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(UTC)
    pod["status"]["containerStatuses"][0].update(
        restartCount=1,
        lastState={
            "terminated": {
                "reason": "OOMKilled",
                "exitCode": 137,
                "startedAt": _iso(now - timedelta(seconds=30)),
                "finishedAt": _iso(now),
            }
        },
    )
    return pod


def _alert_seconds(kube: Any, slack: Any, i: int) -> float | None:
    """Kill pod i's container; seconds until the fake Slack got its alert (None: never)."""
    kube.apply(_pod(i))
    time.sleep(0.05)  # the pod's ADDED event is not what is measured
    pod = kube.get("pods", NAMESPACE, f"w{i}")
    before = len(slack.calls_to("chat.postMessage"))
    started = time.perf_counter()
    kube.apply(_killed(pod))
    while time.perf_counter() - started < ALERT_TIMEOUT_S:
        posts = slack.calls_to("chat.postMessage")[before:]
        if any(f"pod w{i} " in json.dumps(call.args, ensure_ascii=False) for call in posts):
            return time.perf_counter() - started
        time.sleep(0.001)
    return None


def run_backends() -> int:
    """Child process: ack.py's backends (same stdin protocol), plus `oom i` → seconds from
    pod i's OOMKill to its alert at the fake Slack ("null" if it never came)."""
    import logging

    from sandbox.fake_kube import FakeKubeServer
    from sandbox.fake_slack import FakeSlackAPI
    from sandbox.servers import MotoServer, PostgresServer, RedisServer

    logging.disable(logging.WARNING)
    ack.private_stdout()
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(RedisServer())
        postgres = stack.enter_context(PostgresServer())
        bot_db = postgres.create_database("rtb_bot")
        # the bot without the watchers has a database of its own: sharing one, the first bot
        # started ran the catch-up of every push job and the second found them claimed
        bot_db_nowatch = postgres.create_database("rtb_bot_nowatch")
        hub_db = postgres.create_database("rtb_hub")
        moto = stack.enter_context(MotoServer())
        kube = {env: stack.enter_context(FakeKubeServer()) for env in ack.ENVS}
        slack = stack.enter_context(FakeSlackAPI())
        labels = {"rtb.io/preview": "true", "rtb.io/issue-key": "BENCH-1"}
        kube["stg"].apply(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": NAMESPACE, "labels": labels},
            }
        )
        addresses = {
            "redis_url": redis.url,
            "database_url": bot_db,
            "database_url_nowatch": bot_db_nowatch,
            "hub_database_url": hub_db,
            "aws_endpoint": moto.url,
            "oam_endpoint": ack.oam_fake(stack, moto.url),
            "kube": {env: server.url for env, server in kube.items()},
            "slack_api_url": slack.base_url,
        }
        print(json.dumps(addresses), flush=True)
        for line in sys.stdin:
            command, *args = line.split()
            if command == "urls":
                print(json.dumps([slack.response_url() for _ in range(int(args[0]))]), flush=True)
            elif command == "count":
                print(len(slack.responses), flush=True)
            elif command == "degraded":
                texts = (str(post.body.get("text", "")) for post in slack.responses)
                print(sum(ack.DEGRADED in text for text in texts), flush=True)
            elif command == "reasons":
                print(json.dumps(ack.failed_checks(slack.responses)), flush=True)
            elif command == "oom":
                print(json.dumps(_alert_seconds(kube["stg"], slack, int(args[0]))), flush=True)
            elif command == "quit":
                break
    return 0


class Backends(ack.Backends):
    def __init__(self, workdir: Path) -> None:
        self._log = (workdir / "backends.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--role", "backends"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
            cwd=ack.ROOT,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError(f"backends did not start; see {workdir / 'backends.log'}")
        self.addresses: dict[str, Any] = json.loads(line)

    def oom(self, i: int) -> float | None:
        answer = json.loads(self._ask(f"oom {i}"))
        return None if answer is None else float(answer)


# -- the bot ------------------------------------------------------------------------------


def start_bot(workdir: Path, backends: Backends, watching: bool) -> ack.Served:
    import yaml

    config = ack.write_config(workdir, backends.addresses)
    raw = yaml.safe_load(config.read_text())
    raw["pod_watch"] = {"enabled": watching}
    config = workdir / f"config-{'watch' if watching else 'nowatch'}.yml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    addresses = dict(backends.addresses)
    if not watching:
        addresses["database_url"] = addresses["database_url_nowatch"]
    env = ack.bot_environ(config, addresses)
    command = [*ack.rtb_bot_command(), "serve", "--http", "--host", ack.LOOPBACK]
    log = workdir / f"bot-{'watch' if watching else 'nowatch'}.log"
    served, started = ack.spawn(command, env, log)
    ack.wait_status(served, "/readyz", started)
    return served


# -- measurements ---------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    value: str
    goal: str
    ok: bool | None  # None: no goal (a comparison row)


@dataclass
class Bench:
    args: argparse.Namespace
    backends: Backends
    workdir: Path
    bots: dict[bool, ack.Served] = field(default_factory=dict)  # watching? → the bot
    notes: list[str] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def alert_latency(bench: Bench) -> list[Row]:
    seconds, missed = [], 0
    for i in range(bench.args.alerts):
        took = bench.backends.oom(i)
        if took is None:
            missed += 1
        else:
            seconds.append(took)
        time.sleep(SAMPLE_GAP_S)
    if not seconds:
        return [Row("pod OOMKilled → alert sent", "no alert arrived", "p99 ≤ 3 s", False)]
    p50, p99 = statistics.median(seconds), pct(seconds, 0.99)
    value = f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
    value += f" (n={len(seconds)}, missed {missed})"
    ok = p99 <= GOAL_ALERT_P99_S and missed == 0
    after = ack.memory_mb(bench.bots[True].proc.pid)["Pss"]
    return [
        Row("pod OOMKilled → alert sent (watch path)", value, "p99 ≤ 3 s", ok),
        Row(
            f"PSS with the watchers, after these {len(seconds)} alerts", f"{after:.1f} MB", "", None
        ),
    ]


def idle_memory(bench: Bench) -> list[Row]:
    """Before any alert: the watchers running (listed, watching, waiting) but nothing to say."""
    pss = {}
    for watching, bot in bench.bots.items():
        ack.measure("bot", bot, bench.backends, 1, 50, 0, idle=True)  # warm-up, as bench/ack.py
        time.sleep(2.0)  # the watchers' first lists are long done
        pss[watching] = ack.memory_mb(bot.proc.pid)["Pss"]
    over = pss[True] - pss[False]
    return [
        Row("idle PSS, without the watchers", f"{pss[False]:.1f} MB", "", None),
        Row("idle PSS, with the three env watchers", f"{pss[True]:.1f} MB", "", None),
        Row("idle memory over", f"{over:+.1f} MB", "≤ 10 MB", over <= GOAL_IDLE_OVER_MB),
    ]


def ack_at_50(bench: Bench) -> list[Row]:
    rows = []
    for watching, bot in sorted(bench.bots.items(), reverse=True):
        run = ack.measure("bot", bot, bench.backends, 50, bench.args.requests, 50)
        p50, p99 = run.pct(0.5), run.pct(0.99)
        label = "with" if watching else "without"
        ok = p99 < GOAL_ACK_P99_MS if watching else None
        rows.append(
            Row(
                f"ack at 50 in flight, {label} the watchers",
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (n={len(run.latencies_ms)})",
                "p99 < 50 ms" if watching else "",
                ok,
            )
        )
    return rows


MEASUREMENTS: list[Callable[[Bench], list[Row]]] = [idle_memory, alert_latency, ack_at_50]


def report(rows: list[Row], notes: list[str], load_before: str) -> str:
    lines = [
        "## bench/monitors.py",
        "",
        "| measurement | value | goal | |",
        "|---|---|---|---|",
    ]
    for row in rows:
        verdict = "" if row.ok is None else ack.verdict(row.ok)
        lines.append(f"| {row.what} | {row.value} | {row.goal} | {verdict} |")
    lines += ["", f"load average before {load_before}, after {ack.loadavg()}", ""]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines)


def bench(args: argparse.Namespace) -> int:
    load_before = ack.loadavg()
    workdir = Path(tempfile.mkdtemp(prefix="rtb-monitors-"))
    backends = Backends(workdir)
    state = Bench(args, backends, workdir)
    rows: list[Row] = []
    try:
        state.bots[True] = start_bot(workdir, backends, watching=True)
        state.bots[False] = start_bot(workdir, backends, watching=False)
        for measurement in MEASUREMENTS:
            rows += measurement(state)
    finally:
        for bot in state.bots.values():
            bot.stop()
        backends.stop()
    print(report(rows, state.notes, load_before))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--role", choices=["bench", "backends"], default="bench")
    parser.add_argument("--alerts", type=int, default=40, help="OOMKills measured")
    parser.add_argument("--requests", type=int, default=400, help="acks measured per row")
    args = parser.parse_args()
    ack.ARGS = args
    return run_backends() if args.role == "backends" else bench(args)


if __name__ == "__main__":
    sys.exit(main())

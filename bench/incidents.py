"""Issue 11 benchmark: the alarm intake — SQS → card, a storm, and the acks meanwhile.

    .venv/bin/python bench/incidents.py [--alarms 100] [--storm 500] [--storm-alarms 50]

Everything runs against the seeded sandbox (sandbox.stack.SandboxStack: moto's SNS topic
`rtb-hub-alerts` delivering into the bot's SQS queue, PostgreSQL, the fake Slack Web API), on
loopback only.

1. **Latency** (the bot in this process, one pass at a time): for each of N alarms, CloudWatch's
   notification is published to the topic (not timed); then, from the moment the intake's SQS
   receive returns: the card enqueued in the outbox (the incident stored, the message deleted)
   and the card sent (the outbox sender's post answered by the fake Slack; its pacing off, so
   Slack's 1 msg/s is excluded). p50/p99; goal p99 ≤ 1 s.
2. **Storm** (`rtb-bot serve --http`, the real CLI, in its own processes, with its 20 s long
   polls): M notifications for K alarms (each alarm fired M/K times, in rounds) published as
   fast as moto takes them. Counted: cards posted to #rtb-incidents (goal K, no duplicates),
   HTTP 429 answers from the fake Slack (which enforces ~1 msg/s per channel) and messages the
   outbox gave up on (an unhandled 429 would leave one); the drain time from the first publish
   until every notification was applied and the outbox had nothing left to send.
3. **Acks meanwhile**: as the storm starts, 50 client workers send signed `/rtb help` slash
   commands (10 each, bounded: each ack hands the worker a command to run) to the same bot in a
   closed loop (bench/ack.py's measure: the HTTP 200); p50/p99,
   goal p99 < 50 ms. `help`, not bench/ack.py's `ping`: 50 pings in flight for minutes keep
   the worker busy with their own fan-outs (moto, PostgreSQL, Redis, the clusters), which would
   measure the pings rather than the intake's effect on the ack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import create_runtime  # noqa: E402
from bot.logs import configure_logging  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from handlers.outbox_sender import OutboxSender  # noqa: E402
from sandbox.alarm_notifications import MetricAlarmSpec, alarm_message  # noqa: E402
from sandbox.seed_aws import REGION, TOPIC_NAME, assumed_session  # noqa: E402
from sandbox.servers import free_port  # noqa: E402
from sandbox.slack_payloads import form_body, signed_headers, slash_command  # noqa: E402
from sandbox.stack import ACCOUNTS, SandboxStack  # noqa: E402

TARGET_CARD_P99_S = 1.0
TARGET_ACK_P99_MS = 50.0
ACK_WORKERS = 50
ACKS_PER_WORKER = 10
PUBLISHERS = 4
STORM_BUDGET_S = 600.0
CHANNEL = "#rtb-incidents"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def spec(name: str) -> MetricAlarmSpec:
    return MetricAlarmSpec(name, ACCOUNTS["int"], "RTBHub/Bench", "Errors", 10.0)


class Publisher:
    """CloudWatch's side: notifications published to the int alarm topic in moto."""

    def __init__(self, stack: SandboxStack) -> None:
        session = assumed_session(stack.moto.url, ACCOUNTS["int"])
        self.sns = session.client("sns", endpoint_url=stack.moto.url)
        self.topic = f"arn:aws:sns:{REGION}:{ACCOUNTS['int']}:{TOPIC_NAME}"

    def publish(self, name: str, at: datetime, value: float) -> None:
        message = alarm_message(spec(name), "ALARM", at=at, value=value)
        self.sns.publish(TopicArn=self.topic, Message=json.dumps(message))


# -- 1. latency, in process -------------------------------------------------------------------


async def latency(stack: SandboxStack, alarms: int) -> tuple[list[float], list[float]]:
    runtime = create_runtime(load_settings(stack.config_path, stack.environ), retries=0)
    await runtime.start()
    try:
        intake = runtime.intake
        assert intake is not None, "the sandbox configures incidents.queue_url"
        sender = OutboxSender(
            runtime.deps.require_push().outbox, runtime.client, "bench", per_channel_seconds=0.0
        )
        stack.slack.pace_messages = False
        publisher = Publisher(stack)
        enqueued, sent = [], []
        now = datetime.now(UTC)
        for n in range(alarms):
            publisher.publish(f"rtb-hub-bench-{n:03d}", now, 42.0)
            messages = await intake.queue.receive(wait=1)
            received = time.perf_counter()
            for message in messages:
                await intake.handle(message)
            enqueued.append(time.perf_counter() - received)
            await sender.deliver_due()
            sent.append(time.perf_counter() - received)
        return enqueued, sent
    finally:
        stack.slack.pace_messages = True
        await runtime.stop()


# -- 2 and 3. the storm against `rtb-bot serve`, and acks meanwhile --------------------------


def start_serve(stack: SandboxStack, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port)],
            env=os.environ | stack.environ,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"serve did not become ready; see {log}")


def publish_storm(stack: SandboxStack, total: int, alarms: int) -> None:
    names = [f"rtb-hub-storm-{n:02d}" for n in range(alarms)]
    start = datetime.now(UTC)
    jobs = [
        (name, start + timedelta(milliseconds=round_), 20.0 + round_)
        for round_ in range(total // alarms)
        for name in names
    ]
    publishers = [Publisher(stack) for _ in range(PUBLISHERS)]
    with ThreadPoolExecutor(PUBLISHERS) as pool:
        chunks = [jobs[i::PUBLISHERS] for i in range(PUBLISHERS)]
        list(pool.map(lambda p, chunk: [p.publish(*job) for job in chunk], publishers, chunks))


async def progress(db_url: str) -> tuple[int, int]:
    """(storm notifications applied, outbox rows still to send)."""
    import psycopg  # the bench reads the bot's tables directly

    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cursor = await conn.execute(
            "SELECT (SELECT count(*) FROM rtb_bot.alarm_messages m JOIN rtb_bot.incidents i"
            " ON i.id = m.incident_id WHERE i.alarm_name LIKE 'rtb-hub-storm-%%'),"
            " (SELECT count(*) FROM rtb_bot.outbox WHERE sent_version < version"
            " AND gave_up_at IS NULL)"
        )
        applied, waiting = await cursor.fetchone() or (0, 0)
    return int(applied), int(waiting)


async def ack_load(url: str, stack: SandboxStack, stop: asyncio.Event, workers: int) -> list[float]:
    secret = stack.environ["SLACK_SIGNING_SECRET"]
    samples: list[float] = []

    async def worker(http: aiohttp.ClientSession) -> None:
        # Bounded: every ack hands the worker a command to run, so an open-ended closed loop
        # would bury the bot in `help` answers (the front refuses past its backlog) rather than
        # measure the ack while the storm is handled.
        for _ in range(ACKS_PER_WORKER):
            if stop.is_set():
                return
            fields = slash_command(
                "help", user_id="UOPERATOR1", response_url=stack.slack.response_url()
            )
            body = form_body(fields)
            started = time.perf_counter()
            async with http.post(url, data=body, headers=signed_headers(body, secret)) as answer:
                await answer.read()
                if answer.status == 200:
                    samples.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(worker(http) for _ in range(workers)))
    return samples


async def storm(stack: SandboxStack, total: int, alarms: int, workers: int) -> dict[str, float]:
    port, log = free_port(), Path(tempfile.mkdtemp()) / "serve.log"
    proc = start_serve(stack, port, log)
    try:
        stop = asyncio.Event()
        url = f"http://127.0.0.1:{port}/slack/events"
        acks = asyncio.create_task(ack_load(url, stack, stop, workers))
        before_429 = sum(1 for c in stack.slack.calls if c.error == "ratelimited")
        started = time.perf_counter()
        await asyncio.to_thread(publish_storm, stack, total, alarms)
        published = time.perf_counter() - started
        during_publish_ms = await acks
        # The same load again once the bench has stopped publishing: the acks while the bot
        # alone works through the storm (receives, stores, posts), without this process's own
        # publishing thread (GIL) and moto's SNS fan-out in the timings.
        acks = asyncio.create_task(ack_load(url, stack, stop, workers))
        acks_ended: list[float] = []
        acks.add_done_callback(lambda _: acks_ended.append(time.perf_counter() - started))
        db_url = stack.environ["DATABASE_MIGRATION_URL"]
        applied_at = None
        while time.perf_counter() - started < STORM_BUDGET_S:
            applied, waiting = await progress(db_url)
            if applied >= total and applied_at is None:
                applied_at = time.perf_counter() - started
            print(
                f"storm {time.perf_counter() - started:5.0f} s: applied {applied}/{total},"
                f" outbox waiting {waiting}",
                file=sys.stderr,
                flush=True,
            )
            if applied >= total and waiting == 0:
                break
            await asyncio.sleep(2)
        drain = time.perf_counter() - started
        stop.set()
        ack_ms = await acks
        applied, waiting = await progress(db_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    cards = [
        m
        for m in stack.slack.messages(CHANNEL)
        if "thread_ts" not in m and "rtb-hub-storm-" in m.get("text", "")
    ]
    names = {m["text"].split(": ", 1)[1].split(" in ")[0] for m in cards}
    rate_limited = sum(1 for c in stack.slack.calls if c.error == "ratelimited") - before_429
    return {
        "published_s": published,
        "applied_s": applied_at if applied_at is not None else float("nan"),
        "applied": applied,
        "waiting": waiting,
        "drain_s": drain,
        "cards": len(cards),
        "duplicates": len(cards) - len(names),
        "rate_limited": rate_limited,
        "given_up": await given_up(stack.environ["DATABASE_MIGRATION_URL"]),
        "acks": len(ack_ms),
        "ack_p50": statistics.median(ack_ms) if ack_ms else float("nan"),
        "ack_p99": percentile(ack_ms, 99) if ack_ms else float("nan"),
        "acks_publishing": len(during_publish_ms),
        "ack_publishing_p50": statistics.median(during_publish_ms) if during_publish_ms else 0.0,
        "ack_publishing_p99": percentile(during_publish_ms, 99) if during_publish_ms else 0.0,
        "acks_ended_s": acks_ended[0] if acks_ended else float("nan"),
    }


async def given_up(db_url: str) -> int:
    import psycopg

    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM rtb_bot.outbox WHERE gave_up_at IS NOT NULL"
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def report(
    enqueued: list[float], sent: list[float], found: dict[str, float], args: argparse.Namespace
) -> int:
    def row(name: str, values: list[float]) -> str:
        cells = [percentile(values, 50), percentile(values, 99), max(values)]
        return f"| {name} | " + " | ".join(f"{v * 1000:.1f}" for v in cells) + " |"

    card_ok = percentile(sent, 99) <= TARGET_CARD_P99_S
    storm_ok = found["cards"] == args.storm_alarms and found["duplicates"] == 0
    storm_ok = storm_ok and found["given_up"] == 0 and found["waiting"] == 0
    ack_ok = found["ack_p99"] < TARGET_ACK_P99_MS
    print(f"# bench/incidents.py — {platform.node()}, load {os.getloadavg()[0]:.2f}\n")
    print(f"## SQS receive → card ({len(sent)} alarms, one at a time)\n")
    print("| until | p50 ms | p99 ms | max ms |\n|---|---|---|---|")
    print(row("enqueued (stored, deleted)", enqueued))
    print(row("sent (fake Slack answered)", sent))
    print(f"\nGoal p99 ≤ {TARGET_CARD_P99_S:g} s: {'met' if card_ok else 'NOT met'}\n")
    print(f"## Storm: {args.storm} notifications for {args.storm_alarms} alarms (rtb-bot serve)\n")
    print("| measure | value |\n|---|---|")
    print(f"| published in | {found['published_s']:.1f} s |")
    print(f"| every notification applied after | {found['applied_s']:.1f} s |")
    print(f"| outbox empty after (the end) | {found['drain_s']:.1f} s |")
    print(
        f"| at the end: applied / outbox waiting | {found['applied']:.0f} /"
        f" {found['waiting']:.0f} |"
    )
    print(f"| cards | {found['cards']:.0f} |")
    print(f"| duplicate cards | {found['duplicates']:.0f} |")
    print(f"| 429 answered by the fake Slack (honoured) | {found['rate_limited']:.0f} |")
    print(f"| messages given up (unhandled) | {found['given_up']:.0f} |")
    print(
        f"| acks while the bench publishes ({args.ack_workers} in flight; its own thread and "
        f"moto's fan-out share the 2 cores) | {found['acks_publishing']:.0f}: p50 / p99 "
        f"{found['ack_publishing_p50']:.1f} / {found['ack_publishing_p99']:.1f} ms |"
    )
    print(
        f"| acks while the bot works through the storm ({args.ack_workers} in flight, after "
        f"publishing; they ended at {found['acks_ended_s']:.1f} s) | {found['acks']:.0f}: "
        f"p50 / p99 {found['ack_p50']:.1f} / {found['ack_p99']:.1f} ms |"
    )
    print(
        f"\nStorm goal ({args.storm_alarms} cards, 0 duplicates, 0 given up): "
        f"{'met' if storm_ok else 'NOT met'}; ack p99 < {TARGET_ACK_P99_MS:g} ms: "
        f"{'met' if ack_ok else 'NOT met'}"
    )
    return 0


async def main(args: argparse.Namespace) -> int:
    logging.disable(logging.WARNING)
    configure_logging(level="WARNING", stream=sys.stderr)  # the report alone on stdout
    configure_logging(level="WARNING", stream=sys.stderr)  # the report alone on stdout
    with SandboxStack(queue_traffic=False) as stack:
        # The in-process bot reads its (fake) AWS credentials from the environment, as serve does.
        os.environ.update({k: v for k, v in stack.environ.items() if k.startswith("AWS_")})
        enqueued, sent = await latency(stack, args.alarms)
        found = await storm(stack, args.storm, args.storm_alarms, args.ack_workers)
    return report(enqueued, sent, found, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alarms", type=int, default=100)
    parser.add_argument("--storm", type=int, default=500)
    parser.add_argument("--storm-alarms", type=int, default=50)
    parser.add_argument("--ack-workers", type=int, default=ACK_WORKERS)
    sys.exit(asyncio.run(main(parser.parse_args())))

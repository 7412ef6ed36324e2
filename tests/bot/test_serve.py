"""`rtb-bot serve --http` as it runs in production: the real CLI, two processes.

The front (forked first) acks and forwards; the worker runs the Bolt app. Each stops when
the other goes away, so a half-dead bot never keeps acking work that cannot run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from sandbox.fake_kube import FakeKubeServer
from sandbox.fake_slack import FakeSlackAPI
from sandbox.lifeline import spawn
from sandbox.servers import free_port
from sandbox.slack_payloads import form_body, signed_headers, slash_command
from tests.fixtures.bot import AUDIT_KEYS, BOT_TOKEN, SIGNING_SECRET, raw_config
from tests.processes import children

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]


@dataclass
class ServedBot:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def get(self, path: str) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None  # nothing listening

    def post(self, body: str) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events",
            data=body.encode(),
            headers=signed_headers(body, SIGNING_SECRET),
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)

    @property
    def front_pid(self) -> int:
        (front,) = children(self.proc.pid)  # the worker forks one process: its ack front
        return front.pid


def wait_until(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {timeout} s; log:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


@pytest.fixture(params=["http"])
def served(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kube: dict[str, FakeKubeServer],
    aws_endpoint: str,
    aws_env: None,
    fake_slack: FakeSlackAPI,
    pg_url: str,
    redis_url: str,
) -> Iterator[ServedBot]:
    config = tmp_path / "config.yml"
    raw = raw_config(
        kube_urls={env: server.url for env, server in kube.items()},
        aws_endpoint=aws_endpoint,
        slack_api_url=fake_slack.base_url,
    )
    config.write_text(yaml.safe_dump(raw))
    env = os.environ | {
        "RTB_CONFIG": str(config),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "DATABASE_URL": pg_url,
        "HUB_DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "AUDIT_HMAC_KEYS": AUDIT_KEYS,
    }
    # each mode with only the secrets it needs (the README's table): HTTP checks signatures,
    # Socket Mode holds the app-level token instead
    if request.param == "http":
        env["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
    else:
        env["SLACK_APP_TOKEN"] = "xapp-1-test"
        env.pop("SLACK_SIGNING_SECRET", None)
    port, log = free_port(), tmp_path / "bot.log"
    with log.open("wb") as out:
        proc = spawn(  # dies with this test run, however it ends
            [*SERVE, *(["--http"] if request.param == "http" else []), "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    bot = ServedBot(proc, port, log)
    try:
        wait_until(lambda: bot.get("/readyz") == 200, 30, "ready", log)
        yield bot
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_acks_and_answers_then_stops_both_processes_on_sigterm(served, fake_slack):
    front_pid = served.front_pid
    ping = slash_command("ping", user_id="UOPERATOR1", response_url=fake_slack.response_url())
    assert served.post(form_body(ping)) == 200
    wait_until(lambda: bool(fake_slack.responses), 15, "answered", served.log)
    assert "pong" in fake_slack.responses[-1].body["text"]

    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(30) == 0
    assert served.get("/healthz") is None
    assert _gone(front_pid)


@pytest.mark.parametrize("served", ["socket"], indirect=True)
def test_socket_mode_serve_acks_envelopes_and_answers(served, fake_slack):
    # (started without SLACK_SIGNING_SECRET: Socket Mode does not need one)
    wait_until(lambda: fake_slack.socket_connections >= 1, 15, "connected", served.log)
    ping = slash_command("ping", user_id="UOPERATOR1", response_url=fake_slack.response_url())
    envelope_id = fake_slack.socket_send("slash_commands", ping)
    assert fake_slack.wait_for_ack(envelope_id, timeout=10)["envelope_id"] == envelope_id
    wait_until(lambda: bool(fake_slack.responses), 15, "answered", served.log)
    assert "pong" in fake_slack.responses[-1].body["text"]
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(30) == 0


def test_the_worker_stops_with_an_error_when_the_front_dies(served):
    os.kill(served.front_pid, signal.SIGKILL)
    assert served.proc.wait(30) == 1
    assert "the front stopped unexpectedly" in served.log.read_text()


def test_the_front_stops_when_the_worker_dies(served):
    front_pid = served.front_pid
    served.proc.kill()
    served.proc.wait()
    wait_until(lambda: served.get("/healthz") is None, 15, "closed", served.log)
    wait_until(lambda: _gone(front_pid), 15, "gone", served.log)


def _gone(pid: int) -> bool:
    """Exited (a zombie waiting for its new parent counts: it runs nothing)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in status

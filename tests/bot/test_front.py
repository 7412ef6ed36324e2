"""The ack front alone: Slack's handshakes, and a worker that is gone or not taking requests.

(Every handler test goes through the front too: the `slack` fixture is the front linked to
the runtime over a real socket pair.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier

from bot.front import build_front_app
from bot.link import BACKLOG_LIMIT_BYTES, WorkerLink
from sandbox.slack_payloads import form_body, signed_headers, slash_command
from tests.fixtures.bot import SIGNING_SECRET


async def post_signed(http: TestClient, body: str) -> tuple[int, str]:  # type: ignore[type-arg]
    response = await http.post(
        "/slack/events", data=body.encode(), headers=signed_headers(body, SIGNING_SECRET)
    )
    return response.status, await response.text()


@asynccontextmanager
async def front_with_raw_worker_end() -> AsyncIterator[
    tuple[TestClient, WorkerLink, socket.socket]  # type: ignore[type-arg]
]:
    """The front, linked to a socket this test holds as the worker's end."""
    front_end, worker_end = socket.socketpair()
    link = await WorkerLink.open(front_end)
    http = TestClient(TestServer(build_front_app(link, SIGNING_SECRET, serve_slack=True)))
    await http.start_server()
    try:
        yield http, link, worker_end
    finally:
        await http.close()
        worker_end.close()
        await link.close()


async def test_slacks_handshakes_are_answered_by_the_front_and_never_forwarded(slack):
    challenge = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"})
    status, text = await post_signed(slack.http, challenge)
    assert (status, json.loads(text)) == (200, {"challenge": "abc123"})
    status, _ = await post_signed(slack.http, "token=t&ssl_check=1")
    assert status == 200
    await slack.settle()
    assert slack.link.forwarded == 0
    assert slack.api.responses == []


async def test_a_worker_that_is_gone_gets_503_never_an_ack():
    async with front_with_raw_worker_end() as (http, link, worker_end):
        worker_end.close()
        await asyncio.wait_for(link.gone(), 5)
        ping = form_body(slash_command("ping", user_id="U1", response_url="http://x/r"))
        assert (await post_signed(http, ping))[0] == 503
        assert (await http.get("/healthz")).status == 503
        ready = await http.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"] == {"worker": "not answering (starting, or gone)"}
        assert link.forwarded == 0


async def test_a_worker_that_stops_reading_is_refused_once_the_backlog_is_full():
    big = "x" * (1024 * 1024 - 2000)  # a request near Slack's 1 MiB limit
    body = form_body(slash_command(f"search int {big}", user_id="U1", response_url="http://x/r"))
    async with front_with_raw_worker_end() as (http, link, _never_read):
        statuses = [(await post_signed(http, body))[0] for _ in range(12)]
    acked = statuses.count(200)
    assert statuses[acked:] == [503] * (12 - acked), statuses  # acks, then only refusals
    assert BACKLOG_LIMIT_BYTES // len(body) <= acked < 12
    assert link.forwarded == acked


def _headers_with(body: str, timestamp: str | None, *, signed: bool = True) -> dict[str, str]:
    """Slack's headers with `timestamp` as given (signed over it, so only it can be wrong)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signed:
        sign_over = timestamp if timestamp is not None else str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(
            timestamp=sign_over, body=body
        )
        headers["X-Slack-Signature"] = str(signature)
    return headers


@pytest.mark.parametrize(
    ("timestamp", "signed"),
    [
        (None, False),  # neither header
        (None, True),  # a signature without its timestamp
        ("now", False),  # a timestamp without a signature
        ("", True),
        ("abc", True),
        ("12.5", True),
        ("1e9", True),
        ("9" * 5000, True),  # more digits than int() converts
    ],
)
async def test_a_request_without_slacks_headers_is_401_without_a_traceback(
    caplog, timestamp, signed
):
    ping = form_body(slash_command("ping", user_id="U1", response_url="http://x/r"))
    stamp = str(int(time.time())) if timestamp == "now" else timestamp
    caplog.set_level(logging.DEBUG)
    async with front_with_raw_worker_end() as (http, link, _worker_end):
        response = await http.post(
            "/slack/events", data=ping.encode(), headers=_headers_with(ping, stamp, signed=signed)
        )
        assert response.status == 401
        assert await response.json() == {"error": "invalid request"}
        assert link.forwarded == 0
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []

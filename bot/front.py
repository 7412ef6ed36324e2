"""The ack front: the small process that faces Slack, so an ack never waits for the bot's work.

`rtb-bot serve` runs two processes (see bot/cli.py). This one holds the Slack side: in HTTP
mode `POST /slack/events`, in Socket Mode the websocket; in both, `/healthz` and `/readyz`.
For each Slack request it checks the signature (HTTP), answers Slack at once, and forwards
the request over the link (bot/link.py) to the worker, which runs it through the Bolt app.

Why a process of its own: the work behind a command (Bolt, rendering, boto3 and kubernetes
in threads) is Python code holding the GIL. In one process an ack waited for it: at 50
commands in flight the ack p99 was ~100 ms, at 1 in flight the p50 12× a bare aiohttp handler
(bench/ack.py). Here the ack path is aiohttp, an HMAC and a buffered write; nothing else runs.

What the front decides alone: a bad signature or stale timestamp → 401; Slack's `ssl_check`
and `url_verification` handshakes; a worker that is gone or not taking requests → 503, so
Slack tells the user the command failed rather than the bot acking work that will not run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import structlog
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.link import WorkerLink

if TYPE_CHECKING:
    from slack_sdk.socket_mode.aiohttp import SocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 1024 * 1024
READY_TIMEOUT_SECONDS = 5.0  # the worker's check has its own per-backend timeouts below this
_UNIX_TIME = re.compile(r"[0-9]{1,12}")  # Slack's X-Slack-Request-Timestamp (ASCII digits)


@dataclass(frozen=True)
class FrontOptions:
    host: str
    port: int
    http: bool  # serve /slack/events; otherwise connect to Slack in Socket Mode
    signing_secret: str
    app_token: str
    slack_api_url: str


def build_front_app(
    link: WorkerLink,
    signing_secret: str,
    *,
    serve_slack: bool,
    socket_mode: Callable[[], SocketModeClient | None] | None = None,
) -> web.Application:
    """`/healthz`, `/readyz`, and with `serve_slack` (HTTP mode) `POST /slack/events`. Socket
    Mode needs no signing secret (Slack's websocket is the trust), so it may be empty there.

    `/healthz` is the processes: alive while the front and the worker behind it are. `/readyz`
    is whether the bot can serve Slack: the worker reaches PostgreSQL and Redis, and in Socket
    Mode (`socket_mode` gives the client once there is one) the websocket is connected. A
    revoked app token or a Slack outage shows as not ready, with the reason; it is not a
    liveness failure, because a restart would not fix it (and would loop during an outage).
    """

    async def healthz(_: web.Request) -> web.Response:
        if link.alive:
            return web.json_response({"status": "alive"})
        return web.json_response({"status": "worker gone"}, status=503)

    async def readyz(_: web.Request) -> web.Response:
        if socket_mode is not None:
            client = socket_mode()
            if client is None or not await client.is_connected():
                checks = {"slack": "Socket Mode not connected (see the log for why)"}
                return web.json_response({"ready": False, "checks": checks}, status=503)
        answer = await link.ask("ready", READY_TIMEOUT_SECONDS)
        if answer is None:
            body = {"ready": False, "checks": {"worker": "not answering (starting, or gone)"}}
            return web.json_response(body, status=503)
        return web.json_response(answer.get("body"), status=int(answer.get("status", 503)))

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if serve_slack:
        app.router.add_post("/slack/events", _slack_events(link, SignatureVerifier(signing_secret)))
    return app


def _slack_events(
    link: WorkerLink, verifier: SignatureVerifier
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def slack_events(request: web.Request) -> web.Response:
        body = await request.read()
        if not signed_by_slack(verifier, body, request.headers):
            return web.json_response({"error": "invalid request"}, status=401)
        text = body.decode("utf-8", errors="replace")
        handshake = _handshake(text)
        if handshake is not None:
            return handshake
        forwarded = link.forward(
            {"body": text, "headers": dict(request.headers), "query": request.query_string}
        )
        return web.Response() if forwarded else _worker_unavailable()

    return slack_events


def signed_by_slack(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's signature over `body`, within its 5-minute window. A missing header or a timestamp
    that is not Slack's (a Unix time in digits) is simply not signed: slack_sdk's `is_valid`
    would raise on `int()` of it, and a 500 with a traceback is no answer to a forged request."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if timestamp is None or signature is None or not _UNIX_TIME.fullmatch(timestamp):
        return False
    return verifier.is_valid(body, timestamp, signature)


def _handshake(body: str) -> web.Response | None:
    """Slack's own checks, answered here: `ssl_check` (slash commands) and `url_verification`
    (Events API request URL); None for everything else."""
    if body.startswith("{"):
        with contextlib.suppress(ValueError):
            event = json.loads(body)
            if isinstance(event, dict) and event.get("type") == "url_verification":
                return web.json_response({"challenge": str(event.get("challenge", ""))})
        return None
    if "ssl_check=" in body and parse_qs(body).get("ssl_check") == ["1"]:
        return web.Response()
    return None


def _worker_unavailable() -> web.Response:
    return web.json_response({"error": "the bot cannot take requests right now"}, status=503)


def socket_mode_client(link: WorkerLink, app_token: str, slack_api_url: str) -> SocketModeClient:
    """Socket Mode, not connected yet: each envelope is forwarded, then acked on the websocket.
    (`connect()` retries until it gets a connection: a bad token means it never returns.)"""
    # imported here: an HTTP-mode front never loads the websocket client
    from slack_sdk.socket_mode.aiohttp import SocketModeClient
    from slack_sdk.socket_mode.response import SocketModeResponse
    from slack_sdk.web.async_client import AsyncWebClient

    client = SocketModeClient(app_token, web_client=AsyncWebClient(base_url=slack_api_url))

    async def on_request(client: SocketModeClient, req: SocketModeRequest) -> None:
        headers: dict[str, Any] = {}
        if req.retry_attempt is not None:
            headers["x-slack-retry-num"] = str(req.retry_attempt)
        if req.retry_reason is not None:
            headers["x-slack-retry-reason"] = req.retry_reason
        if link.forward({"mode": "socket_mode", "payload": req.payload, "headers": headers}):
            await client.send_socket_mode_response(SocketModeResponse(req.envelope_id))
        # not acked when the worker cannot take it: Slack then tells the user it failed

    client.socket_mode_request_listeners.append(on_request)  # type: ignore[arg-type]
    return client


async def start_site(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_front(sock: socket.socket, options: FrontOptions) -> int:
    """Serve until SIGTERM/SIGINT (0) or until the worker goes away (1)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopped = asyncio.create_task(stop.wait())
    link = await WorkerLink.open(sock)
    socket_mode: SocketModeClient | None = None
    runner = await start_site(
        build_front_app(
            link,
            options.signing_secret,
            serve_slack=options.http,
            socket_mode=None if options.http else lambda: socket_mode,
        ),
        options.host,
        options.port,
    )
    connecting: asyncio.Task[None] | None = None
    if not options.http:
        # Slack delivers as soon as we connect, so connect once the worker can take requests
        # (over HTTP, /readyz keeps a load balancer away until then).
        started = asyncio.create_task(link.started())
        await asyncio.wait({started, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if started.done() and started.result():
            socket_mode = socket_mode_client(link, options.app_token, options.slack_api_url)
            connecting = asyncio.create_task(socket_mode.connect(), name="socket mode connect")
        started.cancel()
    worker_gone = asyncio.create_task(link.gone())
    await asyncio.wait({stopped, worker_gone}, return_when=asyncio.FIRST_COMPLETED)
    if connecting is not None:
        connecting.cancel()  # still retrying (a bad token): stop trying
    if socket_mode is not None:
        await socket_mode.close()
    await runner.cleanup()  # no new requests; those already acked are handed over below
    await link.close()
    stopped.cancel()
    if not stop.is_set():
        log.error("the worker went away; the front stops too")
        return 1
    return 0


def front_main(sock: socket.socket, worker_end: socket.socket, options: FrontOptions) -> None:
    """The front process's entry (forked by `rtb-bot serve`)."""
    worker_end.close()  # or the worker's exit would never look like the end of the link
    structlog.contextvars.bind_contextvars(process="front")
    raise SystemExit(asyncio.run(run_front(sock, options)))

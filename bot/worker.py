"""The worker's end of the link: requests the front acked go into the Bolt app, in order.

The front has already checked the signature and answered Slack; here each request is
dispatched through Bolt as before (Bolt checks the signature again, the listener's ack goes
nowhere) and its work runs as the runtime's tracked background tasks.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from multiprocessing.process import BaseProcess
from typing import Any

import structlog
from aiohttp import web
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import Runtime, create_runtime
from bot.front import build_front_app
from bot.link import WorkerLink, encode, open_stream, read_frames
from bot.requests import bolt_request
from bot.settings import Settings
from handlers.listeners import new_correlation_id
from handlers.render.general import render_not_handled
from handlers.render.i18n import use_locale
from handlers.replies import Reply
from ops.health import check_ready

log = structlog.get_logger(__name__)


async def run_worker(settings: Settings, sock: socket.socket, front: BaseProcess, mode: str) -> int:
    """Run the bot behind `front` until SIGTERM/SIGINT (0) or until the front fails (1)."""
    runtime = create_runtime(settings, run_schedules=True)
    await runtime.start()
    link = asyncio.create_task(serve_link(runtime, sock), name="link")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopped = asyncio.create_task(stop.wait())
    log.info("serving", mode=mode, front_pid=front.pid)
    await asyncio.wait({stopped, link}, return_when=asyncio.FIRST_COMPLETED)
    if not link.done():
        front.terminate()  # SIGTERM: it stops taking requests and hands over those it acked
    await asyncio.wait({link}, timeout=15)
    await asyncio.to_thread(front.join, 15)
    stopped.cancel()
    await runtime.stop()
    if front.exitcode != 0:
        log.error("the front stopped unexpectedly; the worker stops too", exitcode=front.exitcode)
        return 1
    return 0


async def serve_link(runtime: Runtime, sock: socket.socket) -> None:
    """Read the front's frames until it closes the link."""
    reader, writer = await open_stream(sock)
    try:
        async for frame in read_frames(reader):
            if frame.get("kind") == "request":
                runtime.deps.tasks.spawn(_dispatch(runtime, frame), name="slack request")
            elif frame.get("kind") == "ask":
                _answer(runtime, writer, frame)
    finally:
        writer.close()


def as_bolt_request(frame: dict[str, Any]) -> AsyncBoltRequest:
    headers = dict(frame.get("headers") or {})
    if frame.get("mode") == "socket_mode":
        return AsyncBoltRequest(mode="socket_mode", body=frame["payload"], headers=headers)
    return bolt_request(str(frame["body"]), headers, str(frame.get("query") or ""))


async def _dispatch(runtime: Runtime, frame: dict[str, Any]) -> None:
    request = as_bolt_request(frame)
    correlation_id = new_correlation_id()  # bound first: the app's middleware keeps it
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
        response = await runtime.app.async_dispatch(request)
        if response.status == 200:
            return
        body = request.body
        log.warning(
            "request not handled",
            status=response.status,
            kind=body.get("type") or body.get("command"),
            actions=[a.get("action_id") for a in body.get("actions") or [] if isinstance(a, dict)],
        )
        response_url = body.get("response_url")
        if isinstance(response_url, str) and response_url:
            user = str((body.get("user") or {}).get("id") or body.get("user_id") or "")
            await _tell_not_handled(runtime, user, response_url, response.status, correlation_id)


async def _tell_not_handled(
    runtime: Runtime, user: str, response_url: str, status: int, correlation_id: str
) -> None:
    """The front has acked, so Slack itself shows nothing: the user is told, in their language
    (the team's default for a request without a user, or when the database does not answer)."""
    with use_locale(await runtime.deps.languages.locale_for_user(user)):
        message = render_not_handled(status, correlation_id)
    reply = Reply(runtime.client, user, respond=AsyncRespond(response_url=response_url))
    await reply.answer(message)


def _answer(runtime: Runtime, writer: asyncio.StreamWriter, frame: dict[str, Any]) -> None:
    ask_id, question = frame.get("id"), frame.get("question")

    def reply(status: int, body: dict[str, Any]) -> None:
        if not writer.is_closing():
            writer.write(encode({"kind": "answer", "id": ask_id, "status": status, "body": body}))

    async def readiness() -> None:
        checks = await check_ready(runtime.backends)
        ready = all(c.reachable for c in checks)
        reply(200 if ready else 503, {"ready": ready, "checks": {c.name: c.detail for c in checks}})

    if question == "sync":  # answered in line: every earlier frame has been read
        reply(200, {})
    elif question == "ready":
        runtime.deps.tasks.spawn(readiness(), name="readiness")
    else:
        reply(400, {"error": f"unknown question {str(question)[:40]!r}"})  # internal: the link


@asynccontextmanager
async def in_process_front(runtime: Runtime) -> AsyncIterator[tuple[web.Application, WorkerLink]]:
    """The front's web app and the worker in one process, linked over a real socket pair: the
    same code as `rtb-bot serve` without the fork (the tests and bench/approvals use it)."""
    front_end, worker_end = socket.socketpair()
    worker = asyncio.create_task(serve_link(runtime, worker_end), name="link")
    link = await WorkerLink.open(front_end)
    secret = runtime.settings.secrets.slack_signing_secret or ""
    try:
        yield build_front_app(link, secret, serve_slack=True), link
    finally:
        await link.close()
        await asyncio.wait({worker}, timeout=10)

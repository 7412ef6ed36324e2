"""The link between the ack front and the worker: one JSON object per line over a socket pair.

The front (bot/front.py) writes one `request` frame for every Slack request it acked, and asks
the worker questions (`ready`, `sync`) that the worker answers on the same socket. The worker
(bot/worker.py) reads frames in order. So when the answer to `sync` arrives, every request the
front forwarded before it has reached the worker: that is how a test (or a drill) knows that
all acked work has started.

This module is the front's end and the frame format; it imports nothing heavy, because the
front is a small process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import structlog

log = structlog.get_logger(__name__)

# A Slack request is at most 1 MiB (the front's client_max_size); JSON escaping may grow it.
MAX_FRAME_BYTES = 4 * 1024 * 1024
# Forwarded but not yet taken by the worker beyond this means the worker is wedged: the front
# then refuses new requests (Slack shows the user an error) instead of acking work that would
# never run.
BACKLOG_LIMIT_BYTES = 8 * 1024 * 1024


def encode(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, separators=(",", ":")).encode() + b"\n"


async def read_frames(reader: asyncio.StreamReader) -> AsyncIterator[dict[str, Any]]:
    """Frames until the other end closes (or sends something that is not a frame)."""
    while True:
        try:
            line = await reader.readline()
        except (ValueError, ConnectionError) as exc:  # longer than the limit, or reset
            log.error("link broken", reason=type(exc).__name__)
            return
        if not line:
            return
        try:
            frame = json.loads(line)
        except ValueError:
            log.error("link sent a line that is not JSON", size=len(line))
            return
        if isinstance(frame, dict):
            yield frame


async def open_stream(
    sock: socket.socket,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_unix_connection(sock=sock, limit=MAX_FRAME_BYTES)


class WorkerLink:
    """The front's end: forward acked requests, ask the worker questions."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._answers = asyncio.create_task(self._read_answers(reader), name="link answers")
        self.forwarded = 0

    @classmethod
    async def open(cls, sock: socket.socket) -> WorkerLink:
        return cls(*await open_stream(sock))

    @property
    def alive(self) -> bool:
        return not self._answers.done() and not self._writer.is_closing()

    def forward(self, request: dict[str, Any]) -> bool:
        """Queue a request for the worker without waiting; False if it cannot take it."""
        if not self.alive:
            return False
        if self._writer.transport.get_write_buffer_size() > BACKLOG_LIMIT_BYTES:
            log.error("worker is not taking requests; refusing", backlog_limit=BACKLOG_LIMIT_BYTES)
            return False
        self._writer.write(encode({"kind": "request", **request}))
        self.forwarded += 1
        return True

    async def ask(self, question: str, timeout: float | None) -> dict[str, Any] | None:
        """The worker's answer (`{"status": ..., "body": ...}`), or None if none came in time."""
        if not self.alive:
            return None
        ask_id = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._waiting[ask_id] = answer
        self._writer.write(encode({"kind": "ask", "id": ask_id, "question": question}))
        try:
            return await asyncio.wait_for(answer, timeout)
        except (TimeoutError, ConnectionError):
            return None
        finally:
            self._waiting.pop(ask_id, None)

    async def sync(self, timeout: float = 10.0) -> None:
        """Return once the worker has read every request forwarded so far."""
        if await self.ask("sync", timeout) is None:
            raise TimeoutError(f"the worker did not read its requests within {timeout:g} s")

    async def started(self) -> bool:
        """Wait until the worker reads the link (it starts reading once it has started up);
        False if it went away first."""
        return await self.ask("sync", None) is not None

    async def gone(self) -> None:
        """Wait until the worker's end closes."""
        await asyncio.shield(self._answers)

    async def close(self) -> None:
        """Hand over what is still buffered, then close (the worker then sees the end)."""
        with contextlib.suppress(ConnectionError):
            await asyncio.wait_for(self._writer.drain(), 10)
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        await asyncio.wait({self._answers}, timeout=10)
        self._answers.cancel()

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        async for frame in read_frames(reader):
            waiting = self._waiting.get(int(frame.get("id", 0)))
            if frame.get("kind") == "answer" and waiting is not None and not waiting.done():
                waiting.set_result(frame)
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(ConnectionError("the worker closed the link"))

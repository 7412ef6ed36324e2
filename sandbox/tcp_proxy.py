"""A TCP proxy that can drop every connection on command: a database outage, for real.

The bot connects to the proxy instead of the server; `cut()` aborts every open connection (both
sides: the client sees its socket reset, the server sees its client gone, so PostgreSQL drops the
session and its advisory locks) and answers every new one by closing it, until `restore()`.
Nothing in the client library is patched: it meets the outage on its socket, as in production.

It runs on an event loop of its own in a daemon thread, so `cut()` can be called from any thread
— the test's, or a fake server's while it answers the request that should be the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable

_CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = 0
        self.dropped = 0  # connections aborted by cut()
        self.refused = 0  # connections closed at once while cut
        self.chunks_sent = 0  # client → server reads forwarded: one per round trip a client began
        self._cut = False
        self._trigger: bytes | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle (from any thread) --------------------------------------------------------

    def start(self) -> int:
        """Listen on a free port; returns it."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="tcp-proxy")
        self._thread.daemon = True
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the TCP proxy did not start")
        return self.port

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._call(self._close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    def cut(self) -> None:
        """Drop every open connection and refuse new ones; returns once they are all gone."""
        self._call(self._drop_all())

    def cut_when_sent(self, pattern: bytes) -> None:
        """Cut (as `cut()`) when a client next sends bytes holding `pattern` — e.g. the text
        of one SQL statement — before they reach the server. Once."""
        self._call(self._arm(pattern))

    def restore(self) -> None:
        """Accept and forward connections again."""
        self._call(self._accept_again())

    @property
    def is_cut(self) -> bool:
        return self._cut

    # -- the proxy's own loop ------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()
        self._server = loop.run_until_complete(asyncio.start_server(self._serve, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def _call(self, coroutine: object) -> None:
        assert self._loop is not None, "start() first"
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)  # type: ignore[arg-type]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, up_writer}
        self._open |= pair
        pipes = [
            asyncio.ensure_future(_pipe(reader, up_writer, self._passes)),
            asyncio.ensure_future(_pipe(up_reader, writer)),
        ]
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)  # one side went away
        finally:
            self._open -= pair
            for side in pair:
                side.transport.abort()
            for pipe in pipes:
                pipe.cancel()

    async def _drop_all(self) -> None:
        self._cut = True
        open_now = list(self._open)
        self.dropped += len(open_now) // 2
        for side in open_now:
            side.transport.abort()
        await asyncio.sleep(0)  # let the pipes see their sockets gone

    async def _passes(self, chunk: bytes) -> bool:
        """False (and everything cut) when the chunk holds the armed pattern."""
        if self._trigger is None or self._trigger not in chunk:
            self.chunks_sent += 1
            return True
        self._trigger = None
        await self._drop_all()
        return False

    async def _arm(self, pattern: bytes) -> None:
        self._trigger = pattern

    async def _accept_again(self) -> None:
        self._cut = False

    async def _close(self) -> None:
        await self._drop_all()
        if self._server is not None:
            self._server.close()


async def _pipe(
    source: asyncio.StreamReader,
    sink: asyncio.StreamWriter,
    passes: Callable[[bytes], Awaitable[bool]] | None = None,
) -> None:
    """Copy until either side goes away, or `passes` stops a chunk (the caller then closes
    both)."""
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await source.read(_CHUNK):
            if passes is not None and not await passes(chunk):
                return
            sink.write(chunk)
            await sink.drain()

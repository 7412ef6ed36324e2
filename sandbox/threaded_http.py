"""An aiohttp handler served from its own event loop in a daemon thread.

The fakes (Kubernetes, AWS) are used from synchronous test code and from the bot's own event
loop alike, so each runs its server on a loop of its own.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ThreadedHttpServer:
    def __init__(
        self,
        handler: Handler,
        *,
        name: str,
        host: str = "127.0.0.1",
        client_max_size: int = 16 * 1024 * 1024,
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.handler, self.name, self.host = handler, name, host
        self.client_max_size = client_max_size
        self.on_shutdown = on_shutdown
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Serve on a free port; returns the base URL."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(sock, ready), name=self.name, daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self.name} did not start")
        return f"http://{self.host}:{sock.getsockname()[1]}"

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()
        app = web.Application(client_max_size=self.client_max_size)
        app.router.add_route("*", "/{tail:.*}", self.handler)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown(runner))
            loop.close()

    async def _shutdown(self, runner: web.AppRunner) -> None:
        await runner.cleanup()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:  # e.g. handlers still sleeping in an injected delay
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.on_shutdown is not None:
            await self.on_shutdown()

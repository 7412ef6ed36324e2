"""Live BullMQ traffic for the sandbox: a job on `preview-queue` every 2 s and a worker for them.

With it, `/rtb queue preview-queue` shows `completed` growing; after `/rtb queue pause
preview-queue` it stops growing and `waiting` grows instead, until `/rtb queue resume`.

Both run on their own event loop in a daemon thread, so the sandbox works whatever the caller's
thread does. `stop()` never hangs: the worker is closed by `sandbox.bull_workers.close_worker`
and the thread is joined with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from bullmq import Job, Queue

from sandbox.bull_workers import close_worker, sandbox_worker
from sandbox.seed_queues import PREFIX, job_data

log = logging.getLogger(__name__)

QUEUE = "preview-queue"
JOB_NAME = "preview-deploy"
INTERVAL_SECONDS = 2.0
WORK_SECONDS = 0.2
CLOSE_TIMEOUT_SECONDS = 5.0
FIRST_JOB = 1000  # job data numbers after the seeded ones


class QueueTraffic:
    def __init__(
        self, redis_url: str, *, queue: str = QUEUE, interval: float = INTERVAL_SECONDS
    ) -> None:
        self.redis_url = redis_url
        self.queue = queue
        self.interval = interval
        self.added = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()

    def start(self) -> QueueTraffic:
        self._thread = threading.Thread(target=self._run, name="sandbox-queue-traffic", daemon=True)
        self._thread.start()
        if not self._ready.wait(CLOSE_TIMEOUT_SECONDS * 2):
            self.stop()
            raise RuntimeError(f"the sandbox's {self.queue} worker did not start")
        return self

    def stop(self) -> None:
        """Stop adding, close the worker (by force, with a timeout). Idempotent."""
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is not None and stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(stopping.set)
        if thread is not None:
            thread.join(CLOSE_TIMEOUT_SECONDS * 3)
        self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:
            log.exception("sandbox queue traffic stopped")
        finally:
            self._ready.set()  # a start() still waiting must not wait for nothing

    async def _main(self) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        options = {"connection": self.redis_url, "prefix": PREFIX}
        queue = Queue(self.queue, options)
        worker = sandbox_worker(self.queue, _complete, options)
        self._ready.set()
        try:
            await self._produce(queue, self._stopping)
        finally:
            with contextlib.suppress(Exception):
                await close_worker(worker)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(queue.close(), CLOSE_TIMEOUT_SECONDS)

    async def _produce(self, queue: Queue, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            data = job_data(JOB_NAME, FIRST_JOB + self.added)
            try:
                await queue.add(JOB_NAME, data, {"removeOnComplete": False, "removeOnFail": False})
                self.added += 1
            except Exception:  # Redis going away while the sandbox stops: keep it quiet
                log.debug("could not add a job to %s", self.queue, exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)


async def _complete(job: Job, token: str) -> dict[str, Any]:
    await asyncio.sleep(WORK_SECONDS)  # a short deploy, so `active` is sometimes 1
    return {"status": "deployed", "issueKey": job.data.get("issueKey")}

"""Python bullmq workers the sandbox runs (seeding failed jobs, the demo consumer).

bullmq 3.4 has two ways to stop a worker and both can misbehave: a graceful close waits for
its blocking fetch (up to `drainDelay`), and may wait forever if cancelled; a forced close can
race the Redis pool and print a traceback to stderr from inside bullmq. So workers here block
for at most a second (`drainDelay`), are closed gracefully, and by force only as a fallback.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bullmq import Worker

DRAIN_DELAY_SECONDS = 1
CLOSE_TIMEOUT_SECONDS = 5.0


def sandbox_worker(queue: str, processor: Any, options: dict[str, Any]) -> Worker:
    return Worker(queue, processor, {**options, "drainDelay": DRAIN_DELAY_SECONDS})


async def close_worker(worker: Worker, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
    """Graceful first; by force if that has not finished in time. Never hangs."""
    graceful = asyncio.ensure_future(worker.close())
    done, _ = await asyncio.wait({graceful}, timeout=timeout)
    if not done:
        forced = asyncio.ensure_future(worker.close(force=True))
        await asyncio.wait({forced}, timeout=timeout)

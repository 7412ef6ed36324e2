"""One shared Redis client for the whole process (BullMQ queues use it too)."""

from __future__ import annotations

import redis.asyncio as aioredis

from ops.backends.faults import describe_failure
from ops.errors import BackendUnavailable


def connect_redis(url: str, timeout: float) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=min(timeout, 3.0), decode_responses=True
    )


async def ping_redis(client: aioredis.Redis) -> None:
    try:
        await client.ping()
    except Exception as exc:
        reason = describe_failure(exc)
        if reason is None:
            raise
        raise BackendUnavailable("redis", reason) from exc

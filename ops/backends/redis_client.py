"""One shared Redis client for the whole process (BullMQ queues use it too)."""

from __future__ import annotations

import redis.asyncio as aioredis

from ops.backends.faults import describe_failure
from ops.errors import BackendUnavailable

MAX_CONNECTIONS = 32


def connect_redis(url: str, timeout: float) -> aioredis.Redis:
    """A bounded pool: a burst of commands waits for a connection instead of opening hundreds."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=min(timeout, 3.0),
        decode_responses=True,
    )
    return aioredis.Redis(connection_pool=pool)


async def ping_redis(client: aioredis.Redis) -> None:
    try:
        await client.ping()
    except Exception as exc:
        reason = describe_failure(exc)
        if reason is None:
            raise
        raise BackendUnavailable("redis", reason) from exc

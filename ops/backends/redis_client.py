"""One shared Redis client for the whole process (BullMQ queues use it too)."""

from __future__ import annotations

import redis.asyncio as aioredis

from ops.backends.classify import backend_error

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
        error = backend_error("redis", exc)
        if error is None:
            raise
        raise error from exc

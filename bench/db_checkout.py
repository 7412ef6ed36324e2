"""What checking a pooled connection on checkout costs (`ops.backends.db.Database`).

    .venv/bin/python bench/db_checkout.py        # a few seconds; prints Markdown, exits

The bot's pool checks each connection when it is taken (`AsyncConnectionPool.check_connection`,
one empty round trip), so that after a PostgreSQL outage the first query does not fail on a
dead idle connection. Measured here: `SELECT 1` through `Database.fetch` (checked) against the
same pool settings without the check, on a throwaway local PostgreSQL, one query at a time.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from ops.backends.db import Database
from sandbox.servers import PostgresServer

RUNS = 2000


async def timed(fetch_one: Callable[[], Awaitable[None]], runs: int = RUNS) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await fetch_one()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def main() -> None:
    with PostgresServer() as server:
        url = server.create_database("bench")
        checked = Database("bench", url)
        await checked.open()
        unchecked = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=8,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 3},
        )
        await unchecked.open()

        async def plain() -> None:
            async with unchecked.connection() as conn:
                await (await conn.execute("SELECT 1")).fetchall()

        async def with_check() -> None:
            await checked.fetch("SELECT 1")

        await timed(plain, 200)  # warm both
        await timed(with_check, 200)
        rows = [("no check", await timed(plain)), ("check on checkout", await timed(with_check))]
        await checked.close()
        await unchecked.close()
    print(f"`SELECT 1`, {RUNS} one at a time (ms)\n")
    print("| pool | p50 | p95 | p99 |\n|---|---:|---:|---:|")
    for name, samples in rows:
        cuts = statistics.quantiles(samples, n=100)
        print(f"| {name} | {cuts[49]:.3f} | {cuts[94]:.3f} | {cuts[98]:.3f} |")


if __name__ == "__main__":
    asyncio.run(main())

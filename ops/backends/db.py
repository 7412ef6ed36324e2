"""PostgreSQL: the bot's own schema (`rtb_bot`) and read-only access to the hub's tables."""

from __future__ import annotations

import asyncio
import select
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from ops.backends.classify import backend_error

SCHEMA = "rtb_bot"
MIGRATION_LOCK = 0x52_54_42_00  # pg_advisory_lock key: "RTB\0"

Row = dict[str, Any]


class Database:
    """A small pool; every query has a timeout and fails as BackendError(name, reason)."""

    def __init__(
        self, name: str, url: str, *, timeout: float = 5.0, min_size: int = 1, max_size: int = 8
    ) -> None:
        self.name = name
        self.timeout = timeout
        self._pool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=timeout,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 3},
            # After an outage the idle connections are dead: each is checked when taken, so the
            # first query after the database returns does not fail (`check_when_taken`).
            check=check_when_taken,
        )

    async def open(self) -> None:
        await self._pool.open(wait=False)

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Row]]:
        pooled = self._pool.connection(timeout=self.timeout)
        async with self.failures_as_unavailable(), pooled as conn:
            yield conn  # rows are dicts (row_factory=dict_row; the pool is typed so by its check)

    @asynccontextmanager
    async def failures_as_unavailable(self) -> AsyncIterator[None]:
        """A database failure inside the block (on a connection held since earlier, e.g. a
        lease) surfaces as BackendError, as it does through `connection()`."""
        try:
            yield
        except Exception as exc:
            error = backend_error(self.name, exc)
            if error is None:
                raise
            raise error from exc

    async def fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        async with self.connection() as conn:
            cursor = await asyncio.wait_for(conn.execute(sql, params), self.timeout)
            return await cursor.fetchall()

    async def fetch_one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        async with self.connection() as conn:
            cursor = await asyncio.wait_for(conn.execute(sql, params), self.timeout)
            return cursor.rowcount

    async def ping(self) -> None:
        await self.fetch("SELECT 1")


async def check_when_taken(conn: psycopg.AsyncConnection[Row]) -> None:
    """The pool's check of an idle connection, with a round trip only when its socket says
    something happened. A server that went away (a restart, a failover, a proxy cut) reset or
    closed the connection, so its socket reads as ready (EOF or an error), as it also does for
    a notice the server sent: then psycopg_pool's own check (an empty query) decides. A quiet
    socket is a live connection (a path gone silent without a reset fools both checks alike:
    the query's own timeout ends it), and costs nothing: checking every connection so was
    a second round trip on every query (`/rtb status` with the hub's PostgreSQL 500 ms away
    took 1,000 ms instead of 500, bench/status.py)."""
    if _quiet(conn):
        return
    await AsyncConnectionPool.check_connection(conn)


def _quiet(conn: psycopg.AsyncConnection[Row]) -> bool:
    if conn.closed:
        return False
    try:
        ready, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.Error):  # no socket any more: let the check decide
        return False
    return not ready


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped in ops/backends/migrations, in order."""
    folder = resources.files("ops.backends") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text("utf-8")))
    return sorted(found)


async def migrate(db: Database) -> list[str]:
    """Apply pending migrations under an advisory lock; returns the names applied here.

    Several replicas may start at once: the lock serialises them, and the second one finds
    every version already recorded and applies nothing.
    """
    async with db.connection() as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            return await _apply_pending(conn)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


async def _apply_pending(conn: psycopg.AsyncConnection[Row]) -> list[str]:
    pending = [m for m in migration_files() if m[0] not in await _applied_versions(conn)]
    if not pending:
        return []  # no DDL at all: the runtime role (no CREATE on the schema) starts too
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations ("  # internal: SQL
        "version int PRIMARY KEY, name text NOT NULL, "  # internal: SQL
        "applied_at timestamptz DEFAULT now())"
    )
    applied = []
    for version, name, sql in pending:
        async with conn.transaction():
            await conn.execute(sql.encode())  # our own files, not user input
            await conn.execute(
                f"INSERT INTO {SCHEMA}.schema_migrations"  # internal: SQL
                " (version, name) VALUES (%s, %s)",
                (version, name),
            )
        applied.append(name)
    return applied


async def _applied_versions(conn: psycopg.AsyncConnection[Row]) -> set[int]:
    cursor = await conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL AS present", (f"{SCHEMA}.schema_migrations",)
    )
    found = await cursor.fetchone()
    if not (found and found["present"]):
        return set()
    cursor = await conn.execute(f"SELECT version FROM {SCHEMA}.schema_migrations")
    return {row["version"] for row in await cursor.fetchall()}


async def owns_table(db: Database, table: str) -> bool:
    """Whether the connected role could rewrite `table` past its triggers: a superuser, its
    owner, or a member of its owner role (who may ALTER TABLE … DISABLE TRIGGER)."""
    row = await db.fetch_one(
        "SELECT r.rolsuper OR pg_has_role(current_user, c.relowner, 'USAGE') AS owns"
        " FROM pg_class c, pg_roles r WHERE c.oid = to_regclass(%s) AND r.rolname = current_user",
        (table,),
    )
    return bool(row and row["owns"])

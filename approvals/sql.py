"""The slice of a PostgreSQL connection this package uses (psycopg stays in ops/backends)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Row = dict[str, Any]


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    async def fetchall(self) -> list[Row]: ...

    async def fetchone(self) -> Row | None: ...


class Connection(Protocol):
    """An autocommit connection from `Database.connection()`; `transaction()` groups statements."""

    async def execute(self, query: str, params: Sequence[Any] | dict[str, Any] = ...) -> Any: ...

    @property
    def closed(self) -> bool:
        """True once the connection is lost (or closed): nothing more can run on it."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...


async def fetch_all(conn: Connection, query: str, params: Any = ()) -> list[Row]:
    cursor: Cursor = await conn.execute(query, params)
    return await cursor.fetchall()


async def fetch_one(conn: Connection, query: str, params: Any = ()) -> Row | None:
    cursor: Cursor = await conn.execute(query, params)
    return await cursor.fetchone()


def as_json(value: Any) -> str | None:
    """A value for a `%s::jsonb` placeholder."""
    return None if value is None else json.dumps(value, ensure_ascii=False)

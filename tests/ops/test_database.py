"""ops.backends.db.Database across a real outage (a TCP proxy that drops every connection)."""

from collections.abc import AsyncIterator

import pytest

from ops.backends.db import Database
from ops.errors import BackendError
from sandbox.tcp_proxy import TcpProxy


@pytest.fixture
async def proxied_db(
    pg_proxy: tuple[TcpProxy, str],
) -> AsyncIterator[tuple[Database, TcpProxy]]:
    proxy, url = pg_proxy
    db = Database("PostgreSQL (bot)", url, timeout=2.0)
    await db.open()
    try:
        yield db, proxy
    finally:
        await db.close()


async def test_the_first_query_after_an_outage_does_not_fail_on_a_dead_idle_connection(
    proxied_db,
):
    db, proxy = proxied_db
    assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}  # a connection now idles in the pool
    proxy.cut()  # e.g. PostgreSQL restarted while the bot was idle
    proxy.restore()
    assert await db.fetch_one("SELECT 2 AS two") == {"two": 2}
    proxy.cut()  # and while it is down, a query fails as BackendError
    with pytest.raises(BackendError):
        await db.fetch_one("SELECT 3 AS three")


async def test_a_query_on_a_live_idle_connection_is_one_round_trip(proxied_db):
    """The pool checks a connection it hands out only when its socket shows the server did
    something (bench/status.py: every hub query was two round trips)."""
    db, proxy = proxied_db
    assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}
    before = proxy.chunks_sent
    assert await db.fetch_one("SELECT 2 AS two") == {"two": 2}
    assert proxy.chunks_sent - before == 1

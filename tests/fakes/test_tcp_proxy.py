"""The TCP proxy used to cut the bot's database: it forwards, drops, refuses, and forwards again."""

import psycopg
import pytest


async def _pid(conn: psycopg.AsyncConnection) -> int:
    row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
    assert row is not None
    return int(row[0])


async def _session_ends(direct: psycopg.AsyncConnection, pid: int, polls: int = 1000) -> bool:
    for _ in range(polls):
        cursor = await direct.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
        if await cursor.fetchone() is None:
            return True
        await direct.execute("SELECT pg_sleep(0.01)")
    return False


async def test_a_cut_drops_open_connections_and_the_server_session(pg_proxy, pg_url):
    proxy, url = pg_proxy
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as direct:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
        pid = await _pid(conn)
        await conn.execute("SELECT pg_advisory_lock(42)")
        proxy.cut()
        with pytest.raises(psycopg.OperationalError):
            await conn.execute("SELECT 1")
        assert conn.closed and proxy.dropped == 1
        # PostgreSQL ends the session (when it notices the EOF), and its advisory lock with it.
        assert await _session_ends(direct, pid)
        locked = await (await direct.execute("SELECT pg_try_advisory_lock(42)")).fetchone()
        assert locked == (True,)


async def test_while_cut_new_connections_are_refused_until_restored(pg_proxy):
    proxy, url = pg_proxy
    proxy.cut()
    with pytest.raises(psycopg.OperationalError):
        await psycopg.AsyncConnection.connect(url, connect_timeout=3)
    assert proxy.refused == 1
    proxy.restore()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        assert await _pid(conn) > 0


async def test_cut_when_sent_drops_the_statement_before_the_server_sees_it(pg_proxy, pg_url):
    proxy, url = pg_proxy
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("CREATE TABLE marks (n int)")
        proxy.cut_when_sent(b"INSERT INTO marks")
        await conn.execute("SELECT 1")  # other statements pass
        with pytest.raises(psycopg.OperationalError):
            await conn.execute("INSERT INTO marks VALUES (1)")
    assert proxy.is_cut and proxy.dropped == 1
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as direct:
        assert await (await direct.execute("SELECT count(*) FROM marks")).fetchone() == (0,)

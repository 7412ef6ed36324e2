"""Quick checks that sandbox/servers.py really starts working servers."""

import socket

import psycopg
import redis

from sandbox.servers import PostgresServer, RedisServer


def test_redis_starts_answers_and_stops_cleanly():
    server = RedisServer()
    with server:
        client = redis.Redis.from_url(server.url)
        try:
            assert client.ping() is True
            client.set("k", "v")
            assert client.get("k") == b"v"
        finally:
            client.close()
        port = server.port
    server.stop()  # idempotent
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_postgres_create_database_and_select_1():
    with PostgresServer() as server:
        url = server.create_database("sandbox_check")
        assert url.endswith("/sandbox_check")
        with psycopg.connect(url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            assert conn.execute("select current_database()").fetchone() == ("sandbox_check",)
        server.drop_database("sandbox_check")
        with psycopg.connect(server.url) as conn:
            row = conn.execute(
                "select count(*) from pg_database where datname = 'sandbox_check'"
            ).fetchone()
            assert row == (0,)


def test_two_postgres_servers_run_at_once():
    with PostgresServer() as first, PostgresServer() as second:
        assert first.port != second.port
        with psycopg.connect(first.url) as a, psycopg.connect(second.url) as b:
            a.execute("create table only_here (x int)")
            a.commit()
            assert a.execute("select to_regclass('only_here')").fetchone() == ("only_here",)
            assert b.execute("select to_regclass('only_here')").fetchone() == (None,)

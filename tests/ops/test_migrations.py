import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from ops.backends.db import MIGRATION_LOCK, Database, migrate, migration_files

ROOT = Path(__file__).resolve().parents[2]


async def test_two_processes_starting_together_apply_migrations_once(pg_url):
    first, second = Database("a", pg_url), Database("b", pg_url)
    await first.open()
    await second.open()
    try:
        applied = await asyncio.gather(migrate(first), migrate(second))
        assert sorted(len(a) for a in applied) == [0, len(migration_files())]
        rows = await first.fetch("SELECT version FROM rtb_bot.schema_migrations")
        assert len(rows) == len(migration_files())
        assert await migrate(first) == []
    finally:
        await first.close()
        await second.close()


async def test_audit_events_are_append_only(pg_url):
    db = Database("bot", pg_url)
    await db.open()
    try:
        await migrate(db)
        await db.execute(
            "INSERT INTO rtb_bot.audit_events (actor, action, outcome, prev_hash, hash)"
            " VALUES ('U1', 'ping', 'ok', '', 'h')"
        )
        with pytest.raises(psycopg.errors.RaiseException):
            await db.execute("UPDATE rtb_bot.audit_events SET outcome = 'forged'")
        with pytest.raises(psycopg.errors.RaiseException):
            await db.execute("DELETE FROM rtb_bot.audit_events")
        with pytest.raises(psycopg.errors.RaiseException):
            await db.execute("TRUNCATE rtb_bot.audit_events")
        assert len(await db.fetch("SELECT id FROM rtb_bot.audit_events")) == 1
    finally:
        await db.close()


# Each process migrates once and prints what it applied.
_MIGRATE = """
import asyncio, json, sys
from ops.backends.db import Database, migrate

async def main():
    db = Database("bot", sys.argv[1])
    await db.open()
    try:
        print(json.dumps(await migrate(db)), flush=True)
    finally:
        await db.close()

asyncio.run(main())
"""


def test_two_real_processes_starting_together_apply_migrations_once(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as holder:
        # hold the migrations' lock, so that both processes are certainly waiting for it at once
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", _MIGRATE, pg_url],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            for _ in range(2)
        ]
        try:
            deadline = time.monotonic() + 30
            while waiting_for_the_lock(holder) < 2:
                assert time.monotonic() < deadline, "both processes should be waiting"
                time.sleep(0.05)
            holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
            applied = [json.loads(p.communicate(timeout=60)[0]) for p in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    assert sorted(len(names) for names in applied) == [0, len(migration_files())]
    with psycopg.connect(pg_url) as conn:
        versions = conn.execute("SELECT version FROM rtb_bot.schema_migrations").fetchall()
    assert len(versions) == len(migration_files())


def waiting_for_the_lock(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    ).fetchone()
    return int(row[0]) if row else 0

import asyncio

import psycopg
import pytest

from ops.backends.db import Database, migrate, migration_files


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

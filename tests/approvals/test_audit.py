"""The audit log's hash chain on a real PostgreSQL: appends from many writers, and
`rtb-bot audit verify` finding an edited and a removed row (as a superuser past the trigger)."""

import asyncio

import psycopg
import pytest

from approvals.audit import GENESIS, AuditEvent, AuditLog, verify_chain
from bot.cli import main
from ops.backends.db import Database, migrate
from sandbox.servers import free_port


async def _filled(url: str, count: int) -> None:
    """`count` events appended concurrently by two processes' worth of pools."""
    first, second = Database("a", url), Database("b", url)
    for db in (first, second):
        await db.open()
    try:
        await migrate(first)
        logs = (AuditLog(first), AuditLog(second))
        await asyncio.gather(
            *(
                logs[i % 2].append(
                    AuditEvent(
                        actor=f"U{i % 3}",
                        action="scale",
                        outcome="requested",
                        env="prd",
                        params={"replicas": i, "namespace": "preview-PROJ-7", "note": "한국어"},
                        approval_id=f"AR-{i:05d}",
                        detail={"rule": "policy preview.workload prd = approval"},
                    )
                )
                for i in range(count)
            )
        )
    finally:
        for db in (first, second):
            await db.close()


def _tamper(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE rtb_bot.audit_events DISABLE TRIGGER audit_events_no_update")
        conn.execute(statement)
        conn.execute("ALTER TABLE rtb_bot.audit_events ENABLE TRIGGER audit_events_no_update")


def _verify(url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", url)
    code = main(["audit", "verify"])
    return code, capsys.readouterr()


def test_concurrent_appends_form_one_chain(pg_url, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 20))
    with psycopg.connect(pg_url) as conn:
        chain = conn.execute("SELECT id, prev_hash, hash FROM rtb_bot.audit_events ORDER BY id")
        rows = chain.fetchall()
    assert len(rows) == 20 and rows[0][1] == GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, 20))
    code, out = _verify(pg_url, monkeypatch, capsys)
    assert (code, out.out.strip()) == (0, "audit log intact: 20 events")


def test_verify_finds_an_edited_row(pg_url, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 5))
    _tamper(pg_url, "UPDATE rtb_bot.audit_events SET outcome = 'approved' WHERE id = 3")
    code, out = _verify(pg_url, monkeypatch, capsys)
    assert (code, out.out.strip()) == (1, "broken at event #3: edited")


def test_verify_finds_an_edited_parameter(pg_url, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 5))
    _tamper(
        pg_url,
        "UPDATE rtb_bot.audit_events SET params = jsonb_set(params, '{replicas}', '50')"
        " WHERE id = 4",
    )
    assert _verify(pg_url, monkeypatch, capsys)[1].out.strip() == "broken at event #4: edited"


@pytest.mark.parametrize("removed", [1, 3])
def test_verify_finds_a_removed_row(pg_url, monkeypatch, capsys, removed):
    asyncio.run(_filled(pg_url, 5))
    _tamper(pg_url, f"DELETE FROM rtb_bot.audit_events WHERE id = {removed}")
    code, out = _verify(pg_url, monkeypatch, capsys)
    assert (code, out.out.strip()) == (1, f"broken at event #{removed + 1}: missing before")


def test_the_trigger_still_stops_ordinary_edits(pg_url):
    asyncio.run(_filled(pg_url, 1))
    with (
        psycopg.connect(pg_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.RaiseException),
    ):
        conn.execute("DELETE FROM rtb_bot.audit_events")


def test_verify_says_when_it_cannot_check(monkeypatch, capsys):
    code, out = _verify(f"postgresql://postgres@127.0.0.1:{free_port()}/x", monkeypatch, capsys)
    assert code == 2 and "cannot check the audit log" in out.err
    monkeypatch.delenv("DATABASE_URL")
    assert main(["audit", "verify"]) == 2


async def test_an_empty_log_is_intact(pg_url):
    db = Database("bot", pg_url)
    await db.open()
    try:
        await migrate(db)
        report = await verify_chain(db)
        assert (report.intact, report.events) == (True, 0)
    finally:
        await db.close()

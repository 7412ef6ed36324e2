"""The audit log's keyed chain on a real PostgreSQL: appends from many writers, and
`rtb-bot audit verify` naming the first bad row and why, for each way an insider with the owner
role (a superuser here, past the triggers) could rewrite history."""

import asyncio
import json
from datetime import UTC, datetime

import psycopg
import pytest

from approvals.audit import GENESIS, AuditEvent, AuditLog, event_hash, signed_message, verify_chain
from approvals.signing import SigningKeys
from bot.cli import main
from ops.backends.db import Database, migrate
from sandbox.servers import free_port
from tests.fixtures.bot import AUDIT_KEY_SECRET, AUDIT_KEYS

KEYS = SigningKeys.parse(AUDIT_KEYS)
NO_CONFIG = "/nonexistent/config.yml"


def _event(i: int) -> AuditEvent:
    return AuditEvent(
        actor=f"U{i % 3}",
        action="scale",
        outcome="requested",
        env="prd",
        params={"replicas": i, "namespace": "preview-PROJ-7", "note": "한국어"},
        approval_id=f"AR-{i:05d}",
        detail={"rule": "policy preview.workload prd = approval"},
    )


async def _filled(url: str, count: int, keys: SigningKeys = KEYS) -> None:
    """`count` events appended concurrently by two processes' worth of pools."""
    first, second = Database("a", url), Database("b", url)
    for db in (first, second):
        await db.open()
    try:
        await migrate(first)
        logs = (AuditLog(first, keys), AuditLog(second, keys))
        await asyncio.gather(*(logs[i % 2].append(_event(i)) for i in range(count)))
    finally:
        for db in (first, second):
            await db.close()


def _tamper(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE rtb_bot.audit_events DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(statement)
        conn.execute("ALTER TABLE rtb_bot.audit_events ENABLE TRIGGER USER")


def _rows(url: str) -> dict[int, dict]:
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        rows = conn.execute("SELECT * FROM rtb_bot.audit_events ORDER BY id").fetchall()
    return {row["id"]: row for row in rows}


def _as_event(row: dict) -> AuditEvent:
    fields = ("actor", "action", "outcome", "env", "params", "digest", "correlation_id")
    return AuditEvent(
        **{k: row[k] for k in fields}, approval_id=row["approval_id"], detail=row["detail"]
    )


def _resign(url: str, event_id: int, **changes: object) -> None:
    """What an insider holding the key does: edit a row and recompute its own HMAC."""
    row = {**_rows(url)[event_id], **changes}
    message = signed_message(
        row["prev_hash"], row["prev_id"], "t1", row["id"], row["at"], _as_event(row)
    )
    mac = KEYS.mac("t1", message)
    _tamper(
        url,
        f"UPDATE rtb_bot.audit_events SET id = {row['id']}, params = '{json.dumps(row['params'])}',"
        f" hash = '{mac}' WHERE id = {event_id}",
    )


def _verify(url, monkeypatch, capsys, *, keys=AUDIT_KEYS, config=NO_CONFIG):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AUDIT_HMAC_KEYS", keys)
    code = main(["--config", config, "audit", "verify"])
    return code, capsys.readouterr()


def _verdict(url, monkeypatch, capsys, **kwargs) -> tuple[int, str]:
    code, out = _verify(url, monkeypatch, capsys, **kwargs)
    return code, out.out.strip()


def test_concurrent_appends_form_one_keyed_chain(pg_url, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 20))
    rows = list(_rows(pg_url).values())
    assert len(rows) == 20 and rows[0]["prev_hash"] == GENESIS and rows[0]["prev_id"] is None
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, 20))
    assert all(rows[i]["prev_id"] == rows[i - 1]["id"] for i in range(1, 20))
    assert {row["key_id"] for row in rows} == {"t1"}
    assert AUDIT_KEY_SECRET not in json.dumps([str(v) for r in rows for v in r.values()])
    code, out = _verify(pg_url, monkeypatch, capsys)
    assert code == 0
    assert out.out.startswith("audit log intact: 20 events; anchors not checked")


def test_verify_finds_an_edited_row(pg_url, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 5))
    _tamper(pg_url, "UPDATE rtb_bot.audit_events SET outcome = 'approved' WHERE id = 3")
    assert _verdict(pg_url, monkeypatch, capsys) == (
        1,
        "broken at event #3: edited (its content or hash is not what was signed)",
    )


@pytest.mark.parametrize("edited", [4, 5])
def test_an_edit_with_an_unkeyed_hash_recomputed_is_found(pg_url, monkeypatch, capsys, edited):
    """The attack of the review: edit the parameters and recompute the SHA-256 chain hash (the
    newest row too, which left nothing after it to disagree)."""
    asyncio.run(_filled(pg_url, 5))
    row = _rows(pg_url)[edited]
    forged = {**row, "params": {**row["params"], "replicas": 50}}
    rehash = event_hash(row["prev_hash"], edited, row["at"], _as_event(forged))
    _tamper(
        pg_url,
        "UPDATE rtb_bot.audit_events SET params = jsonb_set(params, '{replicas}', '50'),"
        f" hash = '{rehash}' WHERE id = {edited}",
    )
    code, verdict = _verdict(pg_url, monkeypatch, capsys)
    assert (code, verdict.split(" (")[0]) == (1, f"broken at event #{edited}: edited")


def test_a_row_rehashed_with_the_key_is_named_not_the_next_one(pg_url, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 5))
    row = _rows(pg_url)[3]
    _resign(pg_url, 3, params={**row["params"], "replicas": 7})
    code, verdict = _verdict(pg_url, monkeypatch, capsys)
    assert (code, verdict.split(" (")[0]) == (1, "broken at event #3: edited")


@pytest.mark.parametrize("removed", [1, 3])
def test_verify_finds_a_removed_row(pg_url, monkeypatch, capsys, removed):
    asyncio.run(_filled(pg_url, 5))
    _tamper(pg_url, f"DELETE FROM rtb_bot.audit_events WHERE id = {removed}")
    assert _verdict(pg_url, monkeypatch, capsys) == (
        1,
        f"broken at event #{removed + 1}: missing before (the row it follows is gone)",
    )


def test_verify_finds_reordered_rows(pg_url, monkeypatch, capsys):
    """Rows 2 and 3 swapped, each re-signed under its new id by someone holding the key."""
    asyncio.run(_filled(pg_url, 5))
    _tamper(pg_url, "UPDATE rtb_bot.audit_events SET id = id + 100 WHERE id IN (2, 3)")
    _resign(pg_url, 102, id=3)
    _resign(pg_url, 103, id=2)
    code, verdict = _verdict(pg_url, monkeypatch, capsys)
    assert (code, verdict.split(" (")[0]) == (1, "broken at event #2: reordered")


def test_an_unkeyed_row_after_keyed_ones_is_a_forgery(pg_url, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 3))
    last = _rows(pg_url)[3]
    at = datetime.now(UTC)
    forged = event_hash(last["hash"], 4, at, _event(9))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO rtb_bot.audit_events (id, at, actor, env, action, params, outcome,"
            " approval_id, detail, prev_hash, hash) VALUES"
            " (4, %s, 'U0', 'prd', 'scale', %s, 'requested', 'AR-00009', %s, %s, %s)",
            (
                at,
                json.dumps(dict(_event(9).params)),
                json.dumps(dict(_event(9).detail)),
                last["hash"],
                forged,
            ),
        )
    code, verdict = _verdict(pg_url, monkeypatch, capsys)
    assert (code, verdict.split(" (")[0]) == (1, "broken at event #4: unsigned")


def test_rows_from_before_the_keys_still_verify(pg_url, monkeypatch, capsys):
    """An upgraded log: unkeyed rows first (as the bot wrote them), keyed rows after."""
    asyncio.run(_filled(pg_url, 0))
    prev, at = GENESIS, datetime.now(UTC)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for i in (1, 2):
            row_hash = event_hash(prev, i, at, _event(i))
            conn.execute(
                "INSERT INTO rtb_bot.audit_events (id, at, actor, env, action, params, outcome,"
                " approval_id, detail, prev_hash, hash)"
                " VALUES (%s, %s, %s, 'prd', 'scale', %s, 'requested', %s, %s, %s, %s)",
                (
                    i,
                    at,
                    f"U{i % 3}",
                    json.dumps(dict(_event(i).params)),
                    f"AR-{i:05d}",
                    json.dumps(dict(_event(i).detail)),
                    prev,
                    row_hash,
                ),
            )
            prev = row_hash
        conn.execute("SELECT setval(pg_get_serial_sequence('rtb_bot.audit_events', 'id'), 2)")
    asyncio.run(_filled(pg_url, 2))
    assert [r["key_id"] for r in _rows(pg_url).values()] == [None, None, "t1", "t1"]
    assert _verdict(pg_url, monkeypatch, capsys)[0] == 0


def test_key_rotation(pg_url, monkeypatch, capsys):
    old, new = "t1:" + AUDIT_KEY_SECRET, "t2:" + "n" * 32
    asyncio.run(_filled(pg_url, 2, SigningKeys.parse(old)))
    asyncio.run(_filled(pg_url, 2, SigningKeys.parse(f"{new},{old}")))
    assert [r["key_id"] for r in _rows(pg_url).values()] == ["t1", "t1", "t2", "t2"]
    assert _verdict(pg_url, monkeypatch, capsys, keys=f"{new},{old}")[0] == 0
    assert _verdict(pg_url, monkeypatch, capsys, keys=new) == (
        1,
        "broken at event #1: unknown key (signed with a key that is not in AUDIT_HMAC_KEYS)",
    )
    wrong = "t1:" + "w" * 32  # the right id, another secret
    assert _verdict(pg_url, monkeypatch, capsys, keys=wrong)[1].startswith(
        "broken at event #1: edited"
    )


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
    code, out = _verify("postgresql://postgres@127.0.0.1:1/x", monkeypatch, capsys, keys="k:short")
    assert code == 2 and "AUDIT_HMAC_KEYS: key k: its secret is shorter than 32" in out.err
    assert "short" not in out.err.replace("shorter", "")
    monkeypatch.delenv("DATABASE_URL")
    assert main(["audit", "verify"]) == 2


async def test_an_empty_log_is_intact(pg_url):
    db = Database("bot", pg_url)
    await db.open()
    try:
        await migrate(db)
        report = await verify_chain(db, KEYS)
        assert (report.intact, report.events, report.head) == (True, 0, None)
    finally:
        await db.close()

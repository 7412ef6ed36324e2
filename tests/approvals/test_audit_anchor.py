"""The chain's head anchored in CloudWatch Logs (moto, the int account): what the chain alone
cannot show — rows cut from the end, a chain rebuilt with the key — `audit verify` finds there;
a failed anchor changes nothing and is caught up."""

import asyncio
from pathlib import Path

import psycopg
import pytest
import yaml
from structlog.testing import capture_logs

from approvals.anchoring import ChainAnchor
from approvals.audit import AuditLog, ChainHead
from ops.backends.anchor_stream import AnchorStream
from ops.backends.aws import AwsSessions
from ops.backends.blocking import BlockingCalls
from ops.backends.db import Database
from ops.config import Config
from sandbox.seed_aws import ANCHOR_LOG_GROUP, ANCHOR_LOG_STREAM, assumed_session
from sandbox.seed_aws import seed_anchor_stream as create_anchor_stream
from tests.approvals.test_audit import KEYS, _filled, _tamper, _verdict, _verify
from tests.fixtures.bot import ACCOUNTS, make_config


@pytest.fixture
def config(aws_endpoint, aws_env) -> Config:
    return make_config(
        kube_urls=dict.fromkeys(ACCOUNTS, "http://127.0.0.1:9"),
        aws_endpoint=aws_endpoint,
        slack_api_url="http://127.0.0.1:9/api/",
        audit={"anchor": {"log_group": ANCHOR_LOG_GROUP, "log_stream": ANCHOR_LOG_STREAM}},
    )


@pytest.fixture
def config_file(config, tmp_path) -> str:
    path = Path(tmp_path) / "config.yml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)))
    return str(path)


@pytest.fixture
def stream(config, aws_endpoint) -> AnchorStream:
    create_anchor_stream(assumed_session(aws_endpoint, ACCOUNTS["int"]), aws_endpoint)
    assert config.audit.anchor is not None
    return AnchorStream(
        config.audit.anchor, AwsSessions(config, max_attempts=1), BlockingCalls(), 5
    )


def _anchor(url: str, stream: AnchorStream) -> ChainHead | None:
    async def sync() -> ChainHead | None:
        db = Database("bot", url)
        await db.open()
        try:
            return await ChainAnchor(AuditLog(db, KEYS), stream).sync()
        finally:
            await db.close()

    return asyncio.run(sync())


def test_an_anchored_chain_verifies(pg_url, stream, config_file, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 5))
    assert _anchor(pg_url, stream).seq == 5
    asyncio.run(_filled(pg_url, 2))  # newer than the anchor: fine
    assert _verdict(pg_url, monkeypatch, capsys, config=config_file) == (
        0,
        "audit log intact: 7 events, anchored up to #5",
    )
    assert [a.seq for a in asyncio.run(stream.read())] == [5]


def test_rows_cut_from_the_end_are_found(pg_url, stream, config_file, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 5))
    _anchor(pg_url, stream)
    _tamper(pg_url, "DELETE FROM rtb_bot.audit_events WHERE id >= 4")
    code, verdict = _verdict(pg_url, monkeypatch, capsys, config=config_file)
    assert code == 1
    assert verdict.startswith(
        "broken at event #5: cut (it was anchored and is gone (rows cut from the end); anchored 20"
    )


def test_a_cut_hidden_by_newer_rows_is_found(pg_url, stream, config_file, monkeypatch, capsys):
    """Rows cut, then the bot appended again: the chain itself is whole (#6 follows #3)."""
    asyncio.run(_filled(pg_url, 5))
    _anchor(pg_url, stream)
    _tamper(pg_url, "DELETE FROM rtb_bot.audit_events WHERE id >= 4")
    asyncio.run(_filled(pg_url, 2))
    code, verdict = _verdict(pg_url, monkeypatch, capsys, config=config_file)
    assert (code, verdict.split(" (")[0]) == (1, "broken at event #5: cut")


def test_a_chain_rebuilt_from_scratch_is_found(pg_url, stream, config_file, monkeypatch, capsys):
    """Everything removed and rewritten with the key, ids and all: only the anchor differs."""
    asyncio.run(_filled(pg_url, 3))
    _anchor(pg_url, stream)
    _tamper(
        pg_url,
        "DELETE FROM rtb_bot.audit_events",
        "SELECT setval(pg_get_serial_sequence('rtb_bot.audit_events', 'id'), 1, false)",
    )
    asyncio.run(_filled(pg_url, 3))
    code, verdict = _verdict(pg_url, monkeypatch, capsys, config=config_file)
    assert (code, verdict.split(" (")[0]) == (1, "broken at event #3: rebuilt")


def test_a_failed_anchor_changes_nothing_and_is_caught_up(pg_url, config, aws_endpoint):
    assert config.audit.anchor is not None
    stream = AnchorStream(
        config.audit.anchor, AwsSessions(config, max_attempts=1), BlockingCalls(), 5
    )
    asyncio.run(_filled(pg_url, 2))
    with capture_logs() as logs:
        assert _anchor(pg_url, stream) is None  # no log group yet: logged, not raised
    assert [(e["log_level"], e["event"]) for e in logs] == [
        ("warning", "could not anchor the audit chain; the next attempt catches up")
    ]
    assert logs[0]["backend"] == "CloudWatch Logs (audit anchor)"
    asyncio.run(_filled(pg_url, 1))
    create_anchor_stream(assumed_session(aws_endpoint, ACCOUNTS["int"]), aws_endpoint)
    assert _anchor(pg_url, stream) == ChainHead(3, _head_hash(pg_url))
    assert [a.seq for a in asyncio.run(stream.read())] == [3]


def test_verify_says_when_it_cannot_read_the_anchors(pg_url, config_file, monkeypatch, capsys):
    asyncio.run(_filled(pg_url, 1))  # the anchor stream was never created
    code, out = _verdict_err(pg_url, monkeypatch, capsys, config_file)
    assert code == 2 and out.startswith("cannot check the audit log: CloudWatch Logs (audit")


def _verdict_err(url, monkeypatch, capsys, config):
    code, out = _verify(url, monkeypatch, capsys, config=config)
    return code, out.err.strip().splitlines()[-1]  # after the in-process moto's request log


def _head_hash(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT hash FROM rtb_bot.audit_events ORDER BY id DESC").fetchone()
    assert row is not None
    return str(row[0])

"""The two database roles (README: Security): migrations as the owner, the bot as a member of
rtb_bot_runtime, which may append to and read the audit log and nothing more."""

import asyncio
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from approvals.audit import AuditEvent, AuditLog, verify_chain
from approvals.signing import SigningKeys
from ops.backends.db import Database, migrate, owns_table
from tests.fixtures.bot import AUDIT_KEYS

KEYS = SigningKeys.parse(AUDIT_KEYS)


def runtime_url(admin_url: str) -> str:
    """A login role in rtb_bot_runtime for this test's database (roles are cluster-wide)."""
    parts = urlsplit(admin_url)
    role = "app_" + parts.path.strip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN IN ROLE rtb_bot_runtime")
    return urlunsplit(parts._replace(netloc=parts.netloc.replace("postgres@", f"{role}@", 1)))


async def _migrated_with_one_event(url: str) -> None:
    db = Database("owner", url)
    await db.open()
    try:
        await migrate(db)
        await AuditLog(db, KEYS).append(AuditEvent("U1", "scale", "requested", "prd"))
    finally:
        await db.close()


@pytest.fixture
def as_runtime(pg_url: str) -> str:
    asyncio.run(_migrated_with_one_event(pg_url))
    return runtime_url(pg_url)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE rtb_bot.audit_events DISABLE TRIGGER audit_events_no_update",
        "ALTER TABLE rtb_bot.audit_events DISABLE TRIGGER USER",
        "UPDATE rtb_bot.audit_events SET outcome = 'approved'",
        "DELETE FROM rtb_bot.audit_events",
        "TRUNCATE rtb_bot.audit_events",
        "ALTER TABLE rtb_bot.audit_events ADD COLUMN note text",
        "DROP TABLE rtb_bot.audit_events",
        "CREATE TRIGGER t BEFORE INSERT ON rtb_bot.audit_events"
        " FOR EACH ROW EXECUTE FUNCTION rtb_bot.audit_events_append_only()",
        "ALTER TABLE rtb_bot.approval_requests DISABLE TRIGGER USER",
        "CREATE TABLE rtb_bot.shadow (id int)",
    ],
)
def test_the_runtime_role_cannot_rewrite_the_audit_log(as_runtime, pg_url, statement):
    with (
        psycopg.connect(as_runtime, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM rtb_bot.audit_events").fetchone() == (1,)


async def test_the_runtime_role_appends_verifies_and_keeps_its_working_state(as_runtime):
    db = Database("bot", as_runtime)
    await db.open()
    try:
        assert await migrate(db) == []  # nothing pending: no DDL attempted
        assert not await owns_table(db, "rtb_bot.audit_events")
        await AuditLog(db, KEYS).append(AuditEvent("U2", "scale", "refused", "prd"))
        assert (await verify_chain(db, KEYS)).events == 2
        await db.execute(
            "INSERT INTO rtb_bot.job_claims (job, period, claimed_by) VALUES ('d', 'p', 'me')"
        )
        await db.execute("DELETE FROM rtb_bot.job_claims")
        await db.execute("DELETE FROM rtb_bot.approval_drafts")
    finally:
        await db.close()


async def test_the_owner_is_told_apart(pg_url):
    await _migrated_with_one_event(pg_url)
    db = Database("owner", pg_url)
    await db.open()
    try:
        assert await owns_table(db, "rtb_bot.audit_events")
    finally:
        await db.close()

"""`rtb-bot audit verify`: check the audit log's keyed chain and its anchors; name the first bad
row and why.

Needs DATABASE_URL (any role that may read the log), AUDIT_HMAC_KEYS (every key rows were signed
with) and, for the anchors, the config file's `audit.anchor` and AWS credentials that may read
that stream. Exit 0 intact, 1 broken, 2 cannot check.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from approvals.anchoring import check_anchors
from approvals.audit import ChainReport, Problem, verify_chain
from approvals.signing import KeysError, SigningKeys
from bot.settings import ConfigError, load_config
from ops.backends.anchor_stream import AnchorStream
from ops.backends.aws import AwsSessions
from ops.backends.blocking import BlockingCalls
from ops.backends.db import Database
from ops.config import AuditAnchor, Config
from ops.errors import BackendError

WHY: dict[Problem, str] = {
    "edited": "its content or hash is not what was signed",
    "unsigned": "an unkeyed row after keyed ones (written past the bot)",
    "unknown key": "signed with a key that is not in AUDIT_HMAC_KEYS",
    "missing before": "the row it follows is gone",
    "reordered": "the row it follows is elsewhere in the chain",
    "cut": "it was anchored and is gone (rows cut from the end)",
    "rebuilt": "its hash is not the one anchored (the chain was rebuilt)",
}


def verify_audit_log(database_url: str, keys_text: str, config_path: str) -> int:
    """0 intact, 1 broken, 2 cannot check (no URL or keys, database or anchors unreachable)."""
    if not database_url:
        print("DATABASE_URL is not set (the bot's own PostgreSQL)", file=sys.stderr)
        return 2
    try:
        keys = SigningKeys.parse(keys_text)
    except KeysError as exc:
        print(f"AUDIT_HMAC_KEYS: {exc}", file=sys.stderr)
        return 2
    anchor, config, note = _anchor_settings(config_path)
    try:
        report = asyncio.run(_verify(database_url, keys, anchor, config))
    except BackendError as exc:
        print(f"cannot check the audit log: {exc.backend}: {exc.reason}", file=sys.stderr)
        return 2
    print(describe(report) + (f"; {note}" if note and report.intact else ""))
    return 0 if report.intact else 1


def describe(report: ChainReport) -> str:
    if report.intact:
        anchored = report.anchored_up_to
        return f"audit log intact: {report.events} events" + (
            f", anchored up to #{anchored}" if anchored is not None else ""
        )
    assert report.problem is not None
    when = f"; anchored {report.anchored_at}" if report.anchored_at else ""
    return f"broken at event #{report.broken_at}: {report.problem} ({WHY[report.problem]}{when})"


def _anchor_settings(path: str) -> tuple[AuditAnchor | None, Config | None, str | None]:
    """The anchor to check, or a note saying why the anchors are not checked."""
    if not Path(path).exists():
        return None, None, f"anchors not checked ({path} not found: pass --config)"
    try:
        config = load_config(path)
    except ConfigError as exc:
        return None, None, f"anchors not checked ({path}: {exc.problems[0]})"
    if config.audit.anchor is None:
        return None, config, "not anchored (no audit.anchor): rows cut from the end would not show"
    return config.audit.anchor, config, None


async def _verify(
    database_url: str, keys: SigningKeys, anchor: AuditAnchor | None, config: Config | None
) -> ChainReport:
    db = Database("PostgreSQL (bot)", database_url, timeout=5, max_size=1)
    await db.open()
    try:
        report = await verify_chain(db, keys)
        if anchor is None or config is None:
            return report
        blocking = BlockingCalls(max_workers=1)
        try:
            stream = AnchorStream(anchor, AwsSessions(config, max_attempts=2), blocking, 10)
            return await check_anchors(db, report, await stream.read())
        finally:
            blocking.close()
    finally:
        await db.close()

"""Retention of the push side's own state: what the outbox delivered and the claims of
periods long past are deleted after `keep`, so `rtb_bot` does not grow forever.

What is deleted, and what never is:
- Outbox rows delivered (Slack shows their newest version) more than `keep` ago, with the
  ticks of the digests among them (`rtb_bot.digest_ticks` names its message). Never a row
  still waiting to be sent or edited, never a row given up (it stays for whoever reads why),
  never a message whose thread still has a reply that is kept (the reply would lose the
  thread it waits for).
- Claims whose period is older than `keep` *and* older than its job's grace period: a claim
  is what stops a catch-up from running a period twice, so no claim is deleted while its
  period could still be caught up, whatever `keep` says. A job no longer in the table keeps
  its claims at least as long as the longest grace period of the jobs that are.
- The engine samples are pruned by the sampler itself (`ops.weekly.sampler`), the audit log
  is append-only and never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ops.backends.db import Database

_DELIVERED_BEFORE = """
SELECT o.key FROM rtb_bot.outbox o
WHERE o.sent_version >= o.version AND o.gave_up_at IS NULL AND o.sent_at < %(cutoff)s
  AND NOT EXISTS (
    SELECT 1 FROM rtb_bot.outbox reply WHERE reply.thread_key = o.key
      AND NOT (reply.sent_version >= reply.version AND reply.gave_up_at IS NULL
               AND reply.sent_at < %(cutoff)s))
FOR UPDATE OF o
"""
_DELETE_TICKS = "DELETE FROM rtb_bot.digest_ticks WHERE message_key = ANY(%(keys)s)"
_DELETE_MESSAGES = "DELETE FROM rtb_bot.outbox WHERE key = ANY(%(keys)s)"
_DELETE_CLAIMS = """
DELETE FROM rtb_bot.job_claims c
USING unnest(%(jobs)s::text[], %(cutoffs)s::timestamptz[]) AS k(job, cutoff)
WHERE c.job = k.job AND coalesce(c.scheduled_for, c.claimed_at) < k.cutoff
"""
_DELETE_OTHER_CLAIMS = """
DELETE FROM rtb_bot.job_claims
WHERE NOT (job = ANY(%(jobs)s)) AND coalesce(scheduled_for, claimed_at) < %(cutoff)s
"""


@dataclass(frozen=True)
class Pruned:
    """How many rows one housekeeping run deleted."""

    messages: int
    ticks: int
    claims: int


async def prune_push_state(
    db: Database, now: datetime, keep: timedelta, graces: Mapping[str, timedelta]
) -> Pruned:
    """Delete what `keep` allows (see the module's docstring). `graces`: every scheduled
    job's grace period, by job name."""
    messages, ticks = await _prune_outbox(db, now - keep)
    claims = await _prune_claims(db, now, keep, graces)
    return Pruned(messages, ticks, claims)


async def _prune_outbox(db: Database, cutoff: datetime) -> tuple[int, int]:
    """Ticks and their messages together, in one transaction (the ticks reference them)."""
    async with db.connection() as conn, conn.transaction():
        cursor = await conn.execute(_DELIVERED_BEFORE, {"cutoff": cutoff})
        keys = [row["key"] for row in await cursor.fetchall()]
        if not keys:
            return 0, 0
        ticks = await conn.execute(_DELETE_TICKS, {"keys": keys})
        messages = await conn.execute(_DELETE_MESSAGES, {"keys": keys})
        return messages.rowcount, ticks.rowcount


async def _prune_claims(
    db: Database, now: datetime, keep: timedelta, graces: Mapping[str, timedelta]
) -> int:
    jobs = sorted(graces)
    cutoffs = [now - max(keep, graces[job]) for job in jobs]
    longest = max(graces.values(), default=timedelta(0))
    known = await db.execute(_DELETE_CLAIMS, {"jobs": jobs, "cutoffs": cutoffs})
    other = await db.execute(
        _DELETE_OTHER_CLAIMS, {"jobs": jobs, "cutoff": now - max(keep, longest)}
    )
    return known + other

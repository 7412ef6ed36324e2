"""Which pod alerts were raised, in PostgreSQL: the claims that make an alert exactly-once
across replicas, and the folds that turn a crash-looping container into one counted alert.

Every replica watches the same pods and sees the same events. Before anything is posted, the
alert's identity (env, pod uid, kind, restart count) is claimed with one INSERT … ON CONFLICT
DO NOTHING (`rtb_bot.pod_alert_claims`): the replica whose row lands alerts, the others drop
the event. A replica that dies between its claim and its outbox row leaves a claim with no
alert: after `STALE_CLAIM` another replica that sees the fact again (its watch, or the list a
restarted replica starts with) takes the claim over and alerts, so the alert is not lost; the
outbox's key (one per restart) keeps a slow first claimer and the taker from posting twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ops.backends.db import Database

STALE_CLAIM = timedelta(minutes=2)  # a claim this old without its alert: its replica died


@dataclass(frozen=True)
class Fold:
    kills: int  # OOMKills counted in the alert so far (1: the one that opened it)
    opened_at: datetime
    facts: dict[str, Any]


class PodAlertStore:
    def __init__(self, db: Database, replica: str, clock: Callable[[], datetime]) -> None:
        self.db, self.replica, self.clock = db, replica, clock

    async def claim(self, env: str, pod_uid: str, kind: str, restart: int) -> bool:
        """True for the one caller (of any replica) that may alert about this fact, or that
        takes over a claim whose replica never wrote its alert (`STALE_CLAIM` ago)."""
        row = await self.db.fetch_one(
            "INSERT INTO rtb_bot.pod_alert_claims AS c (env, pod_uid, kind, restart, claimed_by,"
            " claimed_at) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (env, pod_uid, kind, restart) DO UPDATE"
            " SET claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at"
            " WHERE c.outbox_key IS NULL AND c.claimed_at < EXCLUDED.claimed_at - %s"
            " RETURNING 1",
            (env, pod_uid, kind, restart, self.replica, self.clock(), STALE_CLAIM),
        )
        return row is not None

    async def record_alert(
        self, env: str, pod_uid: str, kind: str, restart: int, outbox_key: str
    ) -> None:
        await self.db.execute(
            "UPDATE rtb_bot.pod_alert_claims SET outbox_key = %s"
            " WHERE env = %s AND pod_uid = %s AND kind = %s AND restart = %s",
            (outbox_key, env, pod_uid, kind, restart),
        )

    async def open_alert(
        self, fold_key: str, outbox_key: str, facts: dict[str, Any], window: timedelta
    ) -> str | None:
        """Open a new alert for `fold_key` unless one opened within `window` is still open:
        the new alert's outbox key, or None (fold into the open one: `fold`)."""
        now = self.clock()
        row = await self.db.fetch_one(
            "INSERT INTO rtb_bot.pod_alert_folds AS f (fold_key, outbox_key, opened_at, kills,"
            " facts) VALUES (%s, %s, %s, 1, %s::jsonb) ON CONFLICT (fold_key) DO UPDATE SET"
            " outbox_key = EXCLUDED.outbox_key, opened_at = EXCLUDED.opened_at, kills = 1,"
            " facts = EXCLUDED.facts WHERE f.opened_at <= %s RETURNING outbox_key",
            (fold_key, outbox_key, now, json.dumps(facts), now - window),
        )
        return None if row is None else str(row["outbox_key"])

    async def open_key(self, fold_key: str) -> str | None:
        row = await self.db.fetch_one(
            "SELECT outbox_key FROM rtb_bot.pod_alert_folds WHERE fold_key = %s", (fold_key,)
        )
        return None if row is None else str(row["outbox_key"])

    @staticmethod
    async def fold(conn: Any, fold_key: str, facts: dict[str, Any]) -> Fold:
        """One more kill in the open alert (on the caller's transaction: `Outbox.rewrite`)."""
        cursor = await conn.execute(
            "UPDATE rtb_bot.pod_alert_folds SET kills = kills + 1, facts = %s::jsonb"
            " WHERE fold_key = %s RETURNING kills, opened_at, facts",
            (json.dumps(facts), fold_key),
        )
        row = await cursor.fetchone()
        return Fold(int(row["kills"]), row["opened_at"], dict(row["facts"]))

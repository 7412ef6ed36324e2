"""Each user's chosen language (`/rtb lang`), in PostgreSQL (`rtb_bot.user_languages`).

Plain codes (`en`, `ko`) here: which codes exist and what they mean is the renderers' business;
the table's CHECK refuses anything else.
"""

from __future__ import annotations

from collections.abc import Collection

from ops.backends.db import Database


class UserLanguages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: str) -> str | None:
        """The user's stored choice, or None if they never chose."""
        row = await self.db.fetch_one(
            "SELECT locale FROM rtb_bot.user_languages WHERE user_id = %s", (user_id,)
        )
        return None if row is None else str(row["locale"])

    async def get_many(self, user_ids: Collection[str]) -> dict[str, str]:
        """The stored choices of `user_ids` in one query (those who never chose are absent)."""
        if not user_ids:
            return {}
        rows = await self.db.fetch(
            "SELECT user_id, locale FROM rtb_bot.user_languages WHERE user_id = ANY(%s)",
            (list(user_ids),),
        )
        return {str(row["user_id"]): str(row["locale"]) for row in rows}

    async def set(self, user_id: str, locale: str) -> None:
        await self.db.execute(
            "INSERT INTO rtb_bot.user_languages (user_id, locale) VALUES (%s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET locale = EXCLUDED.locale, updated_at = now()",
            (user_id, locale),
        )

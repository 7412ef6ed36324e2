"""Who reads in which language: each user's `/rtb lang`, each channel's from the config.

One resolver (`Languages`, on `Deps.languages`) answers both questions and never fails a
request: a user's choice is read from PostgreSQL with a 1 s timeout and kept for a minute
(another replica sees a change within that minute; this one at once), and a database that
does not answer gives the config's default (logged). `set_user_locale` is the Bolt middleware
that renders a whole request — its listener and every task that listener starts — in the
language of the user who sent it. What the bot posts on its own is rendered inside
`use_locale(languages.locale_for_channel(channel))` where it is posted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog

from handlers.render.i18n import Locale, as_locale, set_locale
from ops.config import CHANNEL_ALIASES, Channels, Config, Language
from ops.user_languages import UserLanguages

log = structlog.get_logger(__name__)

# The front acks on its own (bot/front.py), but every listener waits for this read: a database
# that hangs costs a request at most this, then the default for FALLBACK_SECONDS.
LOOKUP_SECONDS = 1.0
REMEMBER_SECONDS = 60.0  # a user's choice, read once a minute per replica
FALLBACK_SECONDS = 5.0  # after a failed read the default, then try again soon
MAX_REMEMBERED = 10_000  # users remembered at once per replica


class Languages:
    def __init__(
        self,
        language: Language,
        channels: Channels,
        store: UserLanguages,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default: Locale = as_locale(language.default) or "en"
        self._channels = channel_locales(language, channels)
        self._store, self._clock = store, clock
        self._remembered: dict[str, tuple[Locale, float]] = {}

    async def locale_for_user(self, user_id: str) -> Locale:
        if not user_id:
            return self.default
        now = self._clock()
        remembered = self._remembered.get(user_id)
        if remembered is not None and remembered[1] > now:
            return remembered[0]
        locale, keep = await self._read(user_id)
        self._remember(user_id, locale, now + keep)
        return locale

    def _remember(self, user_id: str, locale: Locale, until: float) -> None:
        if len(self._remembered) >= MAX_REMEMBERED:  # a team is far fewer: never grows unbounded
            self._remembered.clear()
        self._remembered[user_id] = (locale, until)

    async def locales_for_users(self, user_ids: Sequence[str]) -> dict[str, Locale]:
        """Each user's language, the ones not remembered read in one query (an escalation's
        leads, each DMed in theirs); a database that does not answer gives each of them the
        default, like `locale_for_user`."""
        now = self._clock()
        found: dict[str, Locale] = {}
        unread: list[str] = []
        for user_id in dict.fromkeys(user_ids):
            remembered = self._remembered.get(user_id)
            if not user_id:
                found[user_id] = self.default
            elif remembered is not None and remembered[1] > now:
                found[user_id] = remembered[0]
            else:
                unread.append(user_id)
        stored, keep = await self._read_many(unread)
        for user_id in unread:
            found[user_id] = as_locale(stored.get(user_id)) or self.default
            self._remember(user_id, found[user_id], now + keep)
        return found

    def locale_for_channel(self, channel: str) -> Locale:
        return self._channels.get(channel, self.default)

    async def stored_choice(self, user_id: str) -> Locale | None:
        """The user's own choice (None: they read the default); BackendError if the
        database does not answer (`/rtb lang` says so rather than guess)."""
        return as_locale(await self._store.get(user_id))

    async def choose(self, user_id: str, locale: Locale) -> None:
        await self._store.set(user_id, locale)
        self._remembered[user_id] = (locale, self._clock() + REMEMBER_SECONDS)

    async def _read(self, user_id: str) -> tuple[Locale, float]:
        try:
            stored = await asyncio.wait_for(self._store.get(user_id), LOOKUP_SECONDS)
        except Exception as exc:  # any failure: the default, never a failed request
            log.warning("user language not read, using the default", error=type(exc).__name__)
            return self.default, FALLBACK_SECONDS
        return as_locale(stored) or self.default, REMEMBER_SECONDS

    async def _read_many(self, user_ids: list[str]) -> tuple[Mapping[str, str], float]:
        if not user_ids:
            return {}, REMEMBER_SECONDS
        try:
            stored = await asyncio.wait_for(self._store.get_many(user_ids), LOOKUP_SECONDS)
        except Exception as exc:  # any failure: the default, never a failed post
            log.warning("user languages not read, using the default", error=type(exc).__name__)
            return {}, FALLBACK_SECONDS
        return stored, REMEMBER_SECONDS


def channel_locale(config: Config, channel: str) -> Locale:
    """The language of what the bot posts to `channel` on its own (no database needed)."""
    default = as_locale(config.language.default) or "en"
    return channel_locales(config.language, config.channels).get(channel, default)


def channel_locales(language: Language, channels: Channels) -> Mapping[str, Locale]:
    """`language.channels` by what the bot posts to: a key naming an alias of `channels`
    (`alerts`) stands for the channel configured there (`#rtb-alerts` or C0123)."""
    resolved: dict[str, Locale] = {}
    for key, code in language.channels.items():
        locale = as_locale(code) or "en"
        resolved[key] = locale
        if key in CHANNEL_ALIASES:
            resolved[str(getattr(channels, key))] = locale
    return resolved


async def set_user_locale(context: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
    """Bolt middleware: the request, and the tasks its listener starts, in its user's
    language. Registered after the one that puts `deps` in the context.

    Set, not scoped: Bolt runs the listeners after the middleware chain has returned (`next`
    only lets the chain go on), so a `with use_locale(...)` around `next()` would be over by
    then. Each request is dispatched in a task of its own (the worker link, Socket Mode, the
    HTTP adapter), whose context ends with it; the next request sets its own."""
    languages: Languages = context["deps"].languages
    set_locale(await languages.locale_for_user(context.get("user_id") or ""))
    await next()

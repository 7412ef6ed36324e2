"""Every word a user reads goes through here: gettext catalogs managed with Babel.

The msgids are the English text, so `en` needs no translation and a missing Korean entry shows
English rather than nothing. Catalogs: `handlers/render/locale/<locale>/LC_MESSAGES/rtb.po`
(sources, `scripts/i18n` extracts and updates them); the image compiles them to `.mo`, and a
checkout without `.mo` (or with one older than its `.po`) compiles the `.po` in memory at first
use, so a new catalog entry works on the next run without a build step.

Renderers stay pure functions of their data: the locale is the reader's, set once per request
(`use_locale`, from the user's `/rtb lang` or the config's default) or per channel for what the
bot posts on its own, and read here from a context variable that asyncio tasks inherit.

    _("Queue {queue} paused by {user}.", queue=name, user=mention)
    ngettext("{n} job waiting", "{n} jobs waiting", count)
    N_("Approval requests waiting for a team lead.")  # marked here, translated where shown
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from babel import Locale as BabelLocale

Locale = Literal["en", "ko"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
DOMAIN = "rtb"
LOCALE_DIR = Path(__file__).parent / "locale"
_BABEL_LOCALE = {"en": "en_US", "ko": "ko_KR"}
Unit = Literal["year", "month", "week", "day", "hour", "minute", "second"]

_current: ContextVar[Locale] = ContextVar("rtb_locale", default="en")


def current_locale() -> Locale:
    return _current.get()


@contextmanager
def use_locale(locale: Locale) -> Iterator[None]:
    """Render in `locale` inside the block (and in tasks created inside it)."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


def set_locale(locale: Locale) -> None:
    """For a request's whole handling (a Bolt middleware's task): no reset needed, the
    context variable dies with the request's context."""
    _current.set(locale)


def as_locale(text: str | None) -> Locale | None:
    """`ko`, `KO`, `ko-KR`, `ko_KR` → `ko`; anything else → None."""
    head = (text or "").replace("_", "-").split("-", 1)[0].lower()
    return next((locale for locale in LOCALES if locale == head), None)


def _(message: str, /, **params: object) -> str:
    """`message` in the current locale, `{name}` placeholders filled from `params`."""
    text = _translations(current_locale()).gettext(message)
    return text.format(**params) if params else text


def pgettext(context: str, message: str, /, **params: object) -> str:
    """`_` for a short word whose Korean depends on where it stands ("never" in the policy grid
    is 금지, as a schedule's next run 없음): the msgid is `message` within `context`."""
    text = _translations(current_locale()).pgettext(context, message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The form for `n` in the current locale (Korean has one); `{n}` is `n`, grouped."""
    text = _translations(current_locale()).ngettext(singular, plural, n)
    return text.format(n=number(n), **params)


def N_(message: str, /) -> str:
    """Marks `message` for the catalogs where it is defined (a command table's help); the
    renderer translates it where it is shown with `_(text)`."""
    return message


# -- numbers, money and durations in the reader's locale ---------------------------------------


def number(value: int | float | Decimal, *, digits: int | None = None) -> str:
    from babel.numbers import format_decimal

    pattern = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return str(format_decimal(value, format=pattern, locale=babel_locale()))


def money(amount: Decimal | float, currency: str = "USD") -> str:
    """$12.34 in English, US$12.34 in Korean (the team pays AWS in dollars)."""
    from babel.numbers import format_currency

    return str(format_currency(amount, currency, locale=babel_locale()))


def duration(span: timedelta, *, granularity: Unit = "second") -> str:
    """`5 min` / `5분`: Babel's short form, rounded to the largest unit."""
    from babel.dates import format_timedelta

    return str(
        format_timedelta(span, granularity=granularity, format="short", locale=babel_locale())
    )


def babel_locale() -> BabelLocale:
    """The current locale as Babel's object, parsed once per locale (a parse per call cost
    ~65 µs per number: bench/render_locale.py)."""
    return _parsed(current_locale())


@cache
def _parsed(locale: Locale) -> BabelLocale:
    from babel import Locale as Parsed

    return Parsed.parse(_BABEL_LOCALE[locale])


# -- catalogs ------------------------------------------------------------------------------------


@cache
def _translations(locale: Locale) -> gettext.NullTranslations:
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    if not po.exists():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_po(po)))


def compile_po(po: Path) -> bytes:
    """The `.mo` bytes of a `.po` (fuzzy entries left out, as `pybabel compile` does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()

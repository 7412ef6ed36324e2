"""The message catalogs' upkeep (`scripts/i18n`): extract, update, check, compile.

`update` extracts every `_()`, `ngettext()` and `N_()` in `handlers/` and `bot/` and merges
them into each locale's `.po`: new entries come in empty, entries no code uses any more go.
The files are written sorted by msgid with no source locations and fixed dates, so two branches
adding messages rarely touch the same lines and a merge is a union.
"""

from __future__ import annotations

import string
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from handlers.render.i18n import DOMAIN, LOCALE_DIR, LOCALES

ROOT = LOCALE_DIR.parents[2]
SOURCES = ("handlers", "bot")
_FIXED_DATE = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))  # no churn in the headers


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract_template() -> Catalog:
    template = Catalog(domain=DOMAIN, project="rtb-ops-bot", creation_date=_FIXED_DATE)
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / source,
            method_map=[("**.py", "python")],
            keywords=DEFAULT_KEYWORDS,
            comment_tags=("TRANSLATORS:",),
        ):
            template.add(
                message,
                None,
                [(f"{source}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def read_catalog(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN, creation_date=_FIXED_DATE)
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def update() -> None:
    template = extract_template()
    for locale in LOCALES:
        catalog = read_catalog(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _fixed_header(catalog)
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(out, catalog, width=100, no_location=True, sort_output=True)


def _fixed_header(catalog: Catalog) -> None:
    """The same header on every run and every machine (no dates, no version)."""
    catalog.fuzzy = False
    catalog.project, catalog.version = "rtb-ops-bot", ""
    catalog.copyright_holder = catalog.msgid_bugs_address = ""
    catalog.last_translator = catalog.language_team = "rtb-ops-bot team"
    catalog.creation_date = catalog.revision_date = _FIXED_DATE
    catalog.header_comment = (
        f"# rtb-ops-bot's words in {catalog.locale}. Write the msgstr; `scripts/i18n update`\n"
        "# adds and removes the entries (README: Languages)."
    )


def compile_all() -> None:
    for locale in LOCALES:
        path = po_path(locale)
        with path.with_suffix(".mo").open("wb") as out:
            write_mo(out, read_catalog(locale), use_fuzzy=False)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "update"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    else:
        print("usage: scripts/i18n [update|compile]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

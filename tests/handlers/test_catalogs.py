"""The catalogs are complete and the words live in them (issue 14).

* every `_()`/`ngettext()`/`N_()` in the code is in each `.po`, and nothing else is;
* every Korean entry is translated, with exactly the English placeholders;
* no English prose meant for users is written outside the catalogs (a ratchet: the modules
  not yet moved are listed, and a listed module that became clean must leave the list).
"""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path

import pytest

from handlers.render.catalogs import ROOT, extract_template, placeholders, read_catalog
from handlers.render.i18n import LOCALES, _, current_locale, ngettext, use_locale

PROSE = re.compile(r"[A-Za-z]{2,}[,.;:!?'’]?\s+[A-Za-z]{2,}")
TRANSLATING = {"_", "N_", "ngettext", "pgettext"}
# logging, task names, a programmer's error: words no user reads
NOT_FOR_USERS = {"debug", "info", "warning", "error", "exception", "critical", "bind", "spawn"}
PROGRAMMER_ERRORS = {"RuntimeError", "TypeError", "AssertionError", "NotImplementedError"}
# A line so marked holds no words to translate: "# internal" (a log field, a key, a lock's
# name), "# a name" (a proper name shown as is in every language: "AWS int CloudWatch").
UNTRANSLATED = ("# internal", "# a name")
# queries sent to PostgreSQL and CloudWatch Logs Insights are not words either
QUERY = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|GRANT|fields|filter|sort|stats)\b"
    r"|\b(FROM|WHERE|JOIN|ON CONFLICT|RETURNING|IS NOT NULL|coalesce)\b"
)
APP_PACKAGES = ("bot", "handlers", "approvals", "ops")
# Read by whoever deploys the bot (`rtb-bot check-config`, the CLI), not by Slack users: English.
# approvals/access_matrix.py: its only words are check-config's refusal of a core cell.
# bot/: the CLI and its settings, the audit verifier, `rtb-bot sandbox`'s export lines, the
# HTTP front's probe bodies, the worker link's exceptions (logged) and the migrations pool's
# name. The console (bot/console*.py) is a user's surface: its words are in the catalogs.
FOR_DEPLOYERS = {
    "approvals/access_matrix.py",
    "bot/app.py",
    "bot/audit_cli.py",
    "bot/cli.py",
    "bot/front.py",
    "bot/link.py",
    "bot/sandbox.py",
    "bot/settings.py",
    "handlers/render/catalogs.py",
    "ops/config/actions.py",
    "ops/config/alerts.py",
    "ops/config/approval_flow.py",
    "ops/config/environments.py",
    "ops/config/hub.py",
    "ops/config/incidents.py",
    "ops/config/mistakes.py",
    "ops/config/schedules.py",
    "ops/config/schema.py",
    "ops/config/shapes.py",
    "ops/config/slack.py",
}


def test_every_message_in_the_code_is_in_each_catalog_and_nothing_else():
    wanted = {m.id for m in extract_template() if m.id}
    for locale in LOCALES:
        have = {m.id for m in read_catalog(locale) if m.id}
        assert have == wanted, f"{locale}: run scripts/i18n update (and translate the new ko)"


def test_every_korean_entry_is_translated_with_the_english_placeholders():
    for message in read_catalog("ko"):
        if not message.id:
            continue
        ids = [str(i) for i in _as_tuple(message.id)]
        strings = [str(t or "") for t in _as_tuple(message.string)]
        assert all(strings) and not message.fuzzy, f"untranslated: {ids[0]!r}"
        wanted = set().union(*(placeholders(i) for i in ids))
        for text in strings:
            assert placeholders(text) == wanted, f"placeholders differ: {ids[0]!r} → {text!r}"


def _as_tuple(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _prose_outside_the_catalogs(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines, tree = source.splitlines(), ast.parse(source)
    skipped = TRANSLATING | NOT_FOR_USERS | PROGRAMMER_ERRORS
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in skipped:
            inside.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.keyword) and node.arg == "name":
            inside.update(id(n) for n in ast.walk(node.value))  # a task's or a lock's name
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            inside.add(id(node.value))  # docstrings
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in inside
        and PROSE.search(node.value)
        and not QUERY.search(node.value)
        and not any(mark in lines[node.lineno - 1] for mark in UNTRANSLATED)
    ]


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _user_facing_modules() -> list[Path]:
    return sorted(
        path
        for package in APP_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if str(path.relative_to(ROOT)) not in FOR_DEPLOYERS
    )


def test_no_english_prose_outside_the_catalogs():
    found = {
        str(path.relative_to(ROOT)): words
        for path in _user_facing_modules()
        if (words := _prose_outside_the_catalogs(path))
    }
    unmoved = {module: words[:3] for module, words in found.items()}
    assert not unmoved, f"English outside the catalogs (wrap in _()): {unmoved}"


def test_the_modules_for_deployers_exist():
    """A module renamed or split (ops/config.py became a package) must not leave a stale entry
    that no longer exempts anything while its successors go unlisted."""
    missing = sorted(path for path in FOR_DEPLOYERS if not (ROOT / path).is_file())
    assert not missing, f"FOR_DEPLOYERS names modules that are gone: {missing}"


def test_korean_has_one_plural_form_and_counts_are_grouped():
    with use_locale("ko"):
        assert ngettext("{n} job waiting", "{n} jobs waiting", 1200).startswith("1,200")
    assert ngettext("{n} job waiting", "{n} jobs waiting", 1) == "1 job waiting"


def test_the_locale_is_the_blocks_and_its_tasks():
    async def inside() -> str:
        return current_locale()

    async def scenario() -> list[str]:
        with use_locale("ko"):
            seen = [await asyncio.create_task(inside())]
        return [*seen, current_locale()]

    assert asyncio.run(scenario()) == ["ko", "en"]


@pytest.mark.parametrize("locale", LOCALES)
def test_an_unknown_message_shows_in_english(locale):
    with use_locale(locale):
        assert _("No such message {x}", x=1) == "No such message 1"

"""Golden-file checks for pure renderers: `UPDATE_GOLDEN=1 scripts/test` rewrites the files.

A golden file is written by the code it checks, so it proves only that the output did not
change. Each golden test therefore also asserts the message's key facts directly — numbers,
names, buttons — with `shown(message)` (every text a reader sees) and `buttons(message)`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from handlers.render.i18n import current_locale, use_locale
from handlers.render.message import Message

GOLDEN_DIR = Path(__file__).parent / "handlers" / "golden"


def assert_golden(name: str, message: Message) -> None:
    """English goldens are `golden/<name>.json`; a message rendered in another locale (inside
    `use_locale("ko")`) is checked against `golden/<locale>/<name>.json`."""
    locale = current_locale()
    path = GOLDEN_DIR / (f"{name}.json" if locale == "en" else f"{locale}/{name}.json")
    actual = json.dumps(message.to_json(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing: write it with UPDATE_GOLDEN=1, read it, commit it"
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs (UPDATE_GOLDEN=1 to accept)"
    assert len(message.blocks) <= 50, "Slack allows 50 blocks per message"


def korean(name: str, render: Callable[[], Message]) -> str:
    """`render()` in Korean, compared with `golden/ko/<name>.json`: the text it shows (for the
    facts the test asserts itself)."""
    with use_locale("ko"):
        message = render()
        assert_golden(name, message)
    return shown(message)


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def shown(message: Message) -> str:
    """Every text of the message (its notification text and each block's), one per line."""
    return "\n".join([message.text, *_texts(message.blocks_json())])


def buttons(message: Message) -> list[tuple[str, str, str]]:
    """(label, action_id, value) of every button, in order."""
    found: list[tuple[str, str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button":
                found.append((node["text"]["text"], node["action_id"], node.get("value", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks_json())
    return found

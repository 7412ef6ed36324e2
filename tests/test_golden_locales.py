"""Every message kind in both languages: each English golden file has its Korean counterpart
(`golden/ko/<name>.json`, rendered by the test that owns the English one), and both hold
Slack's Block Kit limits (the fake Slack's own rules, sandbox/slack_rules.py, plus the ones
only a wider language reaches: header and modal title lengths), leave no `{placeholder}`
unfilled, and the Korean one is not the English one again where the English has prose.

The .po side (no missing translation, the same placeholders in msgid and msgstr) is
tests/handlers/test_catalogs.py; this is the rendered side."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sandbox.slack_rules import message_block_problems, view_problems
from tests.golden import GOLDEN_DIR

KO_DIR = GOLDEN_DIR / "ko"
# Golden files that are not a message kind (none today): name -> why.
NOT_MESSAGES: dict[str, str] = {}
HEADER_CHARS = 150  # Slack: a header block's plain text
MODAL_TITLE_CHARS = 24  # Slack: a modal's title, submit and close labels
CONTEXT_ELEMENTS = 10
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
PROSE = re.compile(r"\b[A-Za-z]{3,}\b(?: [A-Za-z]{2,}\b){2,}")  # three English words in a row

ENGLISH = sorted(p.name for p in GOLDEN_DIR.glob("*.json"))
EVERY = sorted([*GOLDEN_DIR.glob("*.json"), *KO_DIR.glob("*.json")])


def texts(node: Any) -> list[str]:
    """Every `text` string of a golden (the notification text, each block's, each button's)."""
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for value in node.values() for t in texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in texts(item)]
    return []


def limit_problems(golden: dict[str, Any]) -> list[str]:
    if golden.get("type") == "modal":
        problems = view_problems(golden)
        for key in ("title", "submit", "close"):
            label = (golden.get(key) or {}).get("text", "")
            if len(label) > MODAL_TITLE_CHARS:
                problems.append(f"modal {key} longer than {MODAL_TITLE_CHARS}: {label!r}")
    else:
        problems = message_block_problems(golden["blocks"])
    for block in golden["blocks"]:
        if block.get("type") == "header" and len(block["text"]["text"]) > HEADER_CHARS:
            problems.append(f"header longer than {HEADER_CHARS}: {block['text']['text']!r}")
        if block.get("type") == "context" and len(block["elements"]) > CONTEXT_ELEMENTS:
            problems.append(f"context with more than {CONTEXT_ELEMENTS} elements")
    return problems


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_every_english_golden_has_its_korean_counterpart():
    missing = [
        name for name in ENGLISH if name not in NOT_MESSAGES and not (KO_DIR / name).exists()
    ]
    assert missing == [], "render these kinds in ko too (UPDATE_GOLDEN=1 in their tests)"
    assert set(NOT_MESSAGES) <= set(ENGLISH), "an exception for a golden that is gone"


@pytest.mark.parametrize("path", EVERY, ids=lambda p: str(p.relative_to(GOLDEN_DIR)))
def test_each_golden_holds_slacks_limits_and_fills_every_placeholder(path):
    golden = load(path)
    assert limit_problems(golden) == []
    unfilled = [hit for text in texts(golden) for hit in PLACEHOLDER.findall(text)]
    assert unfilled == []


@pytest.mark.parametrize("name", [n for n in ENGLISH if (KO_DIR / n).exists()])
def test_the_korean_golden_is_not_the_english_one_again(name):
    english, korean = load(GOLDEN_DIR / name), load(KO_DIR / name)
    if any(PROSE.search(text) for text in texts(english)):
        assert korean != english
        assert any(re.search("[가-힣]", text) for text in texts(korean))


def test_the_checks_see_what_they_look_for():
    too_wide = {"type": "header", "text": {"type": "plain_text", "text": "가" * 151}}
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "가" * 25}, "blocks": []}
    assert len(limit_problems({"blocks": [too_wide]})) == 1
    assert len(limit_problems(modal)) == 1
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert limit_problems({"blocks": [section]}) != []
    assert PLACEHOLDER.findall("*{id}* 대기 {n}개") == ["{id}", "{n}"]
    assert PROSE.search("has waited for a lead") and not PROSE.search("`/rtb status` int prd")

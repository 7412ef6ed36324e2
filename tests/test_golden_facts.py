"""A golden file is written by the code it checks, so it only proves that nothing changed:
every test that compares a message with one also asserts the message's key facts itself
(numbers, names, buttons; tests/golden.py's `shown` and `buttons`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

from handlers.render.message import Message
from tests.golden import GOLDEN_DIR, assert_golden, buttons, shown

TESTS = Path(__file__).resolve().parent


def calls_assert_golden(function: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call) and getattr(node.func, "id", None) == "assert_golden"
        for node in ast.walk(function)
    )


def golden_tests_without_an_assert(tree: ast.AST) -> list[str]:
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and calls_assert_golden(node)
        and not any(isinstance(inner, ast.Assert) for inner in ast.walk(node))
    ]


def test_every_golden_test_asserts_facts_of_its_own():
    bare = [
        f"{path.relative_to(TESTS)}::{name}"
        for path in sorted(TESTS.rglob("test_*.py"))
        if "node_modules" not in path.parts
        for name in golden_tests_without_an_assert(ast.parse(path.read_text()))
    ]
    assert bare == []


def test_the_check_sees_a_bare_golden_test():
    tree = ast.parse(
        "def test_bare():\n    assert_golden('x', render())\n"
        "def test_checked():\n    m = render()\n    assert_golden('x', m)\n    assert m.text\n"
    )
    assert golden_tests_without_an_assert(tree) == ["test_bare"]


def test_a_missing_golden_file_fails_and_is_not_written(monkeypatch):
    monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    with pytest.raises(AssertionError, match="missing"):
        assert_golden("no_such_golden_file", Message("hello"))
    assert not (GOLDEN_DIR / "no_such_golden_file.json").exists()


def test_shown_and_buttons_read_every_text_and_button():
    message = Message(
        "fallback",
        (
            SectionBlock(text="*5* waiting", fields=["left", "right"]),
            ActionsBlock(elements=[ButtonElement(text="Go", action_id="go", value="v1")]),
        ),
    )
    assert sorted(shown(message).splitlines()) == ["*5* waiting", "Go", "fallback", "left", "right"]
    assert buttons(message) == [("Go", "go", "v1")]

"""User errors are codes with data below the edge, worded here in every language (issue 14).

* every `Problem` has a message, renders in en and ko with every argument in it and no
  `{placeholder}` left, and survives `as_data` → `from_data` (results and audit events keep it);
* `ops/` and `approvals/` raise codes, never words (the edge's pre-worded text stays possible);
* a refusal raised below the edge reads the same in English as before, and in Korean.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from typing import Any

import pytest

from approvals.catalog import MUTATIONS
from approvals.policy import Reason, Why
from handlers.render.catalogs import ROOT
from handlers.render.decisions import mutation_summary
from handlers.render.error_messages import MESSAGES
from handlers.render.errors import error_text, invalid_text
from handlers.render.general import render_user_error
from handlers.render.i18n import LOCALES, use_locale
from handlers.render.stored_errors import stored_text
from ops.backends.faults import Details, Symptom, Unavailable
from ops.errors import Invalid, UserError
from ops.problems import Problem
from ops.suggestions import suggest

NESTED = UserError(Problem.QUEUE_NOT_PAUSED, queue="nested-queue")
WHEN = "2026-12-03T09:30:00Z"
# Only data in them: `name: backend: reason`
NO_WORDS = {Problem.PART_BACKEND_FAILED, Problem.PART_FAILED_AT_BACKEND, Problem.CLEANUP_BACKEND}
FAILURE = Unavailable("kubernetes int", "HTTP 503", details=Details(Symptom.HTTP_STATUS, 503))
TICKED_LISTS = {
    Problem.QUEUE_UNKNOWN,
    Problem.POD_NO_CONTAINER,
    Problem.NO_SUCH_CONTAINER,
    Problem.SEVERAL_CONTAINERS,
}


def _sample(code: Problem, name: str, kind: str) -> Any:
    if code is Problem.NOT_VALID and name == "what":
        return "queue_name"
    return {
        "int": 4321,
        "list": (f"{name}-1", f"{name}-2"),
        "error": NESTED,
        "errors": [NESTED],
        "char": 0,
        "step": suggest("queue resume", f"{name}-step"),
        "when": WHEN,
        "failure": FAILURE,
        "replicas": 1,
    }.get(kind, f"{name}-value")


def _expected(code: Problem, name: str, kind: str) -> str | None:
    """What of the sample must show in the sentence."""
    if code is Problem.NOT_VALID and name == "what":
        return None
    return {
        "int": "4,321",
        "list": _listed(code, name),
        "error": "nested-queue",
        "errors": "nested-queue",
        "char": "U+0000",
        "step": f"/rtb queue resume {name}-step",
        "when": "2026-12-03",
        "failure": "kubernetes int: HTTP 503",
        "replicas": "1",
    }.get(kind, f"{name}-value")


def _listed(code: Problem, name: str) -> str:
    ticked = code in TICKED_LISTS  # their lists are of names in `code`
    return f"`{name}-1`, `{name}-2`" if ticked else f"{name}-1, {name}-2"


def _error(code: Problem) -> UserError:
    return UserError(code, **{n: _sample(code, n, k) for n, k in code.kinds.items()})


def test_every_code_has_words():
    assert set(MESSAGES) == set(Problem)


@pytest.mark.parametrize("code", list(Problem), ids=lambda c: c.code)
def test_every_code_renders_in_both_languages_with_every_argument(code):
    error = _error(code)
    said = {}
    for locale in LOCALES:
        with use_locale(locale):
            said[locale] = error_text(error)
        text = said[locale]
        assert text.strip() and "{" not in text and "}" not in text, (locale, text)
        for name, kind in code.kinds.items():
            shown = _expected(code, name, kind)
            assert shown is None or shown in text, (locale, name, text)
    assert said["ko"] != said["en"] or code in NO_WORDS, f"{code.code} is not translated"


@pytest.mark.parametrize("code", list(Problem), ids=lambda c: c.code)
def test_every_code_survives_storage(code):
    error = _error(code)
    back = UserError.from_data(error.as_data())
    assert back.code is code and back.as_data() == error.as_data()
    assert stored_text(error.as_data()) == error_text(error)


def test_a_code_takes_exactly_its_arguments():
    with pytest.raises(TypeError):
        UserError(Problem.QUEUE_NOT_PAUSED)
    with pytest.raises(TypeError):
        UserError(Problem.QUEUE_NOT_PAUSED, queue="q", env="int")


def test_the_edge_may_still_raise_worded_text():
    worded = UserError("Already worded.", usage="/rtb queue <name>")
    assert error_text(worded) == "Already worded." and worded.code is None
    assert stored_text(worded.as_data()) == "Already worded."
    assert render_user_error(worded).text == (
        ":warning: Already worded.\nUsage: `/rtb queue &lt;name&gt;`"
    )


def test_a_parsers_refusal_is_worded_in_each_language():
    refused = Invalid(Problem.ISSUE_KEY_SHAPE)
    assert isinstance(refused, ValueError)
    assert invalid_text(refused) == "must be a Jira issue key like PROJ-123"
    with use_locale("ko"):
        assert invalid_text(refused) == "PROJ-123 같은 Jira 이슈 키여야 합니다"
    assert invalid_text(ValueError("must be a whole number")) == "must be a whole number"


def test_older_results_keep_their_text():
    assert stored_text("kubernetes int: HTTP 500") == "kubernetes int: HTTP 500"


def test_a_time_argument_is_shown_to_the_minute():
    expires = datetime(2026, 12, 3, 9, 30, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    exists = UserError(Problem.PREVIEW_EXISTS_UNTIL, env="int", namespace="p", expires=expires)
    assert error_text(exists) == "int: `p` already exists (expires 2026-12-03 09:30 UTC)."
    with use_locale("ko"):
        assert error_text(exists) == "int: `p`가 이미 있습니다(2026-12-03 09:30 UTC 만료)."


def _worded_raises(path) -> list[int]:
    """Lines of `UserError(...)`/`Invalid(...)` calls whose first argument is not a Problem."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or getattr(node.func, "id", "") not in (
            "UserError",
            "Invalid",
        ):
            continue
        first = node.args[0] if node.args else None
        coded = isinstance(first, ast.Attribute) and getattr(first.value, "id", "") == "Problem"
        if not coded and not isinstance(first, ast.Name | ast.Call | ast.IfExp):
            found.append(node.lineno)  # a literal, an f-string, a concatenation: words
    return found


def test_ops_and_approvals_raise_codes_not_words():
    worded = {
        str(path.relative_to(ROOT)): lines
        for package in ("ops", "approvals")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := _worded_raises(path))
    }
    assert worded == {}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_change_the_gate_runs_says_what_it_does_in_both_languages(mutation):
    said = {}
    for locale in LOCALES:
        with use_locale(locale):
            said[locale] = mutation_summary(mutation)
    assert said["en"] != mutation and said["ko"] != said["en"]


@pytest.mark.parametrize("why", list(Why))
def test_every_policy_reason_is_worded_in_both_languages(why):
    reason = Reason(why, "prd", "hub.scale", ("C_OPS",))
    said = {}
    for locale in LOCALES:
        with use_locale(locale):
            said[locale] = stored_text(reason.as_data())
            assert "{" not in said[locale]
    assert said["ko"] != said["en"]
    assert Reason.from_data(reason.as_data()) == reason

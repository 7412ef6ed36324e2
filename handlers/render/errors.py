"""The words of every user error (`ops.problems.Problem`), in the reader's language.

`error_text(error)` is what a user reads for a `UserError` raised anywhere below the edge (or
the edge's own pre-worded text, as written); `invalid_text(exc)` the reason a parser gave for
a value it refused (an `Invalid`, or a plain ValueError of the edge's own parsers). Arguments
are formatted here by their kind (`Problem` declares it): numbers per locale, lists joined,
a nested cause worded in turn, a next step as the command line a user types; the sentences
themselves are in `handlers/render/error_messages.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.render.decisions import action_label
from handlers.render.error_messages import MESSAGES
from handlers.render.failure_words import details_text
from handlers.render.i18n import _, ngettext, number
from handlers.render.suggestions import command_line
from ops.errors import BackendError, Cause, Invalid, UserError
from ops.problems import Problem
from ops.suggestions import Suggestion


def error_text(error: UserError) -> str:
    """The sentence for `error` (not escaped: the caller escapes it for Slack)."""
    if error.code is None:
        return error.text or ""
    return _words(error.code, error.params)


def invalid_text(exc: ValueError) -> str:
    """Why a parser refused a value: `must be a Jira issue key like PROJ-123`."""
    return _words(exc.code, exc.params) if isinstance(exc, Invalid) else str(exc)


def cause_text(cause: Cause) -> str:
    """A nested cause: a user error, or a parser's refusal."""
    return error_text(cause) if isinstance(cause, UserError) else invalid_text(cause)


def character_name(code_point: int) -> str:
    """A character the database cannot store, named for a person."""
    code = f"U+{code_point:04X}"
    if code_point == 0:
        return _("a NUL character ({code})", code=code)
    return _("an invalid character ({code}, half of a UTF-16 surrogate pair)", code=code)


def _words(code: Problem, params: Mapping[str, Any]) -> str:
    shown = {name: _shown(code.kinds[name], value) for name, value in params.items()}
    return MESSAGES[code](shown)


def _shown(kind: str, value: Any) -> Any:
    if kind == "int":
        return number(value)
    if kind == "list":
        return ", ".join(str(v) for v in value)
    if kind == "error":
        return cause_text(value)
    if kind == "errors":
        return [cause_text(v) for v in value]
    if kind == "char":
        return character_name(value)
    if kind == "action":
        return action_label(value)
    if kind == "failure":  # a BackendError, or the text of a row stored before it was data
        if isinstance(value, BackendError):  # failures.failure_line's words (it imports us)
            return f"{value.backend}: {details_text(value.details, value.reason)}"
        return str(value)
    if kind == "replicas":
        return ngettext("{n} replica", "{n} replicas", value)
    if kind == "step":
        return command_line(value) if isinstance(value, Suggestion) else str(value)
    return value

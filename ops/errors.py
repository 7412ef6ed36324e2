"""The two kinds of error the bot knows (STYLE.md rule 6).

A `UserError` is the user's to fix or to know. Below the edge (`ops/`, `approvals/`) it is data:
a `Problem` code and its arguments (`UserError(Problem.QUEUE_NOT_PAUSED, queue=name)`); the
words live in `handlers/render/errors.py`, in the reader's language. At the edge, a handler that
already holds the words (`UserError(_("…"))`) passes them as text: the one way to raise
pre-rendered text, shown as written (a test keeps `ops/` and `approvals/` to codes).
Anything else is a bug or an outage: the user sees a short message with a correlation id,
the details go to the log only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ops.backends.faults import BackendError, Details, Symptom
from ops.problems import Problem
from ops.suggestions import Suggestion

# A backend's failures are typed in `ops/backends/faults.py` (NotFound, Conflict, …); the base
# and its data are named here too, beside the user's errors, for the layers that catch both.
__all__ = ["BackendError", "Details", "Problem", "Symptom", "UserError"]


class UserError(Exception):
    """A refusal or a mistake meant for the person who asked.

    `code` and `params` say what it is (data, stored as such in a result or the audit log:
    `as_data`); `text` is set instead only for words an edge handler wrote itself. `usage` is
    the command's usage line (data too: it is the syntax, the same in every language).
    A param may be a number, a text, a list of texts, or another `UserError` (a cause).
    """

    def __init__(self, what: Problem | str, /, *, usage: str | None = None, **params: Any) -> None:
        code, text = (None, what) if isinstance(what, str) else (what, None)
        if code is not None:
            _check_params(code, params)
        super().__init__(what if code is None else code.code)
        self.code = code
        self.text = text
        self.params: Mapping[str, Any] = params
        self.usage = usage

    def __str__(self) -> str:  # for logs and tests: the code and its data, never words
        return self.text or "" if self.code is None else _coded(self.code, self.params)

    @property
    def message(self) -> str:
        """Transitional, for `ops/cluster.py` and `ops/rollouts.py` (being split this round):
        the worded text, or the code and its data. New code keeps the error itself."""
        return str(self)

    def as_data(self) -> dict[str, Any]:
        """Plain JSON for a stored result or an audit event (`from_data` reads it back)."""
        if self.code is None:
            return {"text": self.text}
        return {"code": self.code.code, "params": _params_as_data(self.params)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> UserError:
        if "code" not in data:
            return cls(str(data.get("text", "")))
        code = Problem.by_code(str(data["code"]))
        return cls(code, **_params_from_data(code, data.get("params") or {}))


class Invalid(ValueError):
    """A value a user typed that a parser refuses (`queue_name`, `issue_key`…): a ValueError
    (command-table parsers raise one) with a code instead of words."""

    def __init__(self, code: Problem, /, **params: Any) -> None:
        _check_params(code, params)
        super().__init__(code.code)
        self.code = code
        self.params: Mapping[str, Any] = params

    def __str__(self) -> str:
        return _coded(self.code, self.params)

    def as_data(self) -> dict[str, Any]:
        return {"code": self.code.code, "params": _params_as_data(self.params), "invalid": True}


# A ValueError that is not (yet) an `Invalid` carries a parser's own words: the edge's parsers
# (`handlers/spec.py`) and the ones not converted yet. It is kept as its text.
Cause = UserError | ValueError


def cause_from_data(data: Mapping[str, Any]) -> Cause:
    if not data.get("invalid"):
        return UserError.from_data(data)
    code = Problem.by_code(str(data["code"]))
    return Invalid(code, **_params_from_data(code, data.get("params") or {}))


def _check_params(code: Problem, params: Mapping[str, Any]) -> None:
    if set(params) != set(code.kinds):
        raise TypeError(f"{code.name} takes {sorted(code.kinds)}, not {sorted(params)}")


def _coded(code: Problem, params: Mapping[str, Any]) -> str:
    return f"{code.code} {_params_as_data(params)}"


def _params_as_data(params: Mapping[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, UserError | Invalid | BackendError):
            return value.as_data()
        if isinstance(value, ValueError):
            return {"text": str(value)}
        if isinstance(value, Suggestion):
            return {"command": value.command, "args": value.args, "flags": value.flags}
        return [plain(v) for v in value] if isinstance(value, list | tuple) else value

    return {name: plain(value) for name, value in params.items()}


def _params_from_data(code: Problem, params: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _param_from_data(code.kinds.get(name), value) for name, value in params.items()}


def _param_from_data(kind: str | None, value: Any) -> Any:
    if kind == "error":
        return cause_from_data(value)
    if kind == "errors":
        return [cause_from_data(v) for v in value]
    if kind == "failure":  # a backend's failure; text in rows stored before it was data
        return BackendError.from_data(value) if isinstance(value, Mapping) else value
    if kind == "step":
        flags = tuple((name, flag) for name, flag in value["flags"])
        return Suggestion(value["command"], tuple(value["args"]), flags)
    return value

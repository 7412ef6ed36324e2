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
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ops.problems import Problem
from ops.suggestions import Suggestion

__all__ = ["BackendError", "Fault", "Problem", "UserError"]


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
        if isinstance(value, UserError | Invalid):
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
    if kind == "step":
        flags = tuple((name, flag) for name, flag in value["flags"])
        return Suggestion(value["command"], tuple(value["args"]), flags)
    return value


class Fault(Enum):
    """What went wrong at a backend, for code to decide on (never by reading `reason`)."""

    NOT_FOUND = "not found"  # internal: for code and logs, never shown
    CONFLICT = "conflict"  # changed meanwhile, already exists, a precondition failed
    FORBIDDEN = "forbidden"  # the bot's identity lacks the permission
    INVALID = "invalid"  # the backend rejected the request as such
    UNAVAILABLE = "unavailable"  # down, unreachable, throttled, failing (5xx)
    TIMED_OUT = "timed out"  # internal: a log field


class Symptom(Enum):
    """What a reader is told about a failure (`handlers/render/failures.py` words it), with
    `Details`' status, code and seconds; `reason` stays the English of the log."""

    DESCRIBED = "described"  # only `reason`: an adapter's own sentence, not yet data
    HTTP_STATUS = "http_status"  # status, code = the reason phrase ("Forbidden") or ""
    SERVICE_ERROR = "service_error"  # code = the service's error code, status when known
    CANNOT_CONNECT = "cannot_connect"
    CONNECTION_FAILED = "connection_failed"
    TLS_OR_PROTOCOL = "tls_or_protocol"
    TIMED_OUT = "timed_out"  # seconds when the bot's own bound fired
    CONNECT_TIMED_OUT = "connect_timed_out"
    READ_TIMED_OUT = "read_timed_out"
    NO_ANSWER = "no_answer"  # within `seconds`
    NO_CREDENTIALS = "no_credentials"
    NO_DATAPOINTS = "no_datapoints"  # in the last `seconds` (a metric nobody reported)
    QUERY_ENDED = "query_ended"  # code = the status a Logs Insights query ended with
    COMMAND_REFUSED = "command_refused"  # Redis answered with an error: nothing ran
    STATEMENT_TIMEOUT = "statement_timeout"
    POOL_TIMEOUT = "pool_timeout"
    CLIENT_ERROR = "client_error"  # code = the client library's exception name
    REQUEST_FAILED = "request_failed"  # code = the HTTP client's exception name
    IO_ERROR = "io_error"  # code = the exception name
    UNEXPECTED = "unexpected"  # a bug: the details are in the bot's log


@dataclass(frozen=True)
class Details:
    """The facts a failure's words need; `Symptom.DESCRIBED` when there are none."""

    symptom: Symptom = Symptom.DESCRIBED
    status: int | None = None
    code: str = ""
    seconds: float | None = None


class BackendError(Exception):
    """A backend did not do what was asked. `reason` is safe to show; `fault` says what kind
    of failure it was; `may_have_applied` is False only when the backend answered that it did
    not do it (a 4xx, a Redis error reply, a connection that was never made for a single
    request): otherwise (no answer, a timeout, a 5xx) a write may have been applied, and the bot
    must not say "nothing changed".

    The reason is written by our own adapters ("timed out after 5.0 s", "HTTP 403 Forbidden"),
    never copied from an exception's text, so it cannot leak a secret or a stack trace. It is
    the log's English; a reader is told `details` in their language (`failure_text`).
    """

    def __init__(
        self,
        backend: str,
        reason: str,
        *,
        fault: Fault = Fault.UNAVAILABLE,
        may_have_applied: bool = True,
        details: Details = Details(),
    ) -> None:
        super().__init__(f"{backend}: {reason}")
        self.backend = backend
        self.reason = reason
        self.fault = fault
        self.may_have_applied = may_have_applied
        self.details = details

    def after_progress(self) -> BackendError:
        """The same failure, in an operation of several calls of which some may have been
        applied already (a refusal of the tenth batch says nothing of the first nine)."""
        return BackendError(self.backend, self.reason, fault=self.fault, details=self.details)

    def with_reason(self, reason: str) -> BackendError:
        """The same failure, told differently (e.g. with what is known of the state now): the
        new reason is the adapter's own sentence, so its details are only `reason`."""
        return BackendError(
            self.backend, reason, fault=self.fault, may_have_applied=self.may_have_applied
        )

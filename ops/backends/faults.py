"""What a backend failure is, as types: `BackendError` and its kinds.

    BackendError            a backend did not do what was asked (several parts: "partly applied")
    ├── NotFound            it answered: no such thing (404, 410, NoSuchEntity, ImageNotFound)
    ├── Conflict            it answered: changed meanwhile / already exists (409, 412)
    ├── Forbidden           it answered: the bot's identity may not (403, AccessDenied)
    ├── Rejected            it answered: the request is invalid (400, 422, a Redis error reply)
    ├── Unavailable         down, unreachable, throttled, failing (5xx, no connection)
    └── TimedOut            no answer in time (a read or statement timeout, 408, 504)

Code decides with `except NotFound:`, never by reading `reason`. "Could this change have
happened?" is the field `may_have_applied`: each kind knows its default (`refusal`: the backend
answered that it did not do it, so False; without such an answer a write may have been applied,
so True), and a classifier sets it where the kind alone does not tell (a 401 or 429 is an answer
that did nothing: Unavailable, but not applied).

This module is pure data (no client library), so every layer can raise and catch these cheaply;
the client libraries' exceptions are turned into them in `ops/backends/classify.py`.
`reason` is the log's English, written by our adapters from status and error codes, never from an
exception's text; a reader is told `details` in their language (`handlers/render/failures.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, ClassVar, Self

__all__ = [
    "UNTOLD",
    "BackendError",
    "Conflict",
    "Details",
    "Forbidden",
    "NotFound",
    "Rejected",
    "Symptom",
    "TimedOut",
    "Unavailable",
]


class Symptom(Enum):
    """What a reader is told about a failure (`handlers/render/failures.py` words it), with
    `Details`' status, code and seconds; `reason` stays the English of the log."""

    # told by its `reason` only: a symptom a newer version stored, or a failure made without
    # details (tests' shorthand; every adapter and classifier passes its details)
    NOT_KNOWN_HERE = "not_known_here"
    HTTP_STATUS = "http_status"  # status, code = the reason phrase ("Forbidden") or ""
    SERVICE_ERROR = "service_error"  # code = the service's error code, status when known
    CANNOT_CONNECT = "cannot_connect"
    CONNECTION_FAILED = "connection_failed"
    TLS_OR_PROTOCOL = "tls_or_protocol"
    TIMED_OUT = "timed_out"  # seconds when the bot's own bound fired
    CONNECT_TIMED_OUT = "connect_timed_out"
    READ_TIMED_OUT = "read_timed_out"
    NO_ANSWER = "no_answer"  # within `seconds`
    NO_ANSWER_AFTER_SENDING = "no_answer_after_sending"  # within `seconds`: it may have acted
    ANSWER_BROKE_OFF = "answer_broke_off"  # after the request was sent: it may have acted
    NO_CREDENTIALS = "no_credentials"
    UNREACHABLE = "unreachable"  # the request could not be sent or its answer not read
    JIRA_STATUS = "jira_status"  # status: Jira's answer to a comment, told with what to check
    NO_DATAPOINTS = "no_datapoints"  # in the last `seconds` (a metric nobody reported)
    QUERY_ENDED = "query_ended"  # code = the status a Logs Insights query ended with
    COMMAND_REFUSED = "command_refused"  # Redis answered with an error: nothing ran
    QUERY_REFUSED = "query_refused"  # code = the SQLSTATE's name (UndefinedTable): nothing ran
    STATEMENT_TIMEOUT = "statement_timeout"
    POOL_TIMEOUT = "pool_timeout"
    CLIENT_ERROR = "client_error"  # code = the client library's exception name
    REQUEST_FAILED = "request_failed"  # code = the HTTP client's exception name
    IO_ERROR = "io_error"  # code = the exception name
    UNEXPECTED = "unexpected"  # a bug: the details are in the bot's log


@dataclass(frozen=True)
class Details:
    """The facts a failure's words need."""

    symptom: Symptom
    status: int | None = None
    code: str = ""
    seconds: float | None = None


UNTOLD = Details(Symptom.NOT_KNOWN_HERE)


class BackendError(Exception):
    """A backend did not do what was asked; the kinds below say how. Raised as such only where
    no kind fits (an operation of several calls that ended in more than one way: "partly
    applied").

    `may_have_applied` is False only when the backend answered that it did not do it (a 4xx, a
    Redis error reply, a connection that was never made for a single request): otherwise (no
    answer, a timeout, a 5xx) a write may have been applied, and the bot must not say "nothing
    changed".
    """

    refusal: ClassVar[bool] = False  # the backend answered that it did not do it

    def __init__(
        self,
        backend: str,
        reason: str,
        *,
        may_have_applied: bool | None = None,
        details: Details = UNTOLD,
    ) -> None:
        super().__init__(f"{backend}: {reason}")
        self.backend = backend
        self.reason = reason
        self.may_have_applied = not self.refusal if may_have_applied is None else may_have_applied
        self.details = details

    def after_progress(self) -> Self:
        """The same failure, in an operation of several calls of which some may have been
        applied already (a refusal of the tenth batch says nothing of the first nine)."""
        return type(self)(self.backend, self.reason, may_have_applied=True, details=self.details)

    def as_data(self) -> dict[str, Any]:
        """Plain JSON for a stored result (a run's `error`): the backend, its kind, the log's
        reason and the details a reader's words are made from; `from_data` reads it back."""
        details = {**asdict(self.details), "symptom": self.details.symptom.value}
        return {
            "backend": self.backend,
            "kind": type(self).__name__,
            "reason": self.reason,
            "may_have_applied": self.may_have_applied,
            "details": details,
        }

    @staticmethod
    def from_data(data: Mapping[str, Any]) -> BackendError:
        kind = _KINDS.get(str(data.get("kind")), BackendError)
        told = dict(data.get("details") or {})
        details = Details(
            _symptom(told.get("symptom")),
            told.get("status"),
            str(told.get("code", "")),
            told.get("seconds"),
        )
        applied = bool(data.get("may_have_applied", True))
        reason = str(data.get("reason", ""))
        return kind(str(data.get("backend", "")), reason, may_have_applied=applied, details=details)


class NotFound(BackendError):
    refusal = True


class Conflict(BackendError):
    refusal = True


class Forbidden(BackendError):
    refusal = True


class Rejected(BackendError):
    refusal = True


class Unavailable(BackendError):
    """Down, unreachable, throttled or failing: a write may have been applied."""


class TimedOut(BackendError):
    """No answer in time: a write may have been applied."""


_KINDS: dict[str, type[BackendError]] = {
    kind.__name__: kind
    for kind in (BackendError, NotFound, Conflict, Forbidden, Rejected, Unavailable, TimedOut)
}


def _symptom(value: object) -> Symptom:
    """A stored symptom; one this version does not know (a newer replica's row) shows its
    reason."""
    try:
        return Symptom(value)
    except ValueError:
        return Symptom.NOT_KNOWN_HERE

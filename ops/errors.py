"""The two kinds of error the bot knows (STYLE.md rule 6).

A `UserError` is the user's to fix or to know: its text is shown in Slack as written.
Anything else is a bug or an outage: the user sees a short message with a correlation id,
the details go to the log only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class UserError(Exception):
    """A message meant for the person who typed the command, shown verbatim."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage

    def __str__(self) -> str:
        return self.message if not self.usage else f"{self.message}\nUsage: `{self.usage}`"


class Fault(Enum):
    """What went wrong at a backend, for code to decide on (never by reading `reason`)."""

    NOT_FOUND = "not found"  # internal: values are log fields
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


class BackendUnavailable(Exception):
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

    def after_progress(self) -> BackendUnavailable:
        """The same failure, in an operation of several calls of which some may have been
        applied already (a refusal of the tenth batch says nothing of the first nine)."""
        return BackendUnavailable(self.backend, self.reason, fault=self.fault, details=self.details)

    def with_reason(self, reason: str) -> BackendUnavailable:
        """The same failure, told differently (e.g. with what is known of the state now): the
        new reason is the adapter's own sentence, so its details are only `reason`."""
        return BackendUnavailable(
            self.backend, reason, fault=self.fault, may_have_applied=self.may_have_applied
        )

"""The two kinds of error the bot knows (STYLE.md rule 6).

A `UserError` is the user's to fix or to know: its text is shown in Slack as written.
Anything else is a bug or an outage: the user sees a short message with a correlation id,
the details go to the log only.
"""

from __future__ import annotations

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

    NOT_FOUND = "not found"
    CONFLICT = "conflict"  # changed meanwhile, already exists, a precondition failed
    FORBIDDEN = "forbidden"  # the bot's identity lacks the permission
    INVALID = "invalid"  # the backend rejected the request as such
    UNAVAILABLE = "unavailable"  # down, unreachable, throttled, failing (5xx)
    TIMED_OUT = "timed out"


class BackendUnavailable(Exception):
    """A backend did not do what was asked. `reason` is safe to show; `fault` says what kind
    of failure it was; `may_have_applied` is False only when the backend answered that it did
    not do it (a 4xx, a Redis error reply, a connection that was never made for a single
    request): otherwise (no answer, a timeout, a 5xx) a write may have been applied, and the bot
    must not say "nothing changed".

    The reason is written by our own adapters ("timed out after 5.0 s", "HTTP 403 Forbidden"),
    never copied from an exception's text, so it cannot leak a secret or a stack trace.
    """

    def __init__(
        self,
        backend: str,
        reason: str,
        *,
        fault: Fault = Fault.UNAVAILABLE,
        may_have_applied: bool = True,
    ) -> None:
        super().__init__(f"{backend}: {reason}")
        self.backend = backend
        self.reason = reason
        self.fault = fault
        self.may_have_applied = may_have_applied

    def after_progress(self) -> BackendUnavailable:
        """The same failure, in an operation of several calls of which some may have been
        applied already (a refusal of the tenth batch says nothing of the first nine)."""
        return BackendUnavailable(self.backend, self.reason, fault=self.fault)

    def with_reason(self, reason: str) -> BackendUnavailable:
        """The same failure, told differently (e.g. with what is known of the state now)."""
        return BackendUnavailable(
            self.backend, reason, fault=self.fault, may_have_applied=self.may_have_applied
        )

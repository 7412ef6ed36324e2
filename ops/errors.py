"""The two kinds of error the bot knows (STYLE.md rule 6).

A `UserError` is the user's to fix or to know: its text is shown in Slack as written.
Anything else is a bug or an outage: the user sees a short message with a correlation id,
the details go to the log only.
"""

from __future__ import annotations


class UserError(Exception):
    """A message meant for the person who typed the command, shown verbatim."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage

    def __str__(self) -> str:
        return self.message if not self.usage else f"{self.message}\nUsage: `{self.usage}`"


class BackendUnavailable(Exception):
    """A backend could not answer (down, slow, refused). `reason` is safe to show.

    The reason is written by our own adapters ("timed out after 5.0 s", "HTTP 403 Forbidden"),
    never copied from an exception's text, so it cannot leak a secret or a stack trace.

    `may_have_applied` says, for a change, whether it may have happened all the same: True when
    the request was sent and no full answer came back (a timeout after sending), False when the
    backend refused it; None: not said (the gate then takes an HTTP status as "not applied").
    """

    def __init__(self, backend: str, reason: str, *, may_have_applied: bool | None = None) -> None:
        super().__init__(f"{backend}: {reason}")
        self.backend = backend
        self.reason = reason
        self.may_have_applied = may_have_applied

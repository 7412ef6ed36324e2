"""A backend failure's details in the reader's words: `details_text(details, reason)`.

`BackendError.reason` is the log's English; what a reader sees is made here from `Details`
(`Symptom` with its status, code and seconds). A symptom with no words of its own (one a newer
replica stored) shows the reason. The backend's name is the caller's to show.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.render.i18n import N_, _, number
from ops.errors import Details, Symptom

FIXED = {
    Symptom.CANNOT_CONNECT: N_("cannot connect"),
    Symptom.CONNECTION_FAILED: N_("connection failed"),
    Symptom.TLS_OR_PROTOCOL: N_("connection failed (TLS or protocol error)"),
    Symptom.CONNECT_TIMED_OUT: N_("connect timed out"),
    Symptom.READ_TIMED_OUT: N_("read timed out"),
    Symptom.NO_CREDENTIALS: N_("no AWS credentials"),
    Symptom.UNREACHABLE: N_("unreachable (connection failed)"),
    Symptom.ANSWER_BROKE_OFF: N_("the answer broke off after the request was sent"),
    Symptom.COMMAND_REFUSED: N_("Redis refused the command"),
    Symptom.STATEMENT_TIMEOUT: N_("query cancelled (statement timeout)"),
    Symptom.POOL_TIMEOUT: N_("no connection available (pool timeout)"),
    Symptom.UNEXPECTED: N_("unexpected error (see the bot's log)"),
}


def _http_status(details: Details) -> str:
    if details.status is None:
        return "HTTP ?"
    return f"HTTP {details.status} {details.code}".strip()  # the protocol's own words


def _service_error(details: Details) -> str:
    if details.status is None:
        return details.code
    return f"{details.code} (HTTP {details.status})"  # the service's code, as AWS names it


# What Jira's answer to a comment means, and what to check (the status line is the protocol's)
JIRA_STATUSES = {
    400: N_("HTTP 400 Bad Request (the comment was refused)"),
    401: N_("HTTP 401 Unauthorized (check JIRA_EMAIL and JIRA_API_TOKEN)"),
    403: N_("HTTP 403 Forbidden (the account may not comment on that issue)"),
    404: N_("HTTP 404 Not Found (no such issue, or the account cannot see it)"),
    429: N_("HTTP 429 Too Many Requests"),
}


def _jira_status(details: Details) -> str:
    status = details.status or 0
    if status in JIRA_STATUSES:
        return _(JIRA_STATUSES[status])
    if status >= 500:
        return _("HTTP {status} (Jira is failing)", status=status)
    return f"HTTP {status}"  # the protocol's own words


def _timed_out(details: Details) -> str:
    if details.seconds is None:
        return _("timed out")
    return _("timed out after {seconds} s", seconds=number(details.seconds))


def _no_answer(details: Details) -> str:
    if details.seconds is None:
        return _("no answer")
    return _("no answer within {seconds} s", seconds=number(details.seconds))


def _no_answer_after_sending(details: Details) -> str:
    return _(
        "no answer within {seconds} s after the request was sent",
        seconds=number(details.seconds or 0),
    )


def _no_datapoints(details: Details) -> str:
    minutes = (details.seconds or 0) / 60
    return _("no datapoints in the last {minutes} min", minutes=number(minutes))


def _query_ended(details: Details) -> str:
    return _("the query ended as {status}", status=details.code)  # Failed, Cancelled, Timeout


def _client_error(details: Details) -> str:
    return details.code  # the client library's exception name


def _request_failed(details: Details) -> str:
    return _("request failed ({error})", error=details.code)


def _query_refused(details: Details) -> str:
    return _("the database refused the query ({error})", error=details.code)  # UndefinedTable


def _io_error(details: Details) -> str:
    return _("I/O error ({error})", error=details.code)


_TOLD: dict[Symptom, Callable[[Details], str]] = {
    Symptom.HTTP_STATUS: _http_status,
    Symptom.SERVICE_ERROR: _service_error,
    Symptom.JIRA_STATUS: _jira_status,
    Symptom.TIMED_OUT: _timed_out,
    Symptom.NO_ANSWER: _no_answer,
    Symptom.NO_ANSWER_AFTER_SENDING: _no_answer_after_sending,
    Symptom.NO_DATAPOINTS: _no_datapoints,
    Symptom.QUERY_ENDED: _query_ended,
    Symptom.CLIENT_ERROR: _client_error,
    Symptom.REQUEST_FAILED: _request_failed,
    Symptom.IO_ERROR: _io_error,
    Symptom.QUERY_REFUSED: _query_refused,
}


def details_text(details: Details, reason: str) -> str:
    """The reason, without the backend's name: "HTTP 403 Forbidden", "5초 후 시간 초과"."""
    fixed = FIXED.get(details.symptom)
    if fixed:
        return _(fixed)
    told = _TOLD.get(details.symptom)
    return told(details) if told else reason

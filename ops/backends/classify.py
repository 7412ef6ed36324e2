"""Turn client-library exceptions into typed failures: a short, safe reason ("HTTP 403
Forbidden"), its kind (a `BackendError` subclass: `NotFound`, `Conflict`…) and whether a change
may have been applied all the same.

The reason is built from status codes and error codes only, never from an exception's message,
which may carry URLs with credentials, tokens or request bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import botocore.exceptions as aws_errors
import kubernetes.client.exceptions as kube_errors
import psycopg
import psycopg_pool
import redis.exceptions as redis_errors
import urllib3.exceptions as http_errors

from ops.backends.faults import (
    UNTOLD,
    BackendError,
    Conflict,
    Details,
    Forbidden,
    NotFound,
    Rejected,
    Symptom,
    TimedOut,
    Unavailable,
)

Kind = type[BackendError]


@dataclass(frozen=True)
class Failure:
    """A recognised failure: a safe reason, its kind, and whether a write may have been applied."""

    reason: str  # the log's English
    kind: Kind = Unavailable
    may_have_applied: bool = True  # False only when the backend refused (see BackendError)
    details: Details = UNTOLD  # what a reader is told, in their language

    def error(self, backend: str) -> BackendError:
        return self.kind(
            backend, self.reason, may_have_applied=self.may_have_applied, details=self.details
        )


def classify_failure(exc: BaseException) -> Failure | None:
    """The failure we recognise in `exc`, or None for a bug (let it propagate)."""
    for kind, classify in _CLASSIFIERS:
        if isinstance(exc, kind):
            return classify(exc)
    return None


def describe_failure(exc: BaseException) -> str | None:
    """A reason for a backend failure we recognise, or None for a bug (let it propagate)."""
    failure = classify_failure(exc)
    return None if failure is None else failure.reason


def backend_error(backend: str, exc: BaseException) -> BackendError | None:
    """`exc` as the BackendError naming `backend`, or None for a bug."""
    failure = classify_failure(exc)
    return None if failure is None else failure.error(backend)


_STATUS_KINDS: dict[int, Kind] = {
    400: Rejected,
    403: Forbidden,
    404: NotFound,
    408: TimedOut,
    409: Conflict,
    410: NotFound,
    412: Conflict,
    422: Rejected,
    504: TimedOut,
}


def http_failure(status: int, reason: str, details: Details | None = None) -> Failure:
    """An HTTP error status: a 4xx is the server refusing (nothing applied); a 5xx may come
    after the work was done (a gateway timing out, a server failing midway): it may have been.
    401 is the bot's credentials not being accepted — unavailable, not "may not".
    `details`: what the reader is told, when `reason` is more than `HTTP <status>`."""
    client_error = 400 <= status < 500
    kind = _STATUS_KINDS.get(status) or (
        Rejected if client_error and status not in (401, 429) else Unavailable
    )
    told = details or Details(Symptom.HTTP_STATUS, status)
    return Failure(reason, kind, may_have_applied=not client_error, details=told)


def _kube(exc: BaseException) -> Failure:
    """An answer's status and the server's reason phrase; without a status (the client's own
    TLS or protocol failure, reason = its error text with host and path) a fixed reason."""
    assert isinstance(exc, kube_errors.ApiException)
    if not exc.status:
        return _told(Unavailable, Symptom.TLS_OR_PROTOCOL)
    phrase = _phrase(exc.reason)
    reason = f"HTTP {exc.status} {phrase}".strip()
    return http_failure(exc.status, reason, Details(Symptom.HTTP_STATUS, exc.status, phrase))


def _phrase(reason: object) -> str:
    """An HTTP reason phrase ("Forbidden") is one short line; anything else is not shown."""
    text = str(reason or "")
    return text if len(text) <= 40 and text.replace(" ", "").isalpha() else ""


def _retry_reason(exc: BaseException) -> Failure:
    """urllib3 wraps the real cause (a read timeout, a refused connection) in MaxRetryError."""
    cause = getattr(exc, "reason", None)
    if isinstance(cause, http_errors.ReadTimeoutError | http_errors.ConnectTimeoutError):
        return _told(TimedOut, Symptom.TIMED_OUT)
    return _told(Unavailable, Symptom.CANNOT_CONNECT)


# AWS error codes by what they mean; anything else is judged by its HTTP status
_AWS_CODE_KINDS: tuple[tuple[tuple[str, ...], Kind], ...] = (
    (("NotFound", "NoSuchEntity", "NoSuch"), NotFound),
    (("AccessDenied", "Unauthorized", "AuthorizationError", "Forbidden"), Forbidden),
    (("Conflict", "ConcurrentModification", "ResourceInUse", "AlreadyExists"), Conflict),
    (("Throttl", "TooManyRequests", "RequestLimitExceeded"), Unavailable),
    (("Validation", "InvalidParameter", "MalformedQuery", "InvalidInput"), Rejected),
)


def _aws_client(exc: BaseException) -> Failure:
    assert isinstance(exc, aws_errors.ClientError)
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "error"))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    reason = f"{code} (HTTP {status})" if status else code
    known = status if isinstance(status, int) else None
    details = Details(Symptom.SERVICE_ERROR, known, code)
    by_status = http_failure(known, reason, details) if known else Failure(reason, details=details)
    for markers, kind in _AWS_CODE_KINDS:
        if any(marker in code for marker in markers):
            return Failure(reason, kind, by_status.may_have_applied, details=details)
    return by_status


# The log's English for each symptom; a reader is told the symptom in their language
# (`handlers/render/failures.py`). `{name}`: the exception's class name, never its text.
LOG_REASONS = {
    Symptom.CANNOT_CONNECT: "cannot connect",  # internal: the log's reason
    Symptom.CONNECTION_FAILED: "connection failed",  # internal: the log's reason
    Symptom.TLS_OR_PROTOCOL: "connection failed (TLS or protocol error)",  # internal: the log's
    Symptom.TIMED_OUT: "timed out",  # internal: the log's reason
    Symptom.CONNECT_TIMED_OUT: "connect timed out",  # internal: the log's reason
    Symptom.READ_TIMED_OUT: "read timed out",  # internal: the log's reason
    Symptom.NO_CREDENTIALS: "no AWS credentials",  # internal: the log's reason
    Symptom.COMMAND_REFUSED: "Redis refused the command",  # internal: the log's reason
    Symptom.QUERY_REFUSED: "the database refused the query ({name})",  # internal: the log's
    Symptom.STATEMENT_TIMEOUT: "query cancelled (statement timeout)",  # internal: the log's
    Symptom.POOL_TIMEOUT: "no connection available (pool timeout)",  # internal: the log's
    Symptom.CLIENT_ERROR: "{name}",
    Symptom.REQUEST_FAILED: "request failed ({name})",  # internal: the log's reason
    Symptom.IO_ERROR: "I/O error ({name})",  # internal: the log's reason
}


def _told(kind: Kind, symptom: Symptom, name: str = "", *, applied: bool = True) -> Failure:
    reason = LOG_REASONS[symptom].format(name=name)
    return Failure(reason, kind, applied, details=Details(symptom, code=name))


def _timed_out(symptom: Symptom) -> Classifier:
    return lambda _: _told(TimedOut, symptom)


def _unavailable(symptom: Symptom) -> Classifier:
    return lambda _: _told(Unavailable, symptom)


def _named(symptom: Symptom) -> Classifier:
    """A failure told by the exception's class name (never its text)."""
    return lambda exc: _told(Unavailable, symptom, type(exc).__name__)


def _query_refused(exc: BaseException) -> Failure:
    """A table that is missing or not granted is the database's state, not a bug of ours (a hub
    deployed without its migrations, a grant not given): answered like any backend failure.
    Other SQL errors are the bot's own bugs and propagate."""
    return _told(Rejected, Symptom.QUERY_REFUSED, type(exc).__name__, applied=False)


def _refused(_: BaseException) -> Failure:
    """An error reply: Redis did not run the command (BullMQ's scripts check before they
    write), so nothing was applied."""
    return _told(Rejected, Symptom.COMMAND_REFUSED, applied=False)


Classifier = Callable[[BaseException], Failure]
_CLASSIFIERS: tuple[tuple[type[BaseException], Classifier], ...] = (
    (kube_errors.ApiException, _kube),
    (aws_errors.ClientError, _aws_client),
    (aws_errors.EndpointConnectionError, _unavailable(Symptom.CANNOT_CONNECT)),
    (aws_errors.ConnectTimeoutError, _timed_out(Symptom.CONNECT_TIMED_OUT)),
    (aws_errors.ReadTimeoutError, _timed_out(Symptom.READ_TIMED_OUT)),
    (aws_errors.NoCredentialsError, _unavailable(Symptom.NO_CREDENTIALS)),
    (aws_errors.BotoCoreError, _named(Symptom.CLIENT_ERROR)),
    (http_errors.MaxRetryError, _retry_reason),
    (http_errors.ReadTimeoutError, _timed_out(Symptom.READ_TIMED_OUT)),
    (http_errors.HTTPError, _unavailable(Symptom.CONNECTION_FAILED)),
    (redis_errors.TimeoutError, _timed_out(Symptom.TIMED_OUT)),
    (redis_errors.ConnectionError, _unavailable(Symptom.CANNOT_CONNECT)),
    (redis_errors.ResponseError, _refused),
    (psycopg.errors.QueryCanceled, _timed_out(Symptom.STATEMENT_TIMEOUT)),
    (psycopg.errors.UndefinedTable, _query_refused),
    (psycopg.errors.InsufficientPrivilege, _query_refused),
    (psycopg_pool.PoolTimeout, _timed_out(Symptom.POOL_TIMEOUT)),
    (psycopg.OperationalError, _unavailable(Symptom.CANNOT_CONNECT)),
    (aiohttp.ClientResponseError, lambda e: _aiohttp_status(e)),
    (aiohttp.ClientConnectionError, _unavailable(Symptom.CANNOT_CONNECT)),
    (aiohttp.ClientError, _named(Symptom.REQUEST_FAILED)),
    (ConnectionError, _unavailable(Symptom.CANNOT_CONNECT)),
    (TimeoutError, _timed_out(Symptom.TIMED_OUT)),
    (OSError, _named(Symptom.IO_ERROR)),
)


def _aiohttp_status(exc: BaseException) -> Failure:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return http_failure(status, f"HTTP {status}")
    return Failure("HTTP ?", details=Details(Symptom.HTTP_STATUS))

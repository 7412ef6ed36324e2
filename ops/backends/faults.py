"""Turn client-library exceptions into typed failures: a short, safe reason ("HTTP 403
Forbidden"), its kind (`Fault`) and whether a change may have been applied all the same.

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

from ops.errors import BackendError, Details, Fault, Symptom


@dataclass(frozen=True)
class Failure:
    """A recognised failure: a safe reason, its kind, and whether a write may have been applied."""

    reason: str  # the log's English
    fault: Fault = Fault.UNAVAILABLE
    may_have_applied: bool = True  # False only when the backend refused (see BackendError)
    details: Details = Details()  # what a reader is told, in their language

    def error(self, backend: str) -> BackendError:
        return BackendError(
            backend,
            self.reason,
            fault=self.fault,
            may_have_applied=self.may_have_applied,
            details=self.details,
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


_STATUS_FAULTS = {
    400: Fault.INVALID,
    403: Fault.FORBIDDEN,
    404: Fault.NOT_FOUND,
    408: Fault.TIMED_OUT,
    409: Fault.CONFLICT,
    410: Fault.NOT_FOUND,
    412: Fault.CONFLICT,
    422: Fault.INVALID,
    504: Fault.TIMED_OUT,
}


def http_failure(status: int, reason: str, details: Details | None = None) -> Failure:
    """An HTTP error status: a 4xx is the server refusing (nothing applied); a 5xx may come
    after the work was done (a gateway timing out, a server failing midway): it may have been.
    401 is the bot's credentials not being accepted — unavailable, not "may not".
    `details`: what the reader is told, when `reason` is more than `HTTP <status>`."""
    client_error = 400 <= status < 500
    fault = _STATUS_FAULTS.get(status) or (
        Fault.INVALID if client_error and status not in (401, 429) else Fault.UNAVAILABLE
    )
    told = details or Details(Symptom.HTTP_STATUS, status)
    return Failure(reason, fault, may_have_applied=not client_error, details=told)


def _kube(exc: BaseException) -> Failure:
    """An answer's status and the server's reason phrase; without a status (the client's own
    TLS or protocol failure, reason = its error text with host and path) a fixed reason."""
    assert isinstance(exc, kube_errors.ApiException)
    if not exc.status:
        tls = Details(Symptom.TLS_OR_PROTOCOL)
        return Failure("connection failed (TLS or protocol error)", details=tls)
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
        return Failure("timed out", Fault.TIMED_OUT, details=Details(Symptom.TIMED_OUT))
    return Failure("cannot connect", details=Details(Symptom.CANNOT_CONNECT))


# AWS error codes by what they mean; anything else is judged by its HTTP status
_AWS_CODE_FAULTS = (
    (("NotFound", "NoSuchEntity", "NoSuch"), Fault.NOT_FOUND),
    (("AccessDenied", "Unauthorized", "AuthorizationError", "Forbidden"), Fault.FORBIDDEN),
    (("Conflict", "ConcurrentModification", "ResourceInUse", "AlreadyExists"), Fault.CONFLICT),
    (("Throttl", "TooManyRequests", "RequestLimitExceeded"), Fault.UNAVAILABLE),
    (("Validation", "InvalidParameter", "MalformedQuery", "InvalidInput"), Fault.INVALID),
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
    for markers, fault in _AWS_CODE_FAULTS:
        if any(marker in code for marker in markers):
            return Failure(reason, fault, by_status.may_have_applied, details)
    return by_status


def _timed_out(reason: str, symptom: Symptom) -> Classifier:
    return lambda _: Failure(reason, Fault.TIMED_OUT, details=Details(symptom))


def _unavailable(reason: str, symptom: Symptom) -> Classifier:
    return lambda _: Failure(reason, details=Details(symptom))


def _named(template: str, symptom: Symptom) -> Classifier:
    """A failure told by the exception's class name (never its text)."""

    def classify(exc: BaseException) -> Failure:
        name = type(exc).__name__
        return Failure(template.format(name=name), details=Details(symptom, code=name))

    return classify


Classifier = Callable[[BaseException], Failure]
_CLASSIFIERS: tuple[tuple[type[BaseException], Classifier], ...] = (
    (kube_errors.ApiException, _kube),
    (aws_errors.ClientError, _aws_client),
    (aws_errors.EndpointConnectionError, _unavailable("cannot connect", Symptom.CANNOT_CONNECT)),
    (aws_errors.ConnectTimeoutError, _timed_out("connect timed out", Symptom.CONNECT_TIMED_OUT)),
    (aws_errors.ReadTimeoutError, _timed_out("read timed out", Symptom.READ_TIMED_OUT)),
    (aws_errors.NoCredentialsError, _unavailable("no AWS credentials", Symptom.NO_CREDENTIALS)),
    (aws_errors.BotoCoreError, _named("{name}", Symptom.CLIENT_ERROR)),
    (http_errors.MaxRetryError, _retry_reason),
    (http_errors.ReadTimeoutError, _timed_out("read timed out", Symptom.READ_TIMED_OUT)),
    (http_errors.HTTPError, _unavailable("connection failed", Symptom.CONNECTION_FAILED)),
    (redis_errors.TimeoutError, _timed_out("timed out", Symptom.TIMED_OUT)),
    (redis_errors.ConnectionError, _unavailable("cannot connect", Symptom.CANNOT_CONNECT)),
    # an error reply: Redis did not run the command (BullMQ's scripts check before they write)
    (
        redis_errors.ResponseError,
        lambda _: Failure(
            "Redis refused the command",  # internal: the log's reason
            Fault.INVALID,
            False,
            Details(Symptom.COMMAND_REFUSED),
        ),
    ),
    (
        psycopg.errors.QueryCanceled,
        _timed_out("query cancelled (statement timeout)", Symptom.STATEMENT_TIMEOUT),
    ),
    (
        psycopg_pool.PoolTimeout,
        _timed_out("no connection available (pool timeout)", Symptom.POOL_TIMEOUT),
    ),
    (psycopg.OperationalError, _unavailable("cannot connect", Symptom.CANNOT_CONNECT)),
    (aiohttp.ClientResponseError, lambda e: _aiohttp_status(e)),
    (aiohttp.ClientConnectionError, _unavailable("cannot connect", Symptom.CANNOT_CONNECT)),
    (aiohttp.ClientError, _named("request failed ({name})", Symptom.REQUEST_FAILED)),
    (ConnectionError, _unavailable("cannot connect", Symptom.CANNOT_CONNECT)),
    (TimeoutError, _timed_out("timed out", Symptom.TIMED_OUT)),
    (OSError, _named("I/O error ({name})", Symptom.IO_ERROR)),
)


def _aiohttp_status(exc: BaseException) -> Failure:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return http_failure(status, f"HTTP {status}")
    return Failure("HTTP ?", details=Details(Symptom.HTTP_STATUS))

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

from ops.errors import BackendUnavailable, Fault


@dataclass(frozen=True)
class Failure:
    """A recognised failure: a safe reason, its kind, and whether a write may have been applied."""

    reason: str
    fault: Fault = Fault.UNAVAILABLE
    may_have_applied: bool = True  # False only when the backend refused (see BackendUnavailable)

    def error(self, backend: str) -> BackendUnavailable:
        return BackendUnavailable(
            backend, self.reason, fault=self.fault, may_have_applied=self.may_have_applied
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


def backend_error(backend: str, exc: BaseException) -> BackendUnavailable | None:
    """`exc` as the BackendUnavailable naming `backend`, or None for a bug."""
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


def http_failure(status: int, reason: str) -> Failure:
    """An HTTP error status: a 4xx is the server refusing (nothing applied); a 5xx may come
    after the work was done (a gateway timing out, a server failing midway): it may have been.
    401 is the bot's credentials not being accepted — unavailable, not "may not"."""
    client_error = 400 <= status < 500
    fault = _STATUS_FAULTS.get(status) or (
        Fault.INVALID if client_error and status not in (401, 429) else Fault.UNAVAILABLE
    )
    return Failure(reason, fault, may_have_applied=not client_error)


def _kube(exc: BaseException) -> Failure:
    """An answer's status and the server's reason phrase; without a status (the client's own
    TLS or protocol failure, reason = its error text with host and path) a fixed reason."""
    assert isinstance(exc, kube_errors.ApiException)
    if not exc.status:
        return Failure("connection failed (TLS or protocol error)")
    reason = f"HTTP {exc.status} {_phrase(exc.reason)}".strip()
    return http_failure(exc.status, reason)


def _phrase(reason: object) -> str:
    """An HTTP reason phrase ("Forbidden") is one short line; anything else is not shown."""
    text = str(reason or "")
    return text if len(text) <= 40 and text.replace(" ", "").isalpha() else ""


def _retry_reason(exc: BaseException) -> Failure:
    """urllib3 wraps the real cause (a read timeout, a refused connection) in MaxRetryError."""
    cause = getattr(exc, "reason", None)
    if isinstance(cause, http_errors.ReadTimeoutError | http_errors.ConnectTimeoutError):
        return Failure("timed out", Fault.TIMED_OUT)
    return Failure("cannot connect")


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
    by_status = http_failure(status, reason) if isinstance(status, int) else Failure(reason)
    for markers, fault in _AWS_CODE_FAULTS:
        if any(marker in code for marker in markers):
            return Failure(reason, fault, by_status.may_have_applied)
    return by_status


def _timed_out(reason: str) -> Classifier:
    return lambda _: Failure(reason, Fault.TIMED_OUT)


def _unavailable(reason: str) -> Classifier:
    return lambda _: Failure(reason)


Classifier = Callable[[BaseException], Failure]
_CLASSIFIERS: tuple[tuple[type[BaseException], Classifier], ...] = (
    (kube_errors.ApiException, _kube),
    (aws_errors.ClientError, _aws_client),
    (aws_errors.EndpointConnectionError, _unavailable("cannot connect")),
    (aws_errors.ConnectTimeoutError, _timed_out("connect timed out")),
    (aws_errors.ReadTimeoutError, _timed_out("read timed out")),
    (aws_errors.NoCredentialsError, _unavailable("no AWS credentials")),
    (aws_errors.BotoCoreError, lambda e: Failure(type(e).__name__)),
    (http_errors.MaxRetryError, _retry_reason),
    (http_errors.ReadTimeoutError, _timed_out("read timed out")),
    (http_errors.HTTPError, _unavailable("connection failed")),
    (redis_errors.TimeoutError, _timed_out("timed out")),
    (redis_errors.ConnectionError, _unavailable("cannot connect")),
    # an error reply: Redis did not run the command (BullMQ's scripts check before they write)
    (
        redis_errors.ResponseError,
        lambda _: Failure("Redis refused the command", Fault.INVALID, False),
    ),
    (psycopg.errors.QueryCanceled, _timed_out("query cancelled (statement timeout)")),
    (psycopg_pool.PoolTimeout, _timed_out("no connection available (pool timeout)")),
    (psycopg.OperationalError, _unavailable("cannot connect")),
    (aiohttp.ClientResponseError, lambda e: _aiohttp_status(e)),
    (aiohttp.ClientConnectionError, _unavailable("cannot connect")),
    (aiohttp.ClientError, lambda e: Failure(f"request failed ({type(e).__name__})")),
    (ConnectionError, _unavailable("cannot connect")),
    (TimeoutError, _timed_out("timed out")),
    (OSError, lambda e: Failure(f"I/O error ({type(e).__name__})")),
)


def _aiohttp_status(exc: BaseException) -> Failure:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return http_failure(status, f"HTTP {status}")
    return Failure("HTTP ?")

"""Turn client-library exceptions into short, safe reasons ("HTTP 403 Forbidden").

The reason is built from status codes and error codes only, never from an exception's message,
which may carry URLs with credentials, tokens or request bodies.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import botocore.exceptions as aws_errors
import kubernetes.client.exceptions as kube_errors
import psycopg
import psycopg_pool
import redis.exceptions as redis_errors
import urllib3.exceptions as http_errors


def describe_failure(exc: BaseException) -> str | None:
    """A reason for a backend failure we recognise, or None for a bug (let it propagate)."""
    for kind, describe in _DESCRIBERS:
        if isinstance(exc, kind):
            return describe(exc)
    return None


def _kube(exc: BaseException) -> str:
    assert isinstance(exc, kube_errors.ApiException)
    return f"HTTP {exc.status} {exc.reason or ''}".strip()


def _retry_reason(exc: BaseException) -> str:
    """urllib3 wraps the real cause (a read timeout, a refused connection) in MaxRetryError."""
    cause = getattr(exc, "reason", None)
    if isinstance(cause, http_errors.ReadTimeoutError | http_errors.ConnectTimeoutError):
        return "timed out"
    return "cannot connect"


def _aws_client(exc: BaseException) -> str:
    assert isinstance(exc, aws_errors.ClientError)
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return f"{error.get('Code', 'error')} (HTTP {status})" if status else str(error.get("Code"))


Describer = Callable[[BaseException], str]
_DESCRIBERS: tuple[tuple[type[BaseException], Describer], ...] = (
    (kube_errors.ApiException, _kube),
    (aws_errors.ClientError, _aws_client),
    (aws_errors.EndpointConnectionError, lambda _: "cannot connect"),
    (aws_errors.ConnectTimeoutError, lambda _: "connect timed out"),
    (aws_errors.ReadTimeoutError, lambda _: "read timed out"),
    (aws_errors.NoCredentialsError, lambda _: "no AWS credentials"),
    (aws_errors.BotoCoreError, lambda e: type(e).__name__),
    (http_errors.MaxRetryError, lambda e: _retry_reason(e)),
    (http_errors.ReadTimeoutError, lambda _: "read timed out"),
    (http_errors.HTTPError, lambda _: "connection failed"),
    (redis_errors.TimeoutError, lambda _: "timed out"),
    (redis_errors.ConnectionError, lambda _: "cannot connect"),
    (redis_errors.ResponseError, lambda _: "Redis refused the command"),
    (psycopg.errors.QueryCanceled, lambda _: "query cancelled (statement timeout)"),
    (psycopg_pool.PoolTimeout, lambda _: "no connection available (pool timeout)"),
    (psycopg.OperationalError, lambda _: "cannot connect"),
    (aiohttp.ClientResponseError, lambda e: f"HTTP {getattr(e, 'status', '?')}"),
    (aiohttp.ClientConnectionError, lambda _: "cannot connect"),
    (aiohttp.ClientError, lambda e: f"request failed ({type(e).__name__})"),
    (ConnectionError, lambda _: "cannot connect"),
    (OSError, lambda e: f"I/O error ({type(e).__name__})"),
)

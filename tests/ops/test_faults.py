"""Backend failures are typed: what kind of fault, and whether a change may have been applied.

"Could this change have happened?" is `may_have_applied`, decided here once: a 4xx or a Redis
error reply is a refusal (nothing applied); after a timeout, a dropped connection or a 5xx the
work may have been done before the answer was lost. Exceptions are the libraries' own, raised
by real servers where one can be asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
import botocore.exceptions
import kubernetes.client.exceptions as kube_errors
import psycopg
import pytest
import redis.asyncio as aioredis
from kubernetes import client

from ops.backends.classify import Failure, backend_error, classify_failure, http_failure
from ops.backends.faults import (
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
from sandbox.fake_kube import FakeKubeServer

Kind = type[BackendError]


@pytest.mark.parametrize(
    ("status", "kind", "may_have_applied"),
    [
        (400, Rejected, False),
        (401, Unavailable, False),
        (403, Forbidden, False),
        (404, NotFound, False),
        (409, Conflict, False),
        (422, Rejected, False),
        (429, Unavailable, False),
        (500, Unavailable, True),
        (503, Unavailable, True),
        (504, TimedOut, True),
    ],
)
def test_kubernetes_status(status: int, kind: Kind, may_have_applied: bool) -> None:
    failure = classify_failure(kube_errors.ApiException(status=status, reason="Reason"))
    told = Details(Symptom.HTTP_STATUS, status, "Reason")
    assert failure == Failure(f"HTTP {status} Reason", kind, may_have_applied, told)
    error = backend_error("kubernetes int", kube_errors.ApiException(status=status))
    assert type(error) is kind and error.may_have_applied is may_have_applied


def test_each_kind_knows_whether_the_backend_answered_no() -> None:
    """A refusal (the backend answered that it did not do it) has not applied; without such an
    answer a write may have been; the classifier says so where the kind alone does not."""
    refusals = [NotFound, Conflict, Forbidden, Rejected]
    assert [k("b", "r").may_have_applied for k in refusals] == [False] * 4
    assert [k("b", "r").may_have_applied for k in (Unavailable, TimedOut, BackendError)] == [
        True
    ] * 3
    assert Unavailable("b", "HTTP 429", may_have_applied=False).may_have_applied is False
    assert all(issubclass(k, BackendError) for k in (*refusals, Unavailable, TimedOut))


# -- every kind from a real backend's answer ---------------------------------------------------


@pytest.fixture
def kube_api(kube: dict[str, FakeKubeServer]) -> Iterator[client.CoreV1Api]:
    """The official client, as the bot uses it, against the fake API server over HTTP."""
    configuration = client.Configuration(host=kube["int"].url)
    configuration.retries = 0
    with client.ApiClient(configuration) as api:
        yield client.CoreV1Api(api)


def _kube_error(call: Callable[[], object]) -> BackendError:
    with pytest.raises(kube_errors.ApiException) as raised:
        call()
    error = backend_error("kubernetes int", raised.value)
    assert error is not None
    return error


def test_a_missing_object_is_not_found_not_unavailable(kube_api: client.CoreV1Api) -> None:
    error = _kube_error(lambda: kube_api.read_namespace("preview-proj-404"))
    assert isinstance(error, NotFound) and not isinstance(error, Unavailable)
    assert (error.reason, error.may_have_applied) == ("HTTP 404 Not Found", False)
    assert error.details == Details(Symptom.HTTP_STATUS, 404, "Not Found")


def test_an_existing_object_is_a_conflict(kube_api: client.CoreV1Api) -> None:
    body = {"metadata": {"name": "preview-proj-409"}}
    kube_api.create_namespace(body)
    error = _kube_error(lambda: kube_api.create_namespace(body))
    assert type(error) is Conflict and error.may_have_applied is False


def test_an_invalid_object_is_rejected(kube_api: client.CoreV1Api) -> None:
    error = _kube_error(lambda: kube_api.create_namespace({"metadata": {"name": "Not_Valid"}}))
    assert type(error) is Rejected and error.may_have_applied is False
    assert error.details.status == 422


def test_what_rbac_denies_is_forbidden(kube_api: client.CoreV1Api) -> None:
    kube_api.api_client.set_default_header("Impersonate-User", "nobody@example.com")
    error = _kube_error(lambda: kube_api.list_namespaced_pod("rtb-ai-hub"))
    assert type(error) is Forbidden and error.may_have_applied is False


def test_a_failing_api_server_is_unavailable_and_may_have_applied(
    kube: dict[str, FakeKubeServer], kube_api: client.CoreV1Api
) -> None:
    kube["int"].inject_fault("POST", "/namespaces$", status=503)
    error = _kube_error(lambda: kube_api.create_namespace({"metadata": {"name": "p-503"}}))
    assert type(error) is Unavailable and error.may_have_applied is True


def test_a_statement_timeout_is_timed_out(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn, pytest.raises(psycopg.Error) as cancelled:
        conn.execute("SET statement_timeout = 1")
        conn.execute("SELECT pg_sleep(1)")
    error = backend_error("PostgreSQL", cancelled.value)
    assert type(error) is TimedOut and error.may_have_applied is True
    assert error.details == Details(Symptom.STATEMENT_TIMEOUT)


def test_a_table_missing_or_not_granted_is_a_refusal_and_other_sql_errors_are_bugs(
    pg_url: str,
) -> None:
    """A hub deployed without its tables (or a grant not given) is the database's state: told
    like any backend failure, nothing ran. A syntax error is the bot's own bug: it propagates."""
    with psycopg.connect(pg_url) as conn, pytest.raises(psycopg.Error) as missing:
        conn.execute("SELECT count(*) FROM no_such_table_here")
    error = backend_error("PostgreSQL (hub)", missing.value)
    assert type(error) is Rejected and error.may_have_applied is False
    assert error.details == Details(Symptom.QUERY_REFUSED, code="UndefinedTable")
    with psycopg.connect(pg_url) as conn, pytest.raises(psycopg.Error) as bug:
        conn.execute("SELEC 1")
    assert backend_error("PostgreSQL (hub)", bug.value) is None


def test_a_database_nobody_listens_for_is_unavailable() -> None:
    with pytest.raises(psycopg.Error) as refused:
        psycopg.connect("postgresql://bot@127.0.0.1:9/rtb", connect_timeout=2)
    error = backend_error("PostgreSQL", refused.value)
    assert type(error) is Unavailable and error.details == Details(Symptom.CANNOT_CONNECT)


def test_a_kubernetes_client_failure_without_a_status_never_shows_its_text() -> None:
    """The client raises ApiException(status=0, reason="SSLError\\n<host, path, …>") for TLS."""
    leaky = "SSLError\nHTTPSConnectionPool(host='x.eks.amazonaws.com', port=443): Max retries"
    failure = classify_failure(kube_errors.ApiException(status=0, reason=leaky))
    assert failure == Failure(
        "connection failed (TLS or protocol error)",
        Unavailable,
        True,
        Details(Symptom.TLS_OR_PROTOCOL),
    )
    odd = classify_failure(kube_errors.ApiException(status=500, reason="a\nsecret=x"))
    assert odd is not None and odd.reason == "HTTP 500"


def test_aws_error_codes_by_meaning(aws_endpoint: str, aws_env: None) -> None:
    ecr = boto3.client("ecr", endpoint_url=aws_endpoint, region_name="ap-northeast-2")
    ecr.create_repository(repositoryName="rtb-ai-hub-faults")
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        ecr.describe_images(repositoryName="rtb-ai-hub-faults", imageIds=[{"imageTag": "nope"}])
    failure = classify_failure(missing.value)
    assert failure is not None
    assert failure.reason.startswith("ImageNotFoundException (HTTP 4")
    assert failure.details.symptom is Symptom.SERVICE_ERROR
    assert failure.details.code == "ImageNotFoundException"
    assert (failure.kind, failure.may_have_applied) == (NotFound, False)
    assert isinstance(failure.error("AWS int ECR"), NotFound)


def test_an_aws_server_error_is_not_a_refusal() -> None:
    response = {
        "Error": {"Code": "InternalFailure"},
        "ResponseMetadata": {"HTTPStatusCode": 500},
    }
    failure = classify_failure(botocore.exceptions.ClientError(response, "PutMetricData"))
    told = Details(Symptom.SERVICE_ERROR, 500, "InternalFailure")
    assert failure == Failure("InternalFailure (HTTP 500)", Unavailable, True, told)


async def test_a_redis_error_reply_is_a_refusal(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    await client.set("rtb-faults-string", "x")
    try:
        with pytest.raises(Exception) as wrong_type:
            await client.lpush("rtb-faults-string", "y")  # WRONGTYPE: an error reply
    finally:
        await client.aclose()
    error = backend_error("Redis", wrong_type.value)
    assert error is not None
    assert type(error) is Rejected
    assert (error.reason, error.may_have_applied) == ("Redis refused the command", False)


async def test_an_unreachable_redis_is_not_a_refusal() -> None:
    client = aioredis.from_url("redis://127.0.0.1:9", socket_connect_timeout=1)
    try:
        with pytest.raises(Exception) as refused_connection:
            await client.ping()
    finally:
        await client.aclose()
    failure = classify_failure(refused_connection.value)
    told = Details(Symptom.CANNOT_CONNECT)
    assert failure == Failure("cannot connect", Unavailable, True, told)


def test_timeouts_are_their_own_fault() -> None:
    timed_out = Failure("timed out", TimedOut, True, Details(Symptom.TIMED_OUT))
    assert classify_failure(TimeoutError()) == timed_out
    assert http_failure(408, "HTTP 408").kind is TimedOut


def test_a_bug_is_not_a_backend_failure() -> None:
    assert classify_failure(KeyError("x")) is None
    assert backend_error("Redis", ValueError("x")) is None


def test_a_refusal_after_earlier_calls_of_the_same_change_may_have_applied() -> None:
    """bullmq's retryJobs loops its script in batches: a refused tenth batch says nothing of
    the first nine (ops.backends.queues wraps every call after the first this way)."""
    refused = Rejected(
        "Redis", "Redis refused the command", details=Details(Symptom.COMMAND_REFUSED)
    )
    later = refused.after_progress()
    assert type(later) is Rejected
    assert (later.reason, later.details, later.may_have_applied) == (
        "Redis refused the command",
        Details(Symptom.COMMAND_REFUSED),
        True,
    )

"""Backend failures are typed: what kind of fault, and whether a change may have been applied.

"Could this change have happened?" is `may_have_applied`, decided here once: a 4xx or a Redis
error reply is a refusal (nothing applied); after a timeout, a dropped connection or a 5xx the
work may have been done before the answer was lost. Exceptions are the libraries' own, raised
by real servers where one can be asked.
"""

from __future__ import annotations

import boto3
import botocore.exceptions
import kubernetes.client.exceptions as kube_errors
import pytest
import redis.asyncio as aioredis

from ops.backends.faults import Failure, backend_error, classify_failure, http_failure
from ops.errors import BackendError, Details, Fault, Symptom


@pytest.mark.parametrize(
    ("status", "fault", "may_have_applied"),
    [
        (400, Fault.INVALID, False),
        (401, Fault.UNAVAILABLE, False),
        (403, Fault.FORBIDDEN, False),
        (404, Fault.NOT_FOUND, False),
        (409, Fault.CONFLICT, False),
        (422, Fault.INVALID, False),
        (429, Fault.UNAVAILABLE, False),
        (500, Fault.UNAVAILABLE, True),
        (503, Fault.UNAVAILABLE, True),
        (504, Fault.TIMED_OUT, True),
    ],
)
def test_kubernetes_status(status: int, fault: Fault, may_have_applied: bool) -> None:
    failure = classify_failure(kube_errors.ApiException(status=status, reason="Reason"))
    told = Details(Symptom.HTTP_STATUS, status, "Reason")
    assert failure == Failure(f"HTTP {status} Reason", fault, may_have_applied, told)


def test_a_kubernetes_client_failure_without_a_status_never_shows_its_text() -> None:
    """The client raises ApiException(status=0, reason="SSLError\\n<host, path, …>") for TLS."""
    leaky = "SSLError\nHTTPSConnectionPool(host='x.eks.amazonaws.com', port=443): Max retries"
    failure = classify_failure(kube_errors.ApiException(status=0, reason=leaky))
    assert failure == Failure(
        "connection failed (TLS or protocol error)",
        Fault.UNAVAILABLE,
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
    assert (failure.fault, failure.may_have_applied) == (Fault.NOT_FOUND, False)


def test_an_aws_server_error_is_not_a_refusal() -> None:
    response = {
        "Error": {"Code": "InternalFailure"},
        "ResponseMetadata": {"HTTPStatusCode": 500},
    }
    failure = classify_failure(botocore.exceptions.ClientError(response, "PutMetricData"))
    told = Details(Symptom.SERVICE_ERROR, 500, "InternalFailure")
    assert failure == Failure("InternalFailure (HTTP 500)", Fault.UNAVAILABLE, True, told)


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
    assert (error.reason, error.fault, error.may_have_applied) == (
        "Redis refused the command",
        Fault.INVALID,
        False,
    )


async def test_an_unreachable_redis_is_not_a_refusal() -> None:
    client = aioredis.from_url("redis://127.0.0.1:9", socket_connect_timeout=1)
    try:
        with pytest.raises(Exception) as refused_connection:
            await client.ping()
    finally:
        await client.aclose()
    failure = classify_failure(refused_connection.value)
    told = Details(Symptom.CANNOT_CONNECT)
    assert failure == Failure("cannot connect", Fault.UNAVAILABLE, True, told)


def test_timeouts_are_their_own_fault() -> None:
    timed_out = Failure("timed out", Fault.TIMED_OUT, True, Details(Symptom.TIMED_OUT))
    assert classify_failure(TimeoutError()) == timed_out
    assert http_failure(408, "HTTP 408").fault is Fault.TIMED_OUT


def test_a_bug_is_not_a_backend_failure() -> None:
    assert classify_failure(KeyError("x")) is None
    assert backend_error("Redis", ValueError("x")) is None


def test_a_refusal_after_earlier_calls_of_the_same_change_may_have_applied() -> None:
    """bullmq's retryJobs loops its script in batches: a refused tenth batch says nothing of
    the first nine (ops.backends.queues wraps every call after the first this way)."""
    refused = BackendError(
        "Redis", "Redis refused the command", fault=Fault.INVALID, may_have_applied=False
    )
    later = refused.after_progress()
    assert (later.reason, later.fault, later.may_have_applied) == (
        "Redis refused the command",
        Fault.INVALID,
        True,
    )

"""Backend failures are typed: what kind of fault, and whether the backend refused.

"Could this change have happened?" is `refused`, decided here once: a 4xx or a Redis error
reply is a refusal (nothing applied); a timeout, a dropped connection or a 5xx is not (the
work may have been done before the answer was lost). Exceptions are the libraries' own, raised
by real servers where one can be asked.
"""

from __future__ import annotations

import boto3
import botocore.exceptions
import kubernetes.client.exceptions as kube_errors
import pytest
import redis.asyncio as aioredis

from ops.backends.faults import Failure, backend_error, classify_failure, http_failure
from ops.errors import Fault


@pytest.mark.parametrize(
    ("status", "fault", "refused"),
    [
        (400, Fault.INVALID, True),
        (401, Fault.UNAVAILABLE, True),
        (403, Fault.FORBIDDEN, True),
        (404, Fault.NOT_FOUND, True),
        (409, Fault.CONFLICT, True),
        (422, Fault.INVALID, True),
        (429, Fault.UNAVAILABLE, True),
        (500, Fault.UNAVAILABLE, False),
        (503, Fault.UNAVAILABLE, False),
        (504, Fault.TIMED_OUT, False),
    ],
)
def test_kubernetes_status(status: int, fault: Fault, refused: bool) -> None:
    failure = classify_failure(kube_errors.ApiException(status=status, reason="Reason"))
    assert failure == Failure(f"HTTP {status} Reason", fault, refused)


def test_aws_error_codes_by_meaning(aws_endpoint: str, aws_env: None) -> None:
    ecr = boto3.client("ecr", endpoint_url=aws_endpoint, region_name="ap-northeast-2")
    ecr.create_repository(repositoryName="rtb-ai-hub-faults")
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        ecr.describe_images(repositoryName="rtb-ai-hub-faults", imageIds=[{"imageTag": "nope"}])
    failure = classify_failure(missing.value)
    assert failure is not None
    assert failure.reason.startswith("ImageNotFoundException (HTTP 4")
    assert (failure.fault, failure.refused) == (Fault.NOT_FOUND, True)


def test_an_aws_server_error_is_not_a_refusal() -> None:
    response = {
        "Error": {"Code": "InternalFailure"},
        "ResponseMetadata": {"HTTPStatusCode": 500},
    }
    failure = classify_failure(botocore.exceptions.ClientError(response, "PutMetricData"))
    assert failure == Failure("InternalFailure (HTTP 500)", Fault.UNAVAILABLE, False)


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
    assert (error.reason, error.fault, error.refused) == (
        "Redis refused the command",
        Fault.INVALID,
        True,
    )


async def test_an_unreachable_redis_is_not_a_refusal() -> None:
    client = aioredis.from_url("redis://127.0.0.1:9", socket_connect_timeout=1)
    try:
        with pytest.raises(Exception) as refused_connection:
            await client.ping()
    finally:
        await client.aclose()
    failure = classify_failure(refused_connection.value)
    assert failure == Failure("cannot connect", Fault.UNAVAILABLE, False)


def test_timeouts_are_their_own_fault() -> None:
    assert classify_failure(TimeoutError()) == Failure("timed out", Fault.TIMED_OUT, False)
    assert http_failure(408, "HTTP 408").fault is Fault.TIMED_OUT


def test_a_bug_is_not_a_backend_failure() -> None:
    assert classify_failure(KeyError("x")) is None
    assert backend_error("Redis", ValueError("x")) is None

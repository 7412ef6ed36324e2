"""A backend failure told in the reader's words from its details, never from `reason`'s text:
the English is exactly the reason the log keeps; Korean is worded for each kind of failure."""

from __future__ import annotations

import asyncio

import aiohttp
import botocore.exceptions
import kubernetes.client.exceptions as kube_errors
import psycopg
import pytest
import redis.exceptions as redis_errors

from handlers.render.failure_words import FIXED
from handlers.render.failures import failure_text
from handlers.render.i18n import use_locale
from ops.backends.classify import backend_error
from ops.backends.faults import BackendError, Details, Symptom, TimedOut
from ops.fanout import Failed, gather_parts

AWS_DENIED = botocore.exceptions.ClientError(
    {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "Describe"
)
# (exception, what an English reader sees = the log's reason, what a Korean reader sees)
CASES = [
    (
        kube_errors.ApiException(status=403, reason="Forbidden"),
        "HTTP 403 Forbidden",
        "HTTP 403 Forbidden",
    ),
    (
        kube_errors.ApiException(status=0, reason="SSLError x"),
        "connection failed (TLS or protocol error)",
        "연결 실패 (TLS 또는 프로토콜 오류)",
    ),
    (AWS_DENIED, "AccessDenied (HTTP 403)", "AccessDenied (HTTP 403)"),
    (botocore.exceptions.NoCredentialsError(), "no AWS credentials", "AWS 자격 증명 없음"),
    (
        botocore.exceptions.ReadTimeoutError(endpoint_url="x"),
        "read timed out",
        "응답 읽기 시간 초과",
    ),
    (
        botocore.exceptions.ParamValidationError(report="x"),
        "ParamValidationError",
        "ParamValidationError",
    ),
    (redis_errors.ConnectionError(), "cannot connect", "연결할 수 없음"),
    (redis_errors.ResponseError("WRONGTYPE"), "Redis refused the command", "Redis가 명령을 거부함"),
    (redis_errors.TimeoutError(), "timed out", "시간 초과"),
    (
        psycopg.errors.QueryCanceled(),
        "query cancelled (statement timeout)",
        "쿼리 취소됨 (statement timeout)",
    ),
    (psycopg.OperationalError(), "cannot connect", "연결할 수 없음"),
    (
        aiohttp.ClientPayloadError(),
        "request failed (ClientPayloadError)",
        "요청 실패 (ClientPayloadError)",
    ),
    (PermissionError(), "I/O error (PermissionError)", "I/O 오류 (PermissionError)"),
]


@pytest.mark.parametrize(("exc", "english", "korean"), CASES)
def test_a_failure_is_worded_from_its_details(exc, english, korean):
    error = backend_error("backend", exc)
    assert error is not None and error.reason == english  # the log keeps its English
    assert failure_text(error) == english
    with use_locale("ko"):
        assert failure_text(error) == korean


def test_every_symptom_has_words():
    told = {s for s in Symptom if s is not Symptom.NOT_KNOWN_HERE}
    for symptom in told:
        error = BackendError(
            "x", "the adapter's sentence", details=Details(symptom, 503, "Code", 5.0)
        )
        for locale in ("en", "ko"):
            with use_locale(locale):
                text = failure_text(error)
            assert text and text != "the adapter's sentence" and "{" not in text, (symptom, locale)
    assert set(FIXED) <= told


def test_the_bots_own_bounds_say_their_seconds():
    error = TimedOut(
        "Jira", "no answer within 2.5 s", details=Details(Symptom.NO_ANSWER, seconds=2.5)
    )
    assert failure_text(error) == "no answer within 2.5 s"
    with use_locale("ko"):
        assert failure_text(error) == "2.5초 안에 응답 없음"
        assert (
            failure_text(BackendError("x", "y", details=Details(Symptom.TIMED_OUT, seconds=5)))
            == "5초 후 시간 초과"
        )


def test_a_sentence_without_details_is_shown_as_the_adapter_wrote_it():
    error = BackendError("OAM prd", "account 3 has no link to int")
    with use_locale("ko"):
        assert failure_text(error) == "account 3 has no link to int"


async def test_a_fan_out_part_keeps_the_details_of_its_failure():
    async def hung() -> None:
        await asyncio.Event().wait()

    async def refused() -> None:
        raise redis_errors.ResponseError("WRONGTYPE")

    async def down() -> None:
        raise backend_error("Redis", redis_errors.ConnectionError()) or AssertionError

    parts = await gather_parts({"slow": hung(), "refused": refused(), "down": down()}, 0.05)
    slow, refusal, gone = (parts[name].failure for name in ("slow", "refused", "down"))
    assert slow == Failed(
        "slow", "no answer within 0.05 s", Details(Symptom.NO_ANSWER, seconds=0.05)
    )
    assert refusal == Failed(
        "refused", "Redis refused the command", Details(Symptom.COMMAND_REFUSED)
    )
    assert gone == Failed("Redis", "cannot connect", Details(Symptom.CANNOT_CONNECT))
    with use_locale("ko"):
        assert failure_text(slow) == "0.05초 안에 응답 없음"

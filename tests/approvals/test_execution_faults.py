"""What a run records when a backend fails: `failed` only when the backend answered that it
did not do it (a refusal: the kind says so), `unknown` when the change may have been applied.
Real Redis and the fake Kubernetes API server give the answers."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from approvals.emergency_rollback import EmergencyRollback
from approvals.execution import run_spec
from approvals.queue_mutations import PauseQueue
from approvals.workload_mutations import ScaleDeployment
from handlers.render.i18n import use_locale
from handlers.render.stored_errors import stored_text
from ops.backends.aws import Actor
from ops.backends.faults import BackendError, Details, Symptom, TimedOut
from tests.approvals.rollout_support import HUB, LISTENER, seed_hub

OPERATOR = Actor("UOPERATOR1")


async def test_a_command_redis_refused_is_recorded_failed_not_unknown(runtime, redis_url):
    """A Redis error reply (WRONGTYPE here) means Redis ran nothing: "failed", and nothing
    changed (not the "unknown" a string test on "HTTP " once made of it)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        await client.set("bull:jira-queue:meta", "not a hash")
        result = await run_spec(runtime.backends, PauseQueue.build("int", "jira-queue"), OPERATOR)
        assert await client.get("bull:jira-queue:meta") == "not a hash"
    finally:
        await client.aclose()
    assert result.status == "failed"
    stored = result.result["error"]
    assert (stored["backend"], stored["kind"], stored["may_have_applied"]) == (
        "Redis",
        "Rejected",
        False,
    )
    assert stored_text(stored) == "Redis: Redis refused the command"
    with use_locale("ko"):
        assert stored_text(stored) == "Redis: Redis가 명령을 거부함"


async def test_a_change_the_api_server_failed_midway_is_recorded_unknown(runtime, kube):
    """A 5xx may come after the work was done: the run says it does not know."""
    seed_hub(kube["int"])
    kube["int"].inject_fault("PATCH", "/deployments/", status=503)
    spec = ScaleDeployment.build(runtime.backends.config, "int", HUB, LISTENER, 2)
    result = await run_spec(runtime.backends, spec, OPERATOR)
    assert result.status == "unknown"
    stored = result.result["error"]
    failure = stored["params"]["failure"]  # the failure and the state read again, as data
    assert (failure["kind"], failure["may_have_applied"]) == ("Unavailable", True)
    assert stored["params"]["replicas"] == 2
    assert stored_text(stored) == (
        "kubernetes int: HTTP 503 Service Unavailable; current state: revision 2, 2 replicas "
        "(rtb-hub:v1.42.0)"
    )
    with use_locale("ko"):
        assert stored_text(stored) == (
            "kubernetes int: HTTP 503 Service Unavailable; 현재 상태: revision 2, replica 2개 "
            "(rtb-hub:v1.42.0)"
        )


def test_a_stored_failure_reads_back_as_its_kind_and_older_text_rows_as_written():
    timed_out = TimedOut(
        "the hub's cleanupExpired",
        "no answer within 2 s after the request was sent",
        details=Details(Symptom.NO_ANSWER_AFTER_SENDING, seconds=2.0),
    )
    stored = json.loads(json.dumps(timed_out.as_data()))  # as the database keeps it
    again = BackendError.from_data(stored)
    assert type(again) is TimedOut and again.details == timed_out.details
    assert again.may_have_applied is True and again.reason == timed_out.reason
    said = "the hub's cleanupExpired: no answer within 2 s after the request was sent"
    assert stored_text(stored) == said
    with use_locale("ko"):
        assert stored_text(stored) == "the hub's cleanupExpired: 요청을 보낸 뒤 2초 안에 응답 없음"
    assert stored_text("Kubernetes int: timed out") == "Kubernetes int: timed out"
    newer = {**stored, "kind": "Throttled", "details": {"symptom": "throttled_by_quota"}}
    assert type(BackendError.from_data(newer)) is BackendError
    assert stored_text(newer) == "the hub's cleanupExpired: " + timed_out.reason


async def test_an_emergency_rollback_whose_parts_got_no_clear_answer_is_unknown_not_failed(
    runtime, kube
):
    """Every part answered a 503 (each may have been applied): the run says it does not know,
    never "failed" ("nothing changed"); each part is named with its failure and its state."""
    seed_hub(kube["int"])
    for method in ("PUT", "PATCH"):
        kube["int"].inject_fault(method, "/deployments/", status=503, count=None)
    spec = EmergencyRollback.build(runtime.backends.config, "int")
    result = await run_spec(runtime.backends, spec, OPERATOR)
    assert result.status == "unknown"
    told = stored_text(result.result["error"])
    assert told.startswith("kubernetes int: no part is known to be applied, and some may have")
    assert "workflow-engine: kubernetes int: HTTP 503 Service Unavailable; current state:" in told
    with use_locale("ko"):
        assert "일부는 적용됐을 수 있습니다" in stored_text(result.result["error"])

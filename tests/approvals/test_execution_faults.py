"""What a run records when a backend fails: `failed` only when the backend answered that it
did not do it (a refusal: the kind says so), `unknown` when the change may have been applied.
Real Redis and the fake Kubernetes API server give the answers."""

from __future__ import annotations

import redis.asyncio as aioredis

from approvals.execution import run_spec
from approvals.queue_mutations import PauseQueue
from approvals.workload_mutations import ScaleDeployment
from ops.backends.aws import Actor
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
    assert result.result == {"error": "Redis: Redis refused the command"}


async def test_a_change_the_api_server_failed_midway_is_recorded_unknown(runtime, kube):
    """A 5xx may come after the work was done: the run says it does not know."""
    seed_hub(kube["int"])
    kube["int"].inject_fault("PATCH", "/deployments/", status=503)
    spec = ScaleDeployment.build(runtime.backends.config, "int", HUB, LISTENER, 2)
    result = await run_spec(runtime.backends, spec, OPERATOR)
    assert result.status == "unknown"
    assert result.result["error"].startswith("kubernetes int: HTTP 503 Service Unavailable")

"""Decisions racing each other on one request: conditional UPDATEs let exactly one win."""

import asyncio

from approvals.gate import Requester
from approvals.outcomes import ApprovalRequested, Decided, DecisionRefused
from approvals.workload_mutations import ScaleDeployment
from handlers.render.stored_errors import stored_text
from tests.approvals.support import (
    PREVIEW,
    running_bot,
    scale_patches,
    seed_deployment,
    with_config,
)


async def _request(runtime, user="UOPERATOR1"):
    gate = runtime.deps.gate
    spec = ScaleDeployment.build(runtime.settings.config, "prd", PREVIEW, "app", 0)
    outcome = await gate.submit(spec, Requester(user, "C_OPS", "t"), "incident INC-1")
    assert isinstance(outcome, ApprovalRequested)
    return gate, outcome.request.id


async def test_reject_and_cancel_at_once(runtime, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    for _ in range(5):
        gate, request_id = await _request(runtime)
        outcomes = await asyncio.gather(
            gate.reject(request_id, "ULEAD1", "no", "t"),
            gate.cancel(request_id, "UOPERATOR1", "t"),
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["Decided", "DecisionRefused"]


async def test_approve_and_reject_at_once_run_at_most_once(runtime, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    for _ in range(5):
        gate, request_id = await _request(runtime)
        approved, rejected = await asyncio.gather(
            gate.approve(request_id, "ULEAD2", "t"), gate.reject(request_id, "ULEAD1", None, "t")
        )
        winners = [o for o in (approved, rejected) if isinstance(o, Decided)]
        assert len(winners) == 1, (approved, rejected)
        final = await gate.services.store.get(request_id)
        assert final.status in ("succeeded", "rejected")
    succeeded = await runtime.backends.db.fetch(
        "SELECT id FROM rtb_bot.approval_requests WHERE status = 'succeeded'"
    )
    assert len(scale_patches(kube["prd"])) == len(succeeded)


async def test_stored_parameters_edited_in_the_database_are_not_run(runtime, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    gate, request_id = await _request(runtime)
    await runtime.backends.db.execute(
        "UPDATE rtb_bot.approval_requests SET params = jsonb_set(params, '{replicas}', '50')"
    )
    outcome = await gate.approve(request_id, "ULEAD1", "t")
    assert isinstance(outcome, Decided) and outcome.request.status == "failed"
    assert "digest" in stored_text(outcome.request.result["error"])
    assert scale_patches(kube["prd"]) == []


async def test_a_policy_that_now_denies_stops_an_approved_request(
    runtime, bot_settings, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app")
    _, request_id = await _request(runtime)
    stricter = runtime.settings.config.policy | {
        "preview.workload": {"int": "allow", "stg": "allow", "prd": "deny"}
    }
    async with running_bot(with_config(bot_settings, policy=stricter), fake_slack) as bot:
        outcome = await bot.runtime.deps.gate.approve(request_id, "ULEAD1", "t")
    assert outcome.request.status == "failed"
    assert set(outcome.request.result) == {"error"}  # kept as data, worded when shown
    assert stored_text(outcome.request.result["error"]) == "the policy no longer allows this change"
    assert scale_patches(kube["prd"]) == []


async def test_unknown_and_malformed_ids(runtime):
    gate = runtime.deps.gate
    for value in ("AR-22222", "nonsense", "AR-0O0O0", "", "AR-" + "2" * 200):
        for decide in (
            gate.approve(value, "ULEAD1", "t"),
            gate.reject(value, "ULEAD1", None, "t"),
            gate.cancel(value, "UOPERATOR1", "t"),
        ):
            outcome = await decide
            assert isinstance(outcome, DecisionRefused) and outcome.code == "unknown_request"

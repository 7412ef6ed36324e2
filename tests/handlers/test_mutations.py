"""`/rtb scale` through the gate: signed slash commands over HTTP, real PostgreSQL, fake kube."""

from tests.approvals.support import (
    PREVIEW,
    card,
    replicas,
    request_id_in,
    scale_patches,
    seed_deployment,
)
from tests.fixtures.bot import answer_text


async def test_int_hub_scale_runs_at_once(slack, kube):
    seed_deployment(kube["int"], "rtb-ai-hub", "workflow-engine", replicas=1)
    answer = await slack.ask("scale int workflow-engine 3")
    assert "1 replica → 3 replicas" in answer_text(answer)
    assert replicas(kube["int"], "rtb-ai-hub", "workflow-engine") == 3


async def test_prd_preview_scale_with_reason_creates_a_card(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    answer = await slack.ask(f'scale prd app 0 --namespace {PREVIEW} --reason "incident INC-42"')
    request_id = request_id_in(answer)
    message = card(slack.api, request_id)
    assert "<@ULEAD1>" in answer_text(message)
    assert replicas(kube["prd"], PREVIEW, "app") == 2
    assert scale_patches(kube["prd"]) == []

"""Every decision leaves an audit row, in the order it happened; a stored request edited in the
database (its digest recomputed) is never run."""

import asyncio
import hashlib

import psycopg
import pytest

from approvals.audit import _AUDIT_LOCK
from approvals.gate import Requester
from approvals.mutations import digest_document
from approvals.outcomes import ApprovalRequested, ConfirmNeeded, Decided, DecisionRefused
from approvals.workload_mutations import ScaleDeployment
from handlers.render.stored_errors import stored_text
from ops.config import Approvals, Config, Timeouts
from tests.approvals.support import (
    PREVIEW,
    replicas,
    running_bot,
    scale_patches,
    seed_deployment,
    with_config,
)
from tests.words import user_error


@pytest.fixture
def bot_config(bot_config: Config) -> Config:
    """Generous timeouts: a runtime's first Kubernetes call (STS, EKS token, client) took over
    the default 2 s on the loaded CI machine (main's test_delete_re_reads_… fails that way)."""
    return bot_config.model_copy(
        update={"timeouts": Timeouts(backend_seconds=10, fanout_seconds=15)}
    )


async def _request(gate, config, replicas_to=0, user="UOPERATOR1"):
    spec = ScaleDeployment.build(config, "prd", PREVIEW, "app", replicas_to)
    outcome = await gate.submit(spec, Requester(user, "C_OPS", "t"), "incident INC-1")
    assert isinstance(outcome, ApprovalRequested)
    return outcome.request.id


async def _audit(runtime, request_id=None):
    return await runtime.backends.db.fetch(
        "SELECT actor, outcome, action, detail FROM rtb_bot.audit_events"
        " WHERE %s::text IS NULL OR approval_id = %s ORDER BY id",
        (request_id, request_id),
    )


@pytest.mark.parametrize("forget_the_key", [False, True])
async def test_parameters_edited_with_their_digest_recomputed_are_not_run(
    runtime, kube, forget_the_key
):
    """The review's attack: a lead approves "1 → 0 replicas"; the row now says 7."""
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=1)
    gate = runtime.deps.gate
    request_id = await _request(gate, runtime.settings.config)
    params = {"namespace": PREVIEW, "deployment": "app", "replicas": 7}
    document = digest_document("preview.workload", "scale", "prd", params)
    await runtime.backends.db.execute(
        "UPDATE rtb_bot.approval_requests SET params = jsonb_set(params, '{replicas}', '7'),"
        " digest = %s, digest_key = CASE WHEN %s THEN NULL ELSE digest_key END WHERE id = %s",
        (hashlib.sha256(document.encode()).hexdigest(), forget_the_key, request_id),
    )
    outcome = await gate.approve(request_id, "ULEAD1", "t")
    assert isinstance(outcome, Decided) and outcome.request.status == "failed"
    assert set(outcome.request.result) == {"error"}  # the code is kept, worded when shown
    said = stored_text(outcome.request.result["error"])
    assert said == "the stored parameters do not match their digest"
    assert scale_patches(kube["prd"]) == [] and replicas(kube["prd"], PREVIEW, "app") == 1


async def test_a_request_approved_as_stored_runs(runtime, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=1)
    gate = runtime.deps.gate
    request_id = await _request(gate, runtime.settings.config)
    row = await runtime.backends.db.fetch_one(
        "SELECT digest, digest_key FROM rtb_bot.approval_requests WHERE id = %s", (request_id,)
    )
    assert row["digest_key"] == "t1" and len(row["digest"]) == 64
    outcome = await gate.approve(request_id, "ULEAD1", "t")
    assert isinstance(outcome, Decided) and outcome.request.status == "succeeded"
    assert replicas(kube["prd"], PREVIEW, "app") == 0


@pytest.mark.parametrize("first", ["reject", "cancel"])
async def test_a_decision_on_an_already_decided_request_is_audited(runtime, kube, first):
    seed_deployment(kube["prd"], PREVIEW, "app")
    gate = runtime.deps.gate
    request_id = await _request(gate, runtime.settings.config)
    decide = {
        "reject": lambda: gate.reject(request_id, "ULEAD1", "no", "t1"),
        "cancel": lambda: gate.cancel(request_id, "UOPERATOR1", "t2"),
    }
    assert isinstance(await decide[first](), Decided)
    for second in ("reject", "cancel"):
        late = await decide[second]()
        assert isinstance(late, DecisionRefused) and late.code == "not_pending"
    rows = await _audit(runtime, request_id)
    decided = {"reject": "rejected", "cancel": "cancelled"}[first]
    assert [(r["actor"], r["outcome"], r["detail"].get("refused")) for r in rows] == [
        ("UOPERATOR1", "requested", None),
        (rows[1]["actor"], decided, None),
        ("ULEAD1", "refused", "not_pending"),
        ("UOPERATOR1", "refused", "not_pending"),
    ]


async def test_a_confirm_or_cancel_clicked_by_someone_else_is_audited(runtime, kube):
    seed_deployment(kube["int"], PREVIEW, "app", replicas=2)
    gate = runtime.deps.gate
    spec = ScaleDeployment.build(runtime.settings.config, "int", PREVIEW, "app", 0)
    asked = await gate.submit(spec, Requester("UOPERATOR1", "C_OPS", "t1"))
    assert isinstance(asked, ConfirmNeeded)
    with user_error(match="only the person who asked"):
        await gate.confirm(asked.token, "UOPERATOR2", "t2")
    assert await gate.drop_confirmation(asked.token, "ULEAD1", "t3") is False
    rows = await _audit(runtime)
    assert [(r["actor"], r["outcome"], r["action"], r["detail"]) for r in rows] == [
        ("UOPERATOR2", "refused", "scale", {"policy_action": spec.action, **_others("confirm")}),
        ("ULEAD1", "refused", "scale", {"policy_action": spec.action, **_others("cancel")}),
    ]
    assert replicas(kube["int"], PREVIEW, "app") == 2  # and the requester still may confirm:
    assert (await gate.confirm(asked.token, "UOPERATOR1", "t4")).run.status == "succeeded"


def _others(button: str) -> dict[str, str]:
    return {"refused": "not_requester", "button": button}


async def test_a_refusal_while_reading_the_target_is_audited(runtime, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")  # the preview exists, `missing` does not
    gate = runtime.deps.gate
    spec = ScaleDeployment.build(runtime.settings.config, "prd", PREVIEW, "missing", 0)
    with user_error() as refused:
        await gate.submit(spec, Requester("UOPERATOR1", "C_OPS", "t1"), "INC-1")
    rows = await _audit(runtime)
    assert [(r["actor"], r["outcome"], r["action"]) for r in rows] == [
        ("UOPERATOR1", "refused", "scale")
    ]
    detail = rows[0]["detail"]
    assert detail["refused"] == "target" and detail["reason"] == refused.value.as_data()
    assert detail["rule"].startswith("policy preview.workload prd")


async def _waiting_on_locks(url: str, count: int) -> None:
    """Until `count` sessions of this database wait for a lock (no timing: a condition)."""
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            (waiting,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting >= count:
                return
            await asyncio.sleep(0.01)


async def test_a_vote_is_never_recorded_after_the_request_was_rejected(
    bot_settings, fake_slack, kube, pg_url
):
    """The race, forced in its worst order on two connections: the reject has changed the row
    and waits to append its audit row (the test holds the audit lock); the approve arrives."""
    seed_deployment(kube["prd"], PREVIEW, "app")
    settings = with_config(bot_settings, approvals=Approvals(required=2))
    async with running_bot(settings, fake_slack) as bot:
        gate = bot.runtime.deps.gate
        request_id = await _request(gate, settings.config)
        with psycopg.connect(pg_url, autocommit=True) as holder:
            holder.execute("SELECT pg_advisory_lock(%s)", (_AUDIT_LOCK,))
            reject = asyncio.create_task(gate.reject(request_id, "ULEAD1", "no", "t1"))
            await _waiting_on_locks(pg_url, 1)
            approve = asyncio.create_task(gate.approve(request_id, "ULEAD2", "t2"))
            await _waiting_on_locks(pg_url, 2)
            holder.execute("SELECT pg_advisory_unlock(%s)", (_AUDIT_LOCK,))
            rejected, approved = await asyncio.gather(reject, approve)
        assert isinstance(rejected, Decided)
        assert isinstance(approved, DecisionRefused) and approved.code == "not_pending"
        rows = await _audit(bot.runtime, request_id)
        votes = await bot.runtime.backends.db.fetch("SELECT * FROM rtb_bot.approval_votes")
    assert [(r["actor"], r["outcome"]) for r in rows] == [
        ("UOPERATOR1", "requested"),
        ("ULEAD1", "rejected"),
        ("ULEAD2", "refused"),
    ]
    assert votes == []

"""The queue and preview MutationSpecs: parameters, policy actions, texts, stored-request
rebuilds, and the checks they repeat right before running (over real Redis, PostgreSQL and the
fake clusters)."""

from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from bullmq import Queue

from approvals.access_matrix import default_matrix
from approvals.catalog import MUTATIONS, rebuild
from approvals.policy import CORE_INFRASTRUCTURE, Policy
from approvals.preview_cleanups import CleanupPreviews
from approvals.preview_mutations import CreatePreview, DeletePreview
from approvals.queue_mutations import PauseQueue, ResumeQueue, RetryFailedJobs
from handlers.render.change_facts import said_text
from handlers.render.decisions import decision_reason
from handlers.render.stored_errors import stored_text
from ops.backends.aws import Actor
from ops.config import ENV_NAMES, Config
from ops.preview_deletes import expired_previews
from ops.preview_names import issue_key, namespace_ref, preview_ttl
from tests.approvals.support import (
    bare_namespace,
    card,
    click_card,
    request_id_in,
    running_bot,
    with_config,
)
from tests.fixtures.bot import answer_text
from tests.ops.test_previews import preview_namespace
from tests.words import user_error

CONFIG = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
HOUR = timedelta(hours=1)


def specs():
    return [
        PauseQueue.build("int", "jira-queue"),
        ResumeQueue.build("int", "jira-queue"),
        RetryFailedJobs.build_retry("int", "jira-queue", None),
        RetryFailedJobs.build_retry("int", "jira-queue", 5),
        CreatePreview.build("prd", "PROJ-200", 8 * HOUR, "UOPERATOR1"),
        DeletePreview.build("stg", "PROJ-118"),
        DeletePreview.build("prd", "rtb-ai-hub"),
        CleanupPreviews.build("int", ["preview-proj-131", "preview-proj-130"]),
    ]


# -- parameters and rebuilds ----------------------------------------------------------------


@pytest.mark.parametrize("spec", specs(), ids=lambda s: f"{s.mutation}-{s.env}")
def test_a_stored_request_rebuilds_to_the_same_spec_and_digest(spec):
    assert MUTATIONS[spec.mutation] is type(spec)
    again = rebuild(CONFIG, spec.mutation, spec.env, spec.params)
    assert again == spec and again.digest == spec.digest


def test_parameters_are_exactly_what_runs():
    assert PauseQueue.build("int", "jira-queue").params == {"queue": "jira-queue"}
    assert RetryFailedJobs.build_retry("int", "q", 3).params == {"queue": "q", "limit": 3}
    create = CreatePreview.build("prd", "proj-200", 2 * HOUR, "UOPERATOR1")
    assert create.params == {
        "issue_key": "PROJ-200",
        "ttl_seconds": 7200,
        "requested_by": "UOPERATOR1",
    }
    assert str(create.target) == "preview-proj-200"
    cleanup = CleanupPreviews.build("int", ["b", "a", "b"])
    assert cleanup.params == {"namespaces": ["a", "b"]}


@pytest.mark.parametrize(
    ("mutation", "params", "said"),
    [
        ("queue-pause", {"queue": "no spaces!"}, "is not a valid queue name"),
        ("queue-retry-failed", {"queue": "q", "limit": -1}, "between 1 and 10,000"),
        ("preview-create", {"issue_key": "x", "ttl_seconds": 3600, "requested_by": "U1"}, "issue"),
        ("preview-create", {"issue_key": "PR-1", "ttl_seconds": 60, "requested_by": "U1"}, "TTL"),
        ("preview-delete", {"namespace": "Not A Name"}, "is not a valid preview"),
        ("preview-cleanup", {"namespaces": []}, "nothing to delete"),
    ],
)
def test_edited_stored_parameters_are_refused(mutation, params, said):
    with user_error(match=said):
        rebuild(CONFIG, mutation, "int", params)


def test_issue_keys_ttls_and_delete_targets():
    assert issue_key("proj-7") == "PROJ-7" and issue_key(" AB2-10 ") == "AB2-10"
    for bad in ("PROJ", "7-PROJ", "P-1-2", "PROJ_1", "P" + "A" * 60 + "-1"):
        with user_error(ValueError, match="issue key"):
            issue_key(bad)
    assert preview_ttl("1h") == HOUR and preview_ttl("7d") == preview_ttl("1w") == 168 * HOUR
    assert preview_ttl("90m") == 1.5 * HOUR
    for bad in ("59m", "169h", "8", "-1h", "1y"):
        with pytest.raises(ValueError):
            preview_ttl(bad)
    assert namespace_ref("PROJ-7") == namespace_ref("preview-PROJ-7") == namespace_ref("proj-7")
    assert namespace_ref("proj-7").namespace == "preview-proj-7"
    assert namespace_ref("rtb-ai-hub").issue_key is None
    assert namespace_ref("preview-x").issue_key is None  # preview-ish, but no issue key


# -- policy ---------------------------------------------------------------------------------


EXPECTED = {
    # spec index in specs() → (int, stg, prd) for an operator
    "hub.queue": ("allow", "deny", "deny"),
    "preview.create": ("allow", "allow", "approval"),
    "preview.delete": ("allow", "allow", "allow"),
    CORE_INFRASTRUCTURE: ("deny", "deny", "deny"),
}


@pytest.mark.parametrize("role", ["operator", "lead"])
def test_every_env_and_role_against_the_matrix(role):
    policy = Policy(CONFIG)
    actions = {s.action for s in specs()}
    assert actions == set(EXPECTED)
    for action, cells in EXPECTED.items():
        for env, cell in zip(ENV_NAMES, cells, strict=True):
            decision = policy.decide(action, env, role, "C_OPS")
            assert decision.outcome == cell, (action, env)
            if cell == "deny":
                assert f"{env} core infrastructure is never modified from the bot" in (
                    decision_reason(decision)
                )
    assert decision_reason(policy.decide("hub.queue", "int", "viewer", "C")) == (
        "viewers cannot request changes"
    )


async def test_the_label_read_now_decides_what_a_delete_is(runtime, kube):
    """Built, a delete is core infrastructure (a path that never reads the label refuses);
    classified, it is `preview.delete` only for a namespace labelled a preview."""
    kube["int"].apply(preview_namespace("preview-proj-7", issue="PROJ-7"))
    kube["int"].apply(preview_namespace("renamed-later"))  # the label, not the name, decides
    kube["int"].apply(preview_namespace("rtb-ai-hub"))  # the hub is never a preview
    for name in ("kube-system", "default", "preview-x", "preview-controller"):
        bare_namespace(kube["int"], name)
    for name in ("PROJ-7", "preview-proj-7", "renamed-later"):
        built = DeletePreview.build("int", name)
        assert built.action == CORE_INFRASTRUCTURE
        assert (await built.classified(runtime.backends)).action == "preview.delete", name
    for name in ("rtb-ai-hub", "kube-system", "default", "preview-x", "preview-controller"):
        classified = await DeletePreview.build("int", name).classified(runtime.backends)
        assert classified.action == CORE_INFRASTRUCTURE, name
    with user_error(match="int: there is no preview namespace `preview-proj-8`"):
        await DeletePreview.build("int", "PROJ-8").classified(runtime.backends)


# -- texts for cards and answers ------------------------------------------------------------


def test_the_change_each_spec_describes():
    pause, resume, retry_all, retry_5, create, delete, _, cleanup = specs()
    assert said_text(pause.describe_change({"paused": False, "pending": 55}).after) == (
        "paused (55 waiting stay queued)"
    )
    assert (
        said_text(pause.describe_state({"paused": False, "pending": 55})) == "running, 55 waiting"
    )
    assert said_text(resume.describe_change({"paused": True, "pending": 3}).before) == (
        "paused (3 waiting)"
    )
    assert said_text(retry_all.describe_change({"failed": 6}).after) == "all retried, 0 failed"
    assert said_text(retry_5.describe_change({"failed": 6, "paused": True}).after) == (
        "the 5 newest retried, 1 failed (the queue is paused: they wait until it is resumed)"
    )
    assert said_text(create.describe_change({}).after) == (
        "preview-proj-200 (PROJ-200, expires 8h after creation)"
    )
    state = {"namespace": "preview-proj-118", "issue_key": "PROJ-118"}
    state["expires_at"] = "2025-03-14T09:30:00Z"
    assert said_text(delete.describe_change(state).before) == (
        "preview-proj-118 (PROJ-118, expires 2025-03-14 09:30 UTC)"
    )
    assert said_text(cleanup.describe_change({}).before) == (
        "2 expired: preview-proj-130, preview-proj-131"
    )
    assert said_text(cleanup.describe_state({"expired": []})) == "none expired"
    assert str(pause.target) == "jira-queue" and pause.headline() == "queue-pause jira-queue in int"


# -- checks repeated right before running ---------------------------------------------------


async def test_delete_re_reads_the_label_right_before_deleting(runtime, kube):
    kube["int"].apply(preview_namespace("preview-proj-7", issue="PROJ-7"))
    spec = DeletePreview.build("int", "PROJ-7")
    await spec.preflight(runtime.backends)
    kube["int"].apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "preview-proj-7"}}
    )  # relabelled (the label dropped) after the pre-flight
    with user_error(match="is not a preview namespace"):
        await spec.execute(runtime.backends, Actor("UOPERATOR1"))
    assert [r for r in kube["int"].requests if r[0] == "DELETE"] == []


async def test_the_hubs_namespace_is_never_a_preview_even_labelled_and_expired(runtime, kube):
    kube["int"].apply(preview_namespace("rtb-ai-hub", expires_in=-HOUR))
    kube["int"].apply(preview_namespace("preview-proj-1", issue="PROJ-1", expires_in=-HOUR))
    expired = await expired_previews(runtime.backends, "int")
    assert [p.namespace for p in expired] == ["preview-proj-1"]
    spec = CleanupPreviews.build("int", ["rtb-ai-hub"])  # asked for by name all the same
    with user_error(match="rtb-ai-hub: not a preview namespace"):
        await spec.execute(runtime.backends, Actor("UOPERATOR1"))
    assert kube["int"].get("namespaces", None, "rtb-ai-hub") is not None
    assert [r for r in kube["int"].requests if r[0] == "DELETE"] == []


async def test_cleanup_skips_what_is_no_longer_expired(runtime, kube):
    kube["int"].apply(preview_namespace("preview-proj-1", issue="PROJ-1", expires_in=-HOUR))
    kube["int"].apply(preview_namespace("preview-proj-2", issue="PROJ-2", expires_in=-HOUR))
    spec = CleanupPreviews.build("int", ["preview-proj-1", "preview-proj-2", "preview-proj-3"])
    kube["int"].apply(preview_namespace("preview-proj-2", issue="PROJ-2", expires_in=HOUR))
    result = await spec.execute(runtime.backends, Actor("UOPERATOR1"))
    for skipped in result["skipped"]:  # kept as data, worded when shown
        skipped["reason"] = stored_text(skipped["reason"])
    assert result == {
        "via": "namespaces",  # no hub cleanup endpoint in the test config
        "deleted": [{"namespace": "preview-proj-1", "reason": ""}],
        "failed": [],
        "skipped": [
            {"namespace": "preview-proj-2", "reason": "no longer expired (its TTL was extended)"},
            {"namespace": "preview-proj-3", "reason": "already gone"},
        ],
        "unknown": [],
    }


async def test_an_approved_queue_pause_stops_when_someone_paused_it_meanwhile(
    bot_settings, fake_slack, kube, redis_url
):
    """With int queue changes behind approval (configurable): the pre-flight is re-read."""
    policy = {**default_matrix(), "hub.queue": {"int": "approval", "stg": "deny", "prd": "deny"}}
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        queue = Queue("jira-queue", {"connection": client, "prefix": "bull"})
        await queue.add("job", {"n": 1})
        async with running_bot(with_config(bot_settings, policy=policy), fake_slack) as slack:
            answer = await slack.ask('queue pause jira-queue --reason "INC-9"')
            request_id = request_id_in(answer)
            assert "running → paused (1 waiting stay queued)" in answer_text(
                card(slack.api, request_id)
            )
            await queue.pause()
            await click_card(slack, request_id, user="ULEAD1")
            shown = answer_text(card(slack.api, request_id))
        assert "already paused" in shown and "Nothing was changed" in shown
    finally:
        await client.aclose()

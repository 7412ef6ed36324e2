"""Rollout mutations against the fake Kubernetes API server (its ReplicaSet controller makes
rollback real), moto's ECR and real PostgreSQL: the specs, the ops under them, and the gate."""

import pytest

from approvals.emergency_rollback import EmergencyRollback
from approvals.gate import Requester
from approvals.mutations import OutcomeUnknown
from approvals.outcomes import ConfirmNeeded, Ran
from approvals.rollout_mutations import RollbackDeployment, SetImage
from approvals.workload_mutations import ResumeAutoscaling, ScaleDeployment
from handlers.render.change_facts import said_text
from handlers.render.errors import error_text
from handlers.render.stored_errors import stored_text
from ops import images
from ops.backends.aws import Actor
from ops.backends.faults import TimedOut
from ops.errors import BackendError, Problem, UserError
from ops.rollouts.follow import FollowedRollouts, follow_rollouts
from ops.rollouts.history import read_revisions
from tests.approvals.rollout_support import (
    ENGINE,
    HUB,
    INT_REPO,
    LISTENER,
    fast_config,
    image,
    paused_replicas,
    replicaset_revisions,
    revision,
    seed_ecr,
    seed_hub,
    writes,
)
from tests.approvals.support import seed_deployment
from tests.words import said, user_error

OPERATOR = Actor("UOPERATOR1")


@pytest.fixture
def bot_config(kube, aws_endpoint, aws_env, fake_slack):
    return fast_config(kube, aws_endpoint, fake_slack.base_url)


@pytest.fixture
def config(runtime):
    return runtime.settings.config


@pytest.fixture
def backends(runtime):
    return runtime.backends


# -- KEDA --------------------------------------------------------------------------------------


async def test_scaling_a_keda_driven_deployment_pauses_keda_at_that_count(kube, config, backends):
    seed_hub(kube["int"])
    spec = ScaleDeployment.build(config, "int", HUB, ENGINE, 4)
    preflight = await spec.preflight(backends)
    assert preflight["keda"] == {"scaled_object": ENGINE, "paused_replicas": None}
    change = spec.describe_change(preflight)
    assert said_text(change.before) == f"1 replica (autoscaled by KEDA ScaledObject `{ENGINE}`)"
    assert said_text(change.after) == f"4 replicas (KEDA ScaledObject `{ENGINE}` paused at 4)"
    result = await spec.execute(backends, OPERATOR)
    assert paused_replicas(kube["int"]) == "4"  # a merge patch: the fake answers 415 otherwise
    assert result == {
        "replicas": 4,
        "previous_replicas": 1,
        "scaled_object": ENGINE,
        "keda_paused_before": None,
    }
    undo = spec.undo(result, config)
    assert isinstance(undo, ResumeAutoscaling)  # KEDA was in charge before: hand it back

    resume = ResumeAutoscaling.build(config, "int", HUB, ENGINE)
    resumed = resume.describe_change(await resume.preflight(backends))
    assert said_text(resumed.before) == "KEDA paused at 4"
    await resume.execute(backends, OPERATOR)
    assert paused_replicas(kube["int"]) is None
    with user_error(match="is not paused"):
        await resume.preflight(backends)


async def test_a_deployment_without_keda_is_scaled_alone(kube, config, backends):
    seed_hub(kube["int"])
    spec = ScaleDeployment.build(config, "int", HUB, LISTENER, 3)
    assert "keda" not in await spec.preflight(backends)
    result = await spec.execute(backends, OPERATOR)
    assert result["scaled_object"] is None and result["previous_replicas"] == 2
    assert isinstance(spec.undo(result, config), ScaleDeployment)
    with user_error(match="not driven by a KEDA ScaledObject"):
        await ResumeAutoscaling.build(config, "int", HUB, LISTENER).preflight(backends)
    patches = [r for r in kube["int"].requests if "scaledobjects" in r[1] and r[0] == "PATCH"]
    assert patches == []


def test_scaling_to_zero_or_above_the_maximum_asks_for_confirmation(config):
    def asks(replicas: int) -> str | None:
        spec = ScaleDeployment.build(config, "int", HUB, ENGINE, replicas)
        why = spec.confirmation({"replicas": 1}, config)
        return None if why is None else said_text(why)

    assert "stops `workflow-engine`" in (asks(0) or "")
    assert asks(1) is None and asks(config.hub.max_replicas) is None
    assert "configured maximum of 10" in (asks(11) or "")


# -- rollback ----------------------------------------------------------------------------------


async def test_rollback_to_the_previous_revision_like_kubectl_rollout_undo(kube, config, backends):
    seed_hub(kube["int"])
    spec = RollbackDeployment.build(config, "int", HUB, ENGINE)
    preflight = await spec.preflight(backends)
    change = spec.describe_change(preflight)
    assert (said_text(change.before), said_text(change.after)) == (
        "revision 3 (rtb-hub:v1.42.0)",
        "revision 2 (rtb-hub:v1.41.1)",
    )
    result = await spec.execute(backends, OPERATOR)
    assert image(kube["int"], ENGINE) == f"{INT_REPO}:v1.41.1"
    # The controller re-labels the old ReplicaSet as the newest revision, as Kubernetes does.
    assert revision(kube["int"], ENGINE) == 4
    assert replicaset_revisions(kube["int"], ENGINE) == {
        1: f"{INT_REPO}:v1.41.0",
        3: f"{INT_REPO}:v1.42.0",
        4: f"{INT_REPO}:v1.41.1",
    }
    assert result["from_revision"] == 3 and result["to_revision"] == 2
    undo = spec.undo(result, config)
    assert isinstance(undo, RollbackDeployment) and undo.to_revision == 3
    cause = kube["int"].get("deployments", HUB, ENGINE)["metadata"]["annotations"]
    assert cause["kubernetes.io/change-cause"] == "hotfix v1.41.1: back off on Claude 529"
    assert [m for m, _ in writes(kube["int"])] == ["PUT"]


async def test_rollback_to_a_given_revision_and_to_one_that_does_not_exist(kube, config, backends):
    seed_hub(kube["int"])
    await RollbackDeployment.build(config, "int", HUB, ENGINE, 1).execute(backends, OPERATOR)
    assert (
        image(kube["int"], ENGINE) == f"{INT_REPO}:v1.41.0" and revision(kube["int"], ENGINE) == 4
    )
    with user_error() as missing:
        await RollbackDeployment.build(config, "int", HUB, ENGINE, 7).preflight(backends)
    assert said(missing.value) == (
        "`workflow-engine` in `rtb-ai-hub` (int) has no revision 7; its revisions are: 4, 3, 2."
    )
    with user_error(match="already runs the template of revision 4"):
        await RollbackDeployment.build(config, "int", HUB, ENGINE, 4).preflight(backends)
    with user_error(match="no previous revision"):
        await RollbackDeployment.build(config, "int", HUB, "auth-service").preflight(backends)
    with user_error(match="there is no deployment `nope`"):
        await RollbackDeployment.build(config, "int", HUB, "nope").preflight(backends)
    assert len(writes(kube["int"])) == 1


async def test_a_conflict_is_retried_on_a_fresh_read(kube, config, backends):
    seed_hub(kube["int"])
    kube["int"].inject_fault("PUT", f"/deployments/{ENGINE}$", status=409, count=1)
    await RollbackDeployment.build(config, "int", HUB, ENGINE).execute(backends, OPERATOR)
    assert [m for m, _ in writes(kube["int"])] == ["PUT", "PUT"]
    reads = [r for r in kube["int"].requests if r[0] == "GET" and r[1].endswith(f"/{ENGINE}")]
    assert len(reads) == 2  # each attempt read the deployment afresh
    assert revision(kube["int"], ENGINE) == 4

    kube["int"].inject_fault("PATCH", f"/deployments/{LISTENER}/scale$", status=409, count=2)
    spec = ScaleDeployment.build(config, "int", HUB, LISTENER, 3)
    assert (await spec.execute(backends, OPERATOR))["replicas"] == 3
    assert [m for m, _ in writes(kube["int"], LISTENER)] == ["PATCH"] * 3

    kube["int"].inject_fault("PATCH", f"/deployments/{LISTENER}/scale$", status=409, count=3)
    with pytest.raises(BackendError, match="HTTP 409"):  # three times: give up
        await ScaleDeployment.build(config, "int", HUB, LISTENER, 1).execute(backends, OPERATOR)


async def test_a_stale_resource_version_is_a_real_conflict(kube, config, backends):
    """Without an injected fault: the PUT carries the resourceVersion read, so a change made
    in between is a 409 from the fake's own optimistic concurrency, retried on a fresh read."""
    seed_hub(kube["int"])
    found = await read_revisions(backends, "int", HUB, ENGINE)
    stale = dict(found.deployment.raw)
    stale["metadata"] = {**found.deployment.raw["metadata"], "resourceVersion": "1"}
    with pytest.raises(BackendError, match="HTTP 409"):
        await backends.kube.call(
            "int", "apps", "replace_namespaced_deployment", name=ENGINE, namespace=HUB, body=stale
        )


async def test_kubernetes_403_names_what_the_role_lacks(kube, config, backends):
    seed_hub(kube["int"])
    kube["int"].inject_fault("PUT", f"/deployments/{ENGINE}$", status=403, count=1)
    with user_error() as denied:
        await RollbackDeployment.build(config, "int", HUB, ENGINE).execute(backends, OPERATOR)
    assert said(denied.value) == (
        "Kubernetes denied update deployments in rtb-ai-hub (HTTP 403): "
        "the bot's role lacks that permission"
    )
    kube["int"].inject_fault("PATCH", "/scaledobjects/", status=403, count=1)
    with user_error(match=r"denied patch scaledobjects.keda.sh in rtb-ai-hub"):
        await ScaleDeployment.build(config, "int", HUB, ENGINE, 2).execute(backends, OPERATOR)


async def test_a_write_without_an_answer_says_what_is_known(kube, config, backends):
    seed_hub(kube["int"])
    kube["int"].inject_fault("PATCH", f"/deployments/{LISTENER}/scale$", status=None, hold=True)
    with pytest.raises(OutcomeUnknown) as unknown:
        await ScaleDeployment.build(config, "int", HUB, LISTENER, 5).execute(backends, OPERATOR)
    assert kube["int"].held_requests == 1  # the bot's own timeout, before the server answered
    kube["int"].release_held()
    told = unknown.value.error
    assert told.code is Problem.NO_CLEAR_ANSWER
    assert isinstance(told.params["failure"], TimedOut)
    assert (told.params["revision"], told.params["replicas"]) == ("2", 2)
    assert error_text(told).endswith("; current state: revision 2, 2 replicas (rtb-hub:v1.42.0)")


# -- set image ---------------------------------------------------------------------------------


async def test_set_image_checks_the_tag_in_ecr_before_anything_is_patched(
    runtime, kube, config, backends
):
    seed_hub(kube["int"])
    seed_ecr(runtime)
    spec = SetImage.build(config, "int", HUB, ENGINE, "v1.41.0")
    assert spec.image == f"{INT_REPO}:v1.41.0"
    preflight = await spec.preflight(backends)
    assert preflight["revision"] == 3 and preflight["tag_digest"].startswith("sha256:")
    change = spec.describe_change(preflight)
    assert (said_text(change.before), said_text(change.after)) == (
        "workflow-engine: rtb-hub:v1.42.0",
        "workflow-engine: rtb-hub:v1.41.0",
    )
    result = await spec.execute(backends, OPERATOR)
    assert image(kube["int"], ENGINE) == f"{INT_REPO}:v1.41.0"
    assert revision(kube["int"], ENGINE) == 4 and result["from_revision"] == 3
    undo = spec.undo(result, config)
    assert isinstance(undo, RollbackDeployment) and undo.to_revision == 3
    cause = kube["int"].get("deployments", HUB, ENGINE)["metadata"]["annotations"]
    assert cause["kubernetes.io/change-cause"] == "rtb-bot set-image v1.41.0 (asked by UOPERATOR1)"

    missing = SetImage.build(config, "int", HUB, ENGINE, "v9.9.9")
    with user_error() as error:
        await missing.preflight(backends)
    assert said(error.value) == (
        "tag `v9.9.9` is not in rtb-hub (newest: v1.42.0, v1.41.1, v1.41.0)."
    )
    with user_error(match="has no container `sidecar`"):
        await SetImage.build(config, "int", HUB, ENGINE, "v1.41.0", "sidecar").preflight(backends)
    assert [m for m, _ in writes(kube["int"])] == ["PATCH"]


@pytest.mark.parametrize(
    "tag",
    ["v1;rm -rf /", "-rf", ".hidden", "a" * 129, "<@U123>", "v1.0\n", "../../etc", "tag:latest"],
)
def test_hostile_tags_are_refused_before_any_call(tag, config):
    with user_error(ValueError, match="must be an image tag"):
        SetImage.build(config, "int", HUB, ENGINE, tag)


async def test_recent_tags_newest_first(runtime, backends):
    seed_ecr(runtime)
    tags = await images.recent_tags(backends, 3)
    assert [t.tag for t in tags] == ["v1.42.0", "v1.41.1", "v1.41.0"]
    assert images.tag_of(runtime.settings.config, f"{INT_REPO}:v1.41.1") == "v1.41.1"
    assert images.tag_of(runtime.settings.config, "docker.io/library/redis:7") is None


# -- the emergency rollback and the gate -------------------------------------------------------


async def test_emergency_rollback_confirms_once_then_audits_each_deployment(runtime, kube, config):
    seed_hub(kube["int"])
    gate = runtime.deps.gate
    spec = EmergencyRollback.build(config, "int")
    asked = await gate.submit(spec, Requester("UOPERATOR1", "C_OPS", "corr-1"))
    assert isinstance(asked, ConfirmNeeded)
    assert said_text(asked.change.before) == (
        "workflow-engine revision 3 (rtb-hub:v1.42.0); "
        "webhook-listener revision 2 (rtb-hub:v1.42.0)"
    )
    assert said_text(asked.change.after) == (
        "workflow-engine revision 2 (rtb-hub:v1.41.1); "
        "webhook-listener revision 1 (rtb-hub:v1.41.1)"
    )
    with user_error(match="only the person who asked"):
        await gate.confirm(asked.token, "UOPERATOR2", "corr-2")
    ran = await gate.confirm(asked.token, "UOPERATOR1", "corr-3")
    assert isinstance(ran, Ran) and ran.run.status == "succeeded"
    assert [p["target"] for p in ran.run.result["parts"]] == [
        f"{HUB}/{ENGINE}",
        f"{HUB}/{LISTENER}",
    ]
    assert image(kube["int"], ENGINE) == image(kube["int"], LISTENER) == f"{INT_REPO}:v1.41.1"
    rows = await runtime.backends.db.fetch(
        "SELECT actor, action, outcome, params FROM rtb_bot.audit_events ORDER BY id"
    )
    refused = rows.pop(0)  # the other operator's click on the Confirm button
    assert (refused["actor"], refused["action"], refused["outcome"]) == (
        "UOPERATOR2",
        spec.mutation,
        "refused",
    )
    assert [(r["action"], r["outcome"], r["params"]["deployment"]) for r in rows] == [
        ("rollback", "requested", ENGINE),
        ("rollback", "succeeded", ENGINE),
        ("rollback", "requested", LISTENER),
        ("rollback", "succeeded", LISTENER),
    ]
    with user_error(match="no longer valid"):  # a second click runs nothing
        await gate.confirm(asked.token, "UOPERATOR1", "corr-4")


async def test_emergency_rollback_with_one_deployment_that_cannot_go_back(runtime, kube, config):
    seed_deployment(kube["int"], HUB, ENGINE, image=f"{INT_REPO}:v1.41.0")
    seed_deployment(kube["int"], HUB, ENGINE, image=f"{INT_REPO}:v1.42.0")
    seed_deployment(kube["int"], HUB, LISTENER, image=f"{INT_REPO}:v1.42.0")
    spec = EmergencyRollback.build(config, "int")
    preflight = await spec.preflight(runtime.backends)
    assert "no previous revision" in stored_text(preflight[LISTENER]["unavailable"])
    gate = runtime.deps.gate
    ran = await gate.submit(spec, Requester("UOPERATOR1", "C_OPS", "c"), confirmed=True)
    assert isinstance(ran, Ran) and ran.run.status == "failed"
    assert [p["status"] for p in ran.run.result["parts"]] == ["succeeded", "failed"]
    assert image(kube["int"], ENGINE) == f"{INT_REPO}:v1.41.0"


# -- following ---------------------------------------------------------------------------------


async def test_following_a_rollout_until_it_is_complete(kube, config, backends):
    seed_hub(kube["int"])
    kube["int"].rollout_delay_seconds = 60
    await RollbackDeployment.build(config, "int", HUB, ENGINE).execute(backends, OPERATOR)
    seen = []

    async def report(looked: FollowedRollouts) -> None:
        seen.append(looked.observations[0].status.state)
        kube["int"].advance(60)  # the new pod turns Ready on the cluster's clock

    followed = await follow_rollouts(
        backends, "int", [(HUB, ENGINE)], poll_seconds=0.01, timeout_seconds=30, report=report
    )
    assert followed.done and not followed.timed_out
    assert followed.observations[0].status.state == "complete"
    assert seen == ["progressing"]  # one look while the new pod started, then done


async def test_following_gives_up_at_the_timeout(kube, config, backends):
    seed_hub(kube["int"])
    kube["int"].rollout_delay_seconds = 30
    await SetImage.build(config, "int", HUB, LISTENER, "v1.41.1").execute(backends, OPERATOR)
    followed = await follow_rollouts(
        backends, "int", [(HUB, LISTENER), (HUB, "gone")], poll_seconds=0.1, timeout_seconds=0.5
    )
    assert followed.timed_out and not followed.done
    listener, gone = followed.observations
    assert listener.status.state == "progressing"  # one surge pod, not Ready for 30 s
    assert (listener.status.updated, listener.status.available) == (1, 2)
    # the error itself, worded where it is shown
    assert gone.status is None and isinstance(gone.error, UserError)
    assert said(gone.error) == "int: there is no deployment `gone` in namespace `rtb-ai-hub`."


async def test_not_being_allowed_to_list_scaled_objects_is_said_plainly(kube, config, backends):
    seed_hub(kube["int"])
    kube["int"].inject_fault("GET", "/scaledobjects$", status=403, count=1)
    with user_error() as denied:
        await ScaleDeployment.build(config, "int", HUB, ENGINE, 2).preflight(backends)
    assert said(denied.value).startswith(
        "Kubernetes denied list scaledobjects.keda.sh in rtb-ai-hub (HTTP 403)"
    )

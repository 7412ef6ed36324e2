"""The bot against what a real cluster does over time, through the fake API server's controller:
a change the controller has not observed yet, a rollout past its progress deadline, a namespace
that is Terminating, and a delete whose uid precondition no longer holds (the namespace was
deleted, or re-created under its name, between the bot's read and its delete).

Races are made deterministic with a held request (`inject_fault(hold=...)`): the bot's request
waits at the server while the test changes the cluster, then goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from kubernetes import client

from ops.backends.aws import Actor
from ops.config import Timeouts
from ops.preview_deletes import delete_expired, delete_preview, expired_previews
from ops.rollouts import set_image as rollout_images
from ops.rollouts.follow import FollowedRollouts, follow_rollouts
from ops.rollouts.status import rollout_status
from sandbox.fake_kube import FakeKubeServer
from tests.approvals.rollout_support import (
    FAST_TIMEOUTS,
    HUB,
    INT_REPO,
    LISTENER,
    fast_config,
    seed_ecr,
    seed_hub,
    writes,
)
from tests.approvals.support import buttons_of, running_bot, with_config
from tests.fixtures.bot import answer_text
from tests.ops.test_previews import preview_namespace
from tests.words import said, user_error

OPERATOR = Actor("UOPERATOR1")
HOUR = timedelta(hours=1)
PREVIEW = "preview-proj-7"
BROKEN = f"{INT_REPO}:v1.40.0"  # in ECR, but its pods never start (ImagePullBackOff)
PAST_THE_DEADLINE = 601  # the default progressDeadlineSeconds is 600


@pytest.fixture
def bot_config(kube, aws_endpoint, aws_env, fake_slack):
    return fast_config(kube, aws_endpoint, fake_slack.base_url)


async def wait_until(condition: Callable[[], object], limit: float = 10.0) -> None:
    """Wait (not a timing assertion) until `condition()` holds; fail after `limit` seconds."""
    for _ in range(int(limit / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def admin_core(server: FakeKubeServer) -> client.CoreV1Api:
    """Someone else at the cluster (kubectl), through the official client."""
    configuration = client.Configuration(host=server.url)
    configuration.retries = 0
    return client.CoreV1Api(client.ApiClient(configuration))


# -- rollouts ----------------------------------------------------------------------------------


async def test_a_change_the_controller_has_not_observed_is_unobserved(runtime, kube):
    seed_hub(kube["int"])
    kube["int"].pause_controller()  # kube-controller-manager lags behind
    await rollout_images.set_image(
        runtime.backends, "int", HUB, LISTENER, None, f"{INT_REPO}:v1.41.1", change_cause="t"
    )
    status = await rollout_status(runtime.backends, "int", HUB, LISTENER)
    assert status.state == "unobserved" and not status.done
    assert status.generation == status.observed_generation + 1
    followed = await follow_rollouts(
        runtime.backends, "int", [(HUB, LISTENER)], poll_seconds=0.01, timeout_seconds=0.05
    )
    assert followed.timed_out and followed.observations[0].status.state == "unobserved"
    kube["int"].resume_controller()
    done = await rollout_status(runtime.backends, "int", HUB, LISTENER)
    assert done.state == "complete" and done.observed_generation == done.generation


async def test_following_a_change_the_controller_never_observes_says_so(
    bot_settings, fake_slack, kube
):
    seed_hub(kube["int"])
    kube["int"].pause_controller()
    short = Timeouts(**{**FAST_TIMEOUTS, "rollout_seconds": 0.3, "rollout_progress_seconds": 60})
    async with running_bot(with_config(bot_settings, timeouts=short), fake_slack) as slack:
        before = len(slack.api.responses)
        assert await slack.command("rollback int webhook-listener") == 200
        await slack.settle()
        final = answer_text(dict(slack.api.responses[-1].body))
    assert len(slack.api.responses) - before == 2  # the result, then the final state
    generation = kube["int"].get("deployments", HUB, LISTENER)["metadata"]["generation"]
    assert "is still rolling out after 0 s (waiting for the controller to see generation " in final
    assert f"generation {generation})" in final and "the bot stopped following it" in final


async def test_a_rollout_past_its_progress_deadline_is_failed_and_following_stops(runtime, kube):
    seed_hub(kube["int"])
    kube["int"].break_image(BROKEN)
    await rollout_images.set_image(
        runtime.backends, "int", HUB, LISTENER, None, BROKEN, change_cause="t"
    )
    looks = []

    async def report(looked: FollowedRollouts) -> None:
        looks.append(looked.observations[0].status.state)
        kube["int"].advance(PAST_THE_DEADLINE)

    followed = await follow_rollouts(
        runtime.backends,
        "int",
        [(HUB, LISTENER)],
        poll_seconds=0.01,
        timeout_seconds=30,
        report=report,
    )
    assert looks == ["progressing"] and followed.done and not followed.timed_out
    failed = followed.observations[0].status
    assert failed.state == "failed" and failed.progressing_reason == "ProgressDeadlineExceeded"
    assert failed.progressing_message.endswith("has timed out progressing.")
    assert (failed.available, failed.updated, failed.desired) == (2, 1, 2)  # old pods serve on


async def test_a_failed_rollout_is_said_in_slack_with_its_roll_back_button(slack, kube):
    seed_hub(kube["int"])
    seed_ecr(slack.runtime)
    kube["int"].break_image(BROKEN)
    before = len(slack.api.responses)
    assert await slack.command("set-image int webhook-listener v1.40.0") == 200
    await wait_until(lambda: writes(kube["int"], LISTENER))  # the change is made: now, time
    kube["int"].advance(PAST_THE_DEADLINE)
    await slack.settle()
    final = dict(slack.api.responses[-1].body)
    assert len(slack.api.responses) > before
    text = answer_text(final)
    assert ":x: `webhook-listener` in `rtb-ai-hub` (int): *rollout failed* (progress " in text
    assert "deadline exceeded): ReplicaSet" in text and "Roll this back" in text
    assert "has timed out progressing." in text and "Timed out" not in text
    (undo,) = [b["value"] for b in buttons_of(final) if b["action_id"] == "mutation_rollback"]

    before = len(slack.api.responses)  # the 3 a.m. way out: the button on the failure
    assert await slack.click("mutation_rollback", undo, user="UOPERATOR1") == 200
    await slack.settle()
    after = [answer_text(dict(r.body)) for r in slack.api.responses[before:]]
    assert "(rtb-hub:v1.40.0) → revision" in after[0] and "(rtb-hub:v1.42.0)" in after[0]
    assert "`webhook-listener` in `rtb-ai-hub` (int) is rolled out: 2/2 available." in after[-1]
    status = kube["int"].get("deployments", HUB, LISTENER)["status"]
    assert (status["updatedReplicas"], status["availableReplicas"], status["replicas"]) == (2, 2, 2)


# -- preview namespaces ------------------------------------------------------------------------


async def test_a_terminating_preview_is_already_being_deleted(runtime, kube):
    kube["int"].namespace_termination_seconds = 60
    kube["int"].apply(preview_namespace(PREVIEW, issue="PROJ-7", expires_in=-HOUR))
    await delete_preview(runtime.backends, "int", PREVIEW, actor=OPERATOR)
    with user_error(match="`preview-proj-7` is already being deleted"):
        await delete_preview(runtime.backends, "int", PREVIEW, actor=OPERATOR)
    assert await expired_previews(runtime.backends, "int") == ()  # being cleaned up already
    (outcome,) = await delete_expired(runtime.backends, "int", [PREVIEW], actor=OPERATOR)
    assert outcome.outcome == "skipped" and said(outcome.reason) == "already being deleted"
    deletes = [r for r in kube["int"].requests if r[0] == "DELETE"]
    assert len(deletes) == 1
    kube["int"].advance(60)
    assert kube["int"].get("namespaces", None, PREVIEW) is None


async def test_a_second_preview_delete_in_slack_says_it_is_already_being_deleted(slack, kube):
    kube["stg"].namespace_termination_seconds = 60
    kube["stg"].apply(preview_namespace(PREVIEW, issue="PROJ-7"))
    assert "Deleted" in answer_text(await slack.ask("preview delete stg PROJ-7"))
    again = answer_text(await slack.ask("preview delete stg PROJ-7"))
    assert "stg: `preview-proj-7` is already being deleted." in again
    assert len([r for r in kube["stg"].requests if r[0] == "DELETE"]) == 1


def hold_deletes(server: FakeKubeServer) -> Callable[[], None]:
    server.inject_fault("DELETE", f"/namespaces/{PREVIEW}$", status=None, hold=True)
    return server.release_held


async def test_a_preview_someone_else_started_deleting_meanwhile(runtime, kube):
    kube["int"].namespace_termination_seconds = 60
    kube["int"].apply(preview_namespace(PREVIEW, issue="PROJ-7"))
    release = hold_deletes(kube["int"])
    deleting = asyncio.create_task(delete_preview(runtime.backends, "int", PREVIEW, actor=OPERATOR))
    await wait_until(lambda: any(r[0] == "DELETE" for r in kube["int"].requests))
    await asyncio.to_thread(admin_core(kube["int"]).delete_namespace, PREVIEW)
    release()
    with user_error() as refused:
        await deleting
    assert said(refused.value) == ("int: `preview-proj-7` is already being deleted.")


async def test_a_preview_re_created_meanwhile_is_not_the_one_deleted(runtime, kube):
    kube["int"].apply(preview_namespace(PREVIEW, issue="PROJ-7"))
    release = hold_deletes(kube["int"])
    deleting = asyncio.create_task(delete_preview(runtime.backends, "int", PREVIEW, actor=OPERATOR))
    await wait_until(lambda: any(r[0] == "DELETE" for r in kube["int"].requests))

    def delete_and_create_again() -> None:
        core = admin_core(kube["int"])
        core.delete_namespace(PREVIEW)
        core.create_namespace(preview_namespace(PREVIEW, issue="PROJ-7"))

    await asyncio.to_thread(delete_and_create_again)
    new_uid = kube["int"].get("namespaces", None, PREVIEW)["metadata"]["uid"]
    release()
    with user_error() as refused:
        await deleting
    assert said(refused.value) == (
        "int: `preview-proj-7` was deleted and created again meanwhile; the bot did not delete "
        "the new one."
    )
    assert kube["int"].get("namespaces", None, PREVIEW)["metadata"]["uid"] == new_uid

"""One definition of a preview (issue 13 §3): a namespace is a preview only while the cluster
says it carries `rtb.io/preview=true`, on every change path; a `preview-…` name proves nothing.
Signed slash commands and card clicks over HTTP, the official client against the fake clusters.
"""

import pytest

from tests.approvals.support import (
    APPROVALS,
    audit_outcomes,
    bare_namespace,
    card,
    click_card,
    replicas,
    request_id_in,
    scale_patches,
    seed_deployment,
    text_of,
)
from tests.fixtures.bot import answer_text
from tests.ops.test_previews import preview_namespace

IMPOSTOR = "preview-controller"  # a `preview-…` name, no label: core infrastructure
EVERY_CHANGE = (
    f"scale {{env}} controller 3 --namespace {IMPOSTOR}",
    f"autoscale resume {{env}} controller --namespace {IMPOSTOR}",
    f"rollback {{env}} controller --namespace {IMPOSTOR}",
    f"set-image {{env}} controller v1.42.0 --namespace {IMPOSTOR}",
    f"preview delete {{env}} {IMPOSTOR}",
)


def writes(server) -> list:
    return [r for r in server.requests if r[0] not in ("GET", "HEAD")]


async def audited(slack) -> list[tuple[str, str, str]]:
    rows = await slack.runtime.backends.db.fetch(
        "SELECT env, detail->>'policy_action' AS action, outcome FROM rtb_bot.audit_events"
        " ORDER BY id"
    )
    return [(r["env"], r["action"], r["outcome"]) for r in rows]


@pytest.mark.parametrize("env", ["stg", "prd"])
@pytest.mark.parametrize("command", EVERY_CHANGE)
async def test_a_preview_name_without_the_label_is_core_infrastructure(slack, kube, env, command):
    bare_namespace(kube[env], IMPOSTOR)
    seed_deployment(kube[env], IMPOSTOR, "controller", replicas=2)
    answer = await slack.ask(command.format(env=env), user="ULEAD1")
    text = answer_text(answer)
    assert answer["response_type"] == "ephemeral"
    assert f"Refused: {env} core infrastructure is never modified from the bot" in text
    assert "Rule: `§8 core infrastructure`" in text
    assert f"`{IMPOSTOR}` is not a preview namespace" in text
    assert writes(kube[env]) == [] and replicas(kube[env], IMPOSTOR, "controller") == 2
    # no reason asked: nothing to approve (in prd a form may open at once, as a loading view,
    # since the target might have been a preview; it then shows this answer, never a reason input)
    assert not [
        c for c in slack.api.calls if c.method.startswith("views.") and "input" in str(c.args)
    ]
    assert slack.api.messages(APPROVALS) == []  # no card, so no card calls it a preview
    assert await audited(slack) == [(env, "core.modify", "refused")]


async def test_the_label_not_the_name_makes_a_preview(slack, kube):
    kube["stg"].apply(preview_namespace("feature-x"))  # labelled, whatever its name
    seed_deployment(kube["stg"], "feature-x", "app", replicas=1)
    answer = await slack.ask("scale stg app 2 --namespace feature-x")
    assert answer["response_type"] == "in_channel"
    assert "1 replica → 2 replicas" in answer_text(answer)
    assert replicas(kube["stg"], "feature-x", "app") == 2
    assert await audited(slack) == [
        ("stg", "preview.workload", "requested"),
        ("stg", "preview.workload", "succeeded"),
    ]


async def test_a_labelled_prd_preview_still_needs_a_lead_and_the_card_says_preview(slack, kube):
    kube["prd"].apply(preview_namespace(IMPOSTOR))  # the same name, labelled this time
    seed_deployment(kube["prd"], IMPOSTOR, "controller", replicas=2)
    request_id = request_id_in(
        await slack.ask(f'scale prd controller 1 --namespace {IMPOSTOR} --reason "INC-9"')
    )
    assert "preview workload change" in text_of(card(slack.api, request_id))
    assert "You approved" in await click_card(slack, request_id, user="ULEAD1")
    assert replicas(kube["prd"], IMPOSTOR, "controller") == 1


async def test_a_preview_that_lost_its_label_before_approval_is_not_changed(slack, kube):
    kube["prd"].apply(preview_namespace(IMPOSTOR))
    seed_deployment(kube["prd"], IMPOSTOR, "app", replicas=2)
    request_id = request_id_in(
        await slack.ask(f'scale prd app 0 --namespace {IMPOSTOR} --reason "INC-9"')
    )
    bare_namespace(kube["prd"], IMPOSTOR)  # the label removed while the request waits
    await click_card(slack, request_id, user="ULEAD1")
    thread = slack.api.thread(APPROVALS, card(slack.api, request_id)["ts"])
    said = text_of(thread[0])
    assert "the policy no longer allows this change" in said
    assert "it is now a core infrastructure change" in said
    assert scale_patches(kube["prd"], IMPOSTOR) == []
    assert replicas(kube["prd"], IMPOSTOR, "app") == 2
    assert (await audit_outcomes(slack, request_id))[-1] == "failed"


async def test_a_namespace_that_does_not_exist_is_named_not_refused(slack, kube):
    answer = answer_text(await slack.ask("scale stg app 1 --namespace preview-proj-1188"))
    assert "stg: there is no namespace `preview-proj-1188`." in answer
    assert "Refused" not in answer and await audited(slack) == []

"""`/rtb whoami`, `/rtb policy`, `/rtb audit`, and the gate's refusals of `/rtb scale`."""

import pytest

from approvals.audit import AuditEvent
from ops.config import Config
from tests.approvals.support import (
    PREVIEW,
    bare_namespace,
    replicas,
    request_approval,
    running_bot,
    scale_patches,
    seed_deployment,
    with_config,
)
from tests.fixtures.bot import answer_text


async def _refusal(slack, text, user="UOPERATOR1"):
    answer = await slack.ask(text, user=user)
    assert answer["response_type"] == "ephemeral"
    return answer_text(answer)


@pytest.mark.parametrize(
    ("text", "user", "said"),
    [
        ("scale int workflow-engine 0", "UVIEWER1", "Refused: viewers cannot request changes"),
        ("scale int workflow-engine 0", "USTRANGER", "Refused: viewers cannot request changes"),
        ("scale stg workflow-engine 0", "ULEAD1", "stg core infrastructure is never modified"),
        ("scale prd workflow-engine 0", "UOPERATOR1", "Rule: `policy hub.scale prd = deny`"),
        ("scale prd coredns 0 --namespace kube-system", "ULEAD1", "prd core infrastructure"),
        ("scale int coredns 0 --namespace kube-system", "ULEAD1", "§8 core infrastructure"),
    ],
)
async def test_the_gate_refuses_with_the_rule(slack, kube, text, user, said):
    seed_deployment(kube["int"], "rtb-ai-hub", "workflow-engine")
    for server in kube.values():
        bare_namespace(server, "kube-system")  # every cluster has it
    assert said in await _refusal(slack, text, user)
    assert all(r[0] != "PATCH" for server in kube.values() for r in server.requests)
    events = await slack.runtime.backends.db.fetch(
        "SELECT actor, outcome, detail FROM rtb_bot.audit_events"
    )
    assert [(e["actor"], e["outcome"]) for e in events] == [(user, "refused")]
    assert events[0]["detail"]["rule"] in await _refusal(slack, text, user)


async def test_arguments_are_checked_before_the_gate(slack, kube):
    assert "must be between 0 and 50" in await _refusal(slack, "scale int workflow-engine 51")
    assert "must be one of: int, stg, prd" in await _refusal(slack, "scale dev x 1")
    missing = await _refusal(slack, f"scale prd nope 0 --namespace {PREVIEW}")
    assert f"prd: there is no namespace `{PREVIEW}`." in missing  # a typo, not a refusal
    seed_deployment(kube["prd"], PREVIEW, "app")
    missing = await _refusal(slack, f"scale prd nope 0 --namespace {PREVIEW}")
    assert f"prd: there is no deployment `nope` in namespace `{PREVIEW}`" in missing
    # the reason form opened before the pre-flight read (it may be slow): it says so too
    no_namespace, no_deployment = slack.api.views()
    assert "there is no namespace" in str(no_namespace["blocks"])
    assert "there is no deployment `nope`" in str(no_deployment["blocks"])
    assert not no_namespace["callback_id"] and not no_deployment["callback_id"]


async def test_stg_preview_workloads_scale_at_once_and_are_audited(slack, kube):
    seed_deployment(kube["stg"], "preview-proj-118", "worker", replicas=1)
    answer = await slack.ask("scale stg worker 2 --namespace preview-PROJ-118")
    assert answer["response_type"] == "in_channel"
    assert "1 replica → 2 replicas" in answer_text(answer)
    assert replicas(kube["stg"], "preview-proj-118", "worker") == 2
    events = await slack.runtime.backends.db.fetch(
        "SELECT actor, env, action, outcome, params FROM rtb_bot.audit_events ORDER BY id"
    )
    assert [(e["actor"], e["outcome"]) for e in events] == [
        ("UOPERATOR1", "requested"),
        ("rtb-bot", "succeeded"),
    ]
    assert events[0]["params"] == {
        "namespace": "preview-proj-118",
        "deployment": "worker",
        "replicas": 2,
    }


async def test_a_kubernetes_refusal_is_a_failed_change_not_a_crash(slack, kube):
    seed_deployment(kube["int"], "rtb-ai-hub", "workflow-engine")
    kube["int"].inject_fault(method="PATCH", path_regex="/scale", status=403)
    text = answer_text(await slack.ask("scale int workflow-engine 2"))
    assert "failed: Kubernetes denied patch deployments/scale in rtb-ai-hub (HTTP 403)" in text
    assert "Nothing was changed" in text
    assert slack.runtime.deps.unexpected_errors == 0


async def test_a_kubernetes_server_error_is_an_unknown_outcome_not_nothing_changed(slack, kube):
    """A 5xx may come after the API server applied the write: the bot must not say it knows."""
    seed_deployment(kube["int"], "rtb-ai-hub", "workflow-engine")
    kube["int"].inject_fault(method="PATCH", path_regex="/scale", status=500)
    text = answer_text(await slack.ask("scale int workflow-engine 2"))
    assert "Nothing was changed" not in text
    assert "got no clear answer (kubernetes int: HTTP 500 Internal Server Error" in text
    assert "it may or may not have been applied" in text


async def test_channel_restrictions(bot_settings, fake_slack, kube):
    seed_deployment(kube["int"], PREVIEW, "app")
    settings = with_config(
        bot_settings,
        channels_only=Config.model_validate(
            {
                "environments": {"int": {"account_id": "111111111111"}},
                "channels_only": {"preview.workload": ["C0OPS"]},
            }
        ).channels_only,
    )
    async with running_bot(settings, fake_slack) as slack:
        refused = answer_text(await slack.ask(f"scale int app 0 --namespace {PREVIEW}"))
        assert "may only be requested in <#C0OPS>" in refused
        assert scale_patches(kube["int"]) == []


async def test_whoami_per_role(slack):
    operator = answer_text(await slack.ask("whoami"))
    assert "*operator* (from user list)" in operator
    assert "preview.workload  yes       yes       approval" in operator
    assert "hub.scale         yes       never     never" in operator
    viewer = answer_text(await slack.ask("whoami", user="UVIEWER1"))
    assert "*viewer*" in viewer and "cannot request changes" in viewer and "```" not in viewer
    lead = answer_text(await slack.ask("whoami", user="ULEAD2"))
    assert "*lead*" in lead and "approve or reject" in lead
    stranger = answer_text(await slack.ask("whoami", user="USTRANGER"))
    assert "*viewer* (from everyone can view)" in stranger


async def test_policy_shows_the_matrix(slack):
    text = answer_text(await slack.ask("policy", user="UVIEWER1"))
    assert "hub.scale         yes       never     never" in text
    assert "preview.create    yes       yes       approval" in text
    assert "preview.delete    yes       yes       yes" in text
    assert "any change not listed is denied" in text


async def test_audit_shows_who_did_what(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, f"scale prd app 0 --namespace {PREVIEW}")
    await slack.ask("scale stg workflow-engine 1", user="UOPERATOR2")
    everything = answer_text(await slack.ask("audit", user="UVIEWER1"))
    assert f"<@UOPERATOR1> *scale* `{PREVIEW}/app` replicas=0 prd → requested ({request_id})" in (
        everything
    )
    assert "<@UOPERATOR2> *scale* `rtb-ai-hub/workflow-engine` replicas=1 stg → refused" in (
        everything
    )
    only_prd = answer_text(await slack.ask("audit --env prd --since 1h"))
    assert request_id in only_prd and "UOPERATOR2" not in only_prd
    only_user = answer_text(await slack.ask("audit --user <@UOPERATOR2|operator2>"))
    assert "refused" in only_user and request_id not in only_user
    assert "No audit events" in answer_text(await slack.ask("audit --user ULEAD2"))
    assert "must be a Slack user" in answer_text(await slack.ask("audit --user bob"))


async def test_audit_pages_through_every_record_with_the_filters_kept(slack, runtime):
    audit = runtime.deps.gate.audit
    for number in range(65):
        await audit.append(AuditEvent("UOPERATOR2", "scale", "refused", "stg", {"n": number}))
    first = answer_text(await slack.ask("audit --since 36h --user UOPERATOR2"))
    assert "1–30 of 65, newest first" in first
    assert "`/rtb audit --since 36h --user UOPERATOR2 --page 2` for older ones" in first
    third = answer_text(await slack.ask("audit --since 36h --user UOPERATOR2 --page 3"))
    assert "61–65 of 65" in third and "for older ones" not in third
    assert "n=0" in third and "n=64" not in third  # the oldest ones are on the last page
    beyond = answer_text(await slack.ask("audit --since 36h --user UOPERATOR2 --page 4"))
    assert "No audit events past the last page" in beyond

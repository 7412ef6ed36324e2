"""Scale (KEDA, confirmation), rollback, set image (and its modal), the §7 emergency rollback
and following rollouts, end to end: signed Slack payloads over HTTP to the running app, the
fake Kubernetes API server (its controller makes rollouts and revisions real), moto's ECR, real
PostgreSQL, the fake Slack Web API."""

import re
from typing import Any

import pytest
from structlog.testing import capture_logs

from ops.config import Channels, Timeouts
from ops.errors import BackendError
from sandbox.slack_payloads import block_actions, plain_text_value, selected_option_value
from tests.approvals.rollout_support import (
    ENGINE,
    FAST_TIMEOUTS,
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
from tests.approvals.support import (
    APPROVALS,
    PREVIEW,
    audit_outcomes,
    bare_namespace,
    buttons_of,
    card,
    click_card,
    replicas,
    request_id_in,
    running_bot,
    seed_deployment,
    send_click,
    text_of,
    with_config,
)
from tests.fixtures.bot import SlackDriver, answer_text

PREVIEW_IMAGE = f"{INT_REPO}:preview-proj-7"
HANGUL = re.compile("[가-힣]")


@pytest.fixture
def bot_config(kube, aws_endpoint, aws_env, fake_slack):
    return fast_config(kube, aws_endpoint, fake_slack.base_url)


async def answers(slack: SlackDriver, text: str, *, user: str = "UOPERATOR1") -> list[dict]:
    """Every response_url post that answered the command (the answer, then any follow-ups)."""
    before = len(slack.api.responses)
    assert await slack.command(text, user=user) == 200
    await slack.settle()
    posted = [dict(r.body) for r in slack.api.responses[before:]]
    assert posted, f"no answer to {text!r}"
    return posted


async def click(slack: SlackDriver, action_id: str, value: str, *, user: str) -> list[dict]:
    before = len(slack.api.responses)
    assert await slack.click(action_id, value, user=user) == 200
    await slack.settle()
    return [dict(r.body) for r in slack.api.responses[before:]]


def button_values(answer: dict[str, Any]) -> dict[str, str]:
    return {b["action_id"]: b["value"] for b in buttons_of(answer)}


def scale_patches(kube, name: str = ENGINE) -> list:
    return [w for w in writes(kube["int"], name) if w[1].endswith("/scale")]


# -- scale: KEDA and confirmation -------------------------------------------------------------


async def test_scale_pauses_keda_and_autoscale_resume_hands_it_back(slack, kube):
    seed_hub(kube["int"])
    result, *follow = await answers(slack, "scale int workflow-engine 4")
    text = answer_text(result)
    assert "1 replica (autoscaled by KEDA ScaledObject `workflow-engine`)" in text
    assert "4 replicas (KEDA ScaledObject `workflow-engine` paused at 4)" in text
    assert result["response_type"] == "in_channel" and "Following the rollout" in text
    assert paused_replicas(kube["int"]) == "4" and replicas(kube["int"], HUB, ENGINE) == 4
    assert "is rolled out: 4/4 available" in answer_text(follow[-1])
    assert button_values(follow[-1]).keys() == {"mutation_rollback"}

    resumed = await answers(slack, "autoscale resume int workflow-engine")
    assert "KEDA paused at 4 → autoscaled by KEDA ScaledObject" in answer_text(resumed[0])
    assert paused_replicas(kube["int"]) is None
    again = answer_text((await answers(slack, "autoscale resume int workflow-engine"))[-1])
    assert "is not paused" in again


async def test_scale_to_zero_needs_the_requesters_confirmation(slack, kube):
    seed_hub(kube["int"])
    (prompt,) = await answers(slack, "scale int workflow-engine 0")
    assert prompt["response_type"] == "ephemeral"
    assert "Scaling to 0 stops `workflow-engine`" in answer_text(prompt)
    assert "1 replica (autoscaled by KEDA" in answer_text(prompt)
    token = button_values(prompt)["mutation_confirm"]
    assert button_values(prompt) == {"mutation_confirm": token, "mutation_cancel": token}
    assert token.startswith("D-") and scale_patches(kube) == []

    (refused,) = await click(slack, "mutation_confirm", token, user="UOPERATOR2")
    assert "only the person who asked can confirm" in answer_text(refused)
    assert refused.get("replace_original") is False and scale_patches(kube) == []

    confirmed, result, *follow = await click(slack, "mutation_confirm", token, user="UOPERATOR1")
    assert confirmed["replace_original"] is True and "Confirmed by <@UOPERATOR1>" in str(confirmed)
    assert "1 replica" in answer_text(result) and "→ 0 replicas" in answer_text(result)
    assert replicas(kube["int"], HUB, ENGINE) == 0 and paused_replicas(kube["int"]) == "0"
    assert "is rolled out: 0/0 available" in answer_text(follow[-1])
    (again,) = await click(slack, "mutation_confirm", token, user="UOPERATOR1")
    assert "no longer valid" in answer_text(again) and len(scale_patches(kube)) == 1


async def test_scale_above_the_maximum_asks_too_and_cancel_changes_nothing(slack, kube):
    seed_hub(kube["int"])
    (prompt,) = await answers(slack, "scale int webhook-listener 12")
    assert "more than the configured maximum of 10" in answer_text(prompt)
    token = button_values(prompt)["mutation_cancel"]
    (not_yours,) = await click(slack, "mutation_cancel", token, user="UOPERATOR2")
    assert "not yours" in answer_text(not_yours)
    (cancelled,) = await click(slack, "mutation_cancel", token, user="UOPERATOR1")
    assert cancelled["replace_original"] is True and "Cancelled" in answer_text(cancelled)
    (gone,) = await click(slack, "mutation_confirm", token, user="UOPERATOR1")
    assert "no longer valid" in answer_text(gone)
    assert scale_patches(kube, LISTENER) == [] and replicas(kube["int"], HUB, LISTENER) == 2
    # Within the maximum: at once, no question.
    await answers(slack, "scale int webhook-listener 10")
    assert replicas(kube["int"], HUB, LISTENER) == 10


# -- rollback ----------------------------------------------------------------------------------


async def test_rollback_to_the_previous_revision_and_roll_it_back_again(slack, kube):
    seed_hub(kube["int"])
    result, *follow = await answers(slack, "rollback int workflow-engine")
    assert "revision 3 (rtb-hub:v1.42.0) → revision 2 (rtb-hub:v1.41.1)" in answer_text(result)
    assert (
        image(kube["int"], ENGINE) == f"{INT_REPO}:v1.41.1" and revision(kube["int"], ENGINE) == 4
    )
    final = follow[-1]
    assert "is rolled out" in answer_text(final)
    assert "roll `workflow-engine` back to revision 3" in answer_text(final)
    token = button_values(final)["mutation_rollback"]

    # "Roll this back" goes through the gate like typing the command: a viewer is refused …
    (refused,) = await click(slack, "mutation_rollback", token, user="UVIEWER1")
    assert "viewers cannot request changes" in answer_text(refused)
    # … another operator may (it is their request now), and it lands on revision 3's template.
    again, *follow = await click(slack, "mutation_rollback", token, user="UOPERATOR2")
    assert "revision 4 (rtb-hub:v1.41.1) → revision 3 (rtb-hub:v1.42.0)" in answer_text(again)
    assert (
        image(kube["int"], ENGINE) == f"{INT_REPO}:v1.42.0" and revision(kube["int"], ENGINE) == 5
    )
    assert "is rolled out" in answer_text(follow[-1])
    (stale,) = await click(slack, "mutation_rollback", token, user="UOPERATOR2")
    assert "has no revision 3; its revisions are: 5, 4, 1" in answer_text(stale)
    actors = await slack.runtime.backends.db.fetch(
        "SELECT actor, outcome FROM rtb_bot.audit_events WHERE outcome = 'requested' ORDER BY id"
    )
    assert [a["actor"] for a in actors] == ["UOPERATOR1", "UOPERATOR2"]


async def test_rollback_to_a_revision_missing_ones_and_missing_deployments(slack, kube):
    seed_hub(kube["int"])
    result = (await answers(slack, "rollback int workflow-engine --to-revision 1"))[0]
    assert "revision 3 (rtb-hub:v1.42.0) → revision 1 (rtb-hub:v1.41.0)" in answer_text(result)
    assert replicaset_revisions(kube["int"], ENGINE)[4] == f"{INT_REPO}:v1.41.0"
    missing = answer_text((await answers(slack, "rollback int workflow-engine --to-revision 9"))[0])
    assert "has no revision 9; its revisions are: 4, 3, 2" in missing
    nothing = answer_text((await answers(slack, "rollback int nope"))[0])
    assert "there is no deployment `nope` in namespace `rtb-ai-hub`" in nothing
    bad = answer_text((await answers(slack, "rollback int workflow-engine --to-revision x"))[0])
    assert "not a valid --to-revision" in bad and "Usage" in bad
    assert len([w for w in writes(kube["int"]) if w[0] == "PUT"]) == 1


async def test_conflicts_are_retried_and_403_is_explained(slack, kube):
    seed_hub(kube["int"])
    kube["int"].inject_fault("PUT", f"/deployments/{ENGINE}$", status=409, count=1)
    result = (await answers(slack, "rollback int workflow-engine"))[0]
    assert ":white_check_mark:" in answer_text(result)
    assert [m for m, _ in writes(kube["int"])] == ["PUT", "PUT"]

    kube["int"].inject_fault("PATCH", f"/deployments/{LISTENER}/scale$", status=403, count=1)
    denied = answer_text((await answers(slack, "scale int webhook-listener 3"))[0])
    assert (
        "failed: Kubernetes denied patch deployments/scale in rtb-ai-hub (HTTP 403): the bot's "
        "role lacks that permission. Nothing was changed."
    ) in denied
    outcomes = await slack.runtime.backends.db.fetch(
        "SELECT outcome FROM rtb_bot.audit_events WHERE params->>'deployment' = %s ORDER BY id",
        (LISTENER,),
    )
    assert [o["outcome"] for o in outcomes] == ["requested", "failed"]
    assert slack.runtime.deps.unexpected_errors == 0


async def test_a_timed_out_write_is_audited_as_unknown(bot_settings, fake_slack, kube):
    seed_hub(kube["int"])
    kube["int"].inject_fault("PUT", f"/deployments/{ENGINE}$", status=None, hold=True)
    short = Timeouts(**{**FAST_TIMEOUTS, "backend_seconds": 2.0})
    async with running_bot(with_config(bot_settings, timeouts=short), fake_slack) as slack:
        text = answer_text((await answers(slack, "rollback int workflow-engine"))[0])
        assert kube["int"].held_requests == 1  # the bot answered while the server held it
        kube["int"].release_held()
        rows = await slack.runtime.backends.db.fetch(
            "SELECT outcome FROM rtb_bot.audit_events ORDER BY id"
        )
    assert "got no clear answer (kubernetes int: timed out" in text  # urllib3's or the bot's
    assert (
        "; current state: revision 3, 1 replica (rtb-hub:v1.42.0)): it may or may not have "
        "been applied; check it."
    ) in text
    assert [r["outcome"] for r in rows] == ["requested", "unknown"]


async def test_stg_core_namespace_is_refused_with_the_reason(slack, kube):
    seed_hub(kube["stg"])
    for command in (
        "rollback stg workflow-engine",
        "set-image stg workflow-engine v1.41.1",
        "emergency-rollback stg",
        "scale stg workflow-engine 0",
    ):
        (refused,) = await answers(slack, command, user="ULEAD1")
        text = answer_text(refused)
        assert "Refused: stg core infrastructure is never modified from the bot" in text, command
        assert "Rule: `policy hub." in text and refused["response_type"] == "ephemeral"
    bare_namespace(kube["stg"], "kube-system")
    kube_side = answer_text(
        (await answers(slack, "rollback stg coredns --namespace kube-system"))[0]
    )
    assert "Rule: `§8 core infrastructure`" in kube_side
    assert [r for r in kube["stg"].requests if r[0] != "GET"] == []


async def test_prd_preview_rollback_needs_a_lead_and_is_followed_in_the_cards_thread(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", image=f"{INT_REPO}:v1.41.1")
    seed_deployment(kube["prd"], PREVIEW, "app", image=PREVIEW_IMAGE)
    kube["prd"].rollout_delay_seconds = 0.5
    asked = await answers(slack, f'rollback prd app --namespace {PREVIEW} --reason "INC-7"')
    request_id = request_id_in(asked[-1])
    message = card(slack.api, request_id)
    assert "revision 2 (rtb-hub:preview-proj-7) → revision 1 (rtb-hub:v1.41.1)" in text_of(message)
    assert [w for w in writes(kube["prd"], "app", PREVIEW)] == []
    assert "cannot approve your own" in await click_card(slack, request_id, user="UOPERATOR1")
    assert "You approved" in await click_card(slack, request_id, user="ULEAD1")
    assert image(kube["prd"], "app", PREVIEW) == f"{INT_REPO}:v1.41.1"
    thread = slack.api.thread(APPROVALS, message["ts"])
    assert "succeeded: revision 2" in text_of(thread[0])
    assert "is rolled out: 1/1 available" in text_of(thread[-1])
    assert "mutation_rollback" in {b["action_id"] for b in buttons_of(thread[-1])}
    assert await audit_outcomes(slack, request_id) == [
        "requested",
        "refused",
        "approved",
        "executing",
        "succeeded",
    ]


async def test_a_korean_leads_approval_is_followed_in_the_cards_language(slack, kube):
    """The card's thread is the approvals channel's (en here): a lead reading Korean approves,
    their private answer is Korean, the rollout's follow-up in the thread stays English."""
    seed_deployment(kube["prd"], PREVIEW, "app", image=f"{INT_REPO}:v1.41.1")
    seed_deployment(kube["prd"], PREVIEW, "app", image=PREVIEW_IMAGE)
    await slack.ask("lang ko", user="ULEAD1")
    asked = await answers(slack, f'rollback prd app --namespace {PREVIEW} --reason "INC-7"')
    request_id = request_id_in(asked[-1])
    message = card(slack.api, request_id)
    approved = await click_card(slack, request_id, user="ULEAD1")
    assert request_id in approved and re.search("[가-힣]", approved)
    thread = [text_of(m) for m in slack.api.thread(APPROVALS, message["ts"])]
    assert "is rolled out: 1/1 available" in thread[-1]
    assert not [t for t in thread if re.search("[가-힣]", t)]


async def test_dm_cards_each_get_the_rollout_in_their_leads_language(
    bot_settings, fake_slack, kube
):
    """Cards in the leads' DMs (ULEAD1 reads Korean, ULEAD2 the default): an approved scale is
    followed once (one follower, whatever the number of leads), each card's thread getting
    the progress and final state in its lead's language."""
    seed_deployment(kube["prd"], PREVIEW, "app")
    kube["prd"].rollout_delay_seconds = 0.5
    settings = with_config(bot_settings, channels=Channels(approvals="dm"))
    async with running_bot(settings, fake_slack) as slack:
        await slack.ask("lang ko", user="ULEAD1")
        asked = await answers(slack, f'scale prd app 2 --namespace {PREVIEW} --reason "INC-7"')
        request_id = request_id_in(asked[-1])
        korean, english = (card(fake_slack, request_id, channel=d) for d in ("DULEAD1", "DULEAD2"))
        with capture_logs() as logs:
            approved = await send_click(
                slack,
                block_actions(
                    user_id="ULEAD2",
                    action_id="approval_approve",
                    value=request_id,
                    channel_id="DULEAD2",
                    message_ts=english["ts"],
                    message=english,
                    response_url=fake_slack.response_url(),
                ),
            )
        assert "You approved" in approved
        assert len([e for e in logs if e["event"] == "rollout followed"]) == 1
        ko_thread = [text_of(m) for m in fake_slack.thread("DULEAD1", korean["ts"])]
        en_thread = [text_of(m) for m in fake_slack.thread("DULEAD2", english["ts"])]
    assert replicas(kube["prd"], PREVIEW, "app") == 2
    assert "롤아웃 완료, 2/2 사용 가능" in ko_thread[-1] and "is rolled out" not in ko_thread[-1]
    assert "is rolled out: 2/2 available" in en_thread[-1]
    assert not [t for t in en_thread if HANGUL.search(t)]
    assert len(ko_thread) == len(en_thread)  # the same posts, each in its language


# -- set image ---------------------------------------------------------------------------------


async def test_set_image_to_an_existing_tag_and_a_missing_one(slack, kube):
    seed_hub(kube["int"])
    seed_ecr(slack.runtime)
    result, *follow = await answers(slack, "set-image int workflow-engine v1.41.0")
    assert "workflow-engine: rtb-hub:v1.42.0 → workflow-engine: rtb-hub:v1.41.0" in answer_text(
        result
    )
    assert image(kube["int"], ENGINE) == f"{INT_REPO}:v1.41.0"
    assert "is rolled out" in answer_text(follow[-1])
    patches = len(writes(kube["int"]))
    (missing,) = await answers(slack, "set-image int workflow-engine v2.0.0")
    assert "tag `v2.0.0` is not in rtb-hub (newest: v1.42.0, v1.41.1, v1.41.0)" in answer_text(
        missing
    )
    assert len(writes(kube["int"])) == patches  # no PATCH for a tag ECR does not have
    assert image(kube["int"], ENGINE) == f"{INT_REPO}:v1.41.0"


@pytest.mark.parametrize(
    "text",
    ["'v1;rm -rf /'", "'<!channel>'", "..", "'v1 --container x'", "`whoami`"],
)
async def test_hostile_tag_text_is_refused_at_the_door(slack, kube, text):
    seed_hub(kube["int"])
    (answer,) = await answers(slack, f"set-image int workflow-engine {text}")
    assert "is not a valid <tag>" in answer_text(answer) or "Unexpected" in answer_text(answer)
    assert writes(kube["int"]) == []


async def test_set_image_without_a_tag_opens_a_picker_and_its_choice_goes_through_the_gate(
    slack, kube
):
    seed_hub(kube["int"])
    seed_ecr(slack.runtime, ("v1.40.0", "v1.41.0", "v1.41.1", "v1.42.0", "v1.43.0-rc1"))
    (answer,) = await answers(slack, "set-image int workflow-engine")
    assert "Choose the tag in the form" in answer_text(answer)
    view = slack.api.views()[-1]
    assert view["callback_id"] == "set_image_pick" and "workflow-engine" in view["private_metadata"]
    select = next(b for b in view["blocks"] if b["type"] == "input")["element"]
    groups = {
        g["label"]["text"]: [o["value"] for o in g["options"]] for g in select["option_groups"]
    }
    assert groups == {
        "Previous revisions": ["v1.41.1", "v1.41.0"],
        "Last pushed to the repository": ["v1.43.0-rc1", "v1.42.0", "v1.40.0"],
    }
    status = await slack.submit_view(
        user="UOPERATOR1",
        callback_id="set_image_pick",
        private_metadata=view["private_metadata"],
        values={"image": {"tag": selected_option_value("v1.43.0-rc1")}},
    )
    assert status == 200
    await slack.settle()
    assert image(kube["int"], ENGINE) == f"{INT_REPO}:v1.43.0-rc1"
    (posted,) = [m for m in slack.api.messages("C_OPS") if m.get("thread_ts") in (None, m["ts"])]
    assert "rtb-hub:v1.42.0 → workflow-engine: rtb-hub:v1.43.0-rc1" in text_of(posted)
    thread = slack.api.thread("C_OPS", posted["ts"])
    assert "is rolled out" in text_of(thread[-1])


async def test_the_picker_in_prd_asks_for_the_reason_next(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", image=PREVIEW_IMAGE)
    seed_ecr(slack.runtime)
    await answers(slack, f"set-image prd app --namespace {PREVIEW}")
    view = slack.api.views()[-1]
    await slack.submit_view(
        user="UOPERATOR1",
        callback_id="set_image_pick",
        private_metadata=view["private_metadata"],
        values={"image": {"tag": selected_option_value("v1.42.0")}},
    )
    await slack.settle()
    reason_view = slack.api.views()[-1]
    assert reason_view["callback_id"] == "approval_reason"
    await slack.submit_view(
        user="UOPERATOR1",
        callback_id="approval_reason",
        private_metadata=reason_view["private_metadata"],
        values={"reason": {"reason_input": plain_text_value("INC-9 bad preview build")}},
    )
    await slack.settle()
    told = slack.api.calls_to("chat.postEphemeral")[-1].args["text"]
    message = card(slack.api, request_id_in({"text": told}))
    assert "app: rtb-hub:preview-proj-7 → app: rtb-hub:v1.42.0" in text_of(message)
    assert image(kube["prd"], "app", PREVIEW) == PREVIEW_IMAGE


async def test_a_forged_picker_submission_is_checked_like_typed_text(slack, kube):
    seed_hub(kube["int"])
    seed_ecr(slack.runtime)
    bad_meta = '{"env": "int", "namespace": "kube-system; x", "deployment": "a", "channel": "C"}'
    for metadata, tag in ((bad_meta, "v1.41.0"), ('{"env": "dev"}', "v1.41.0"), ("{", "x")):
        await slack.submit_view(
            user="UOPERATOR1",
            callback_id="set_image_pick",
            private_metadata=metadata,
            values={"image": {"tag": selected_option_value(tag)}},
        )
        await slack.settle()
    told = [c.args["text"] for c in slack.api.calls_to("chat.postMessage")]
    assert len(told) == 3 and all("not usable" in t for t in told)
    assert writes(kube["int"]) == []


# -- the emergency rollback --------------------------------------------------------------------


async def test_emergency_rollback_both_deployments_one_confirmation(slack, kube):
    seed_hub(kube["int"])
    (prompt,) = await answers(slack, "emergency-rollback")
    text = answer_text(prompt)
    assert "rolls `workflow-engine` and `webhook-listener` back at once" in text
    assert "workflow-engine revision 3 (rtb-hub:v1.42.0)" in text
    assert "webhook-listener revision 1 (rtb-hub:v1.41.1)" in text
    assert writes(kube["int"]) == writes(kube["int"], LISTENER) == []
    token = button_values(prompt)["mutation_confirm"]
    _, result, *follow = await click(slack, "mutation_confirm", token, user="UOPERATOR1")
    text = answer_text(result)
    assert f"`{HUB}/{ENGINE}`: done" in text and f"`{HUB}/{LISTENER}`: done" in text
    assert image(kube["int"], ENGINE) == image(kube["int"], LISTENER) == f"{INT_REPO}:v1.41.1"
    final = answer_text(follow[-1])
    assert final.count("is rolled out") == 2
    assert set(b["text"]["text"] for b in buttons_of(follow[-1])) == {
        "Roll back workflow-engine",
        "Roll back webhook-listener",
    }
    rows = await slack.runtime.backends.db.fetch(
        "SELECT action, outcome, params->>'deployment' AS deployment FROM rtb_bot.audit_events"
        " WHERE outcome = 'succeeded' ORDER BY id"
    )
    assert [(r["action"], r["deployment"]) for r in rows] == [
        ("rollback", ENGINE),
        ("rollback", LISTENER),
    ]
    # two buttons in one block need two action ids (Slack refuses a shared one); each routes
    undo = button_values(follow[-1])
    assert set(undo) == {"mutation_rollback.1", "mutation_rollback.2"}
    (refused,) = await click(
        slack, "mutation_rollback.2", undo["mutation_rollback.2"], user="UVIEWER1"
    )
    assert "Refused: viewers cannot request changes" in answer_text(refused)


# -- following ---------------------------------------------------------------------------------


async def test_following_posts_progress_then_the_final_state(slack, kube):
    seed_hub(kube["int"])
    kube["int"].rollout_delay_seconds = 1
    result, *follow = await answers(slack, "rollback int workflow-engine")
    assert "Following the rollout" in answer_text(result)
    progress, final = follow[:-1], follow[-1]
    assert 1 <= len(progress) <= 3  # the response_url takes 5 posts: 1 answer, ≤ 3, the final
    # 1 replica, maxSurge 25% (rounds up to 1): the new pod exists at once, the old one stays
    # until the new one is Ready, as `kubectl rollout status` shows it
    assert all("1 old replicas pending termination" in answer_text(p) for p in progress)
    assert "is rolled out: 1/1 available" in answer_text(final)
    assert "Roll this back" in str(final["blocks"])


async def test_following_stops_at_the_timeout_and_says_so(bot_settings, fake_slack, kube):
    seed_hub(kube["int"])
    kube["int"].rollout_delay_seconds = 30
    short = Timeouts(**{**FAST_TIMEOUTS, "rollout_seconds": 0.4, "rollout_progress_seconds": 60})
    async with running_bot(with_config(bot_settings, timeouts=short), fake_slack) as slack:
        _, final = await answers(slack, "rollback int webhook-listener")
    text = answer_text(final)
    assert "is still rolling out after 0 s (1 of 2 new replicas updated, 2 available" in text
    assert "the bot stopped following it" in text and "Timed out after 0 s" in text
    assert "`/rtb rollout-status int webhook-listener --namespace rtb-ai-hub`" in text
    assert "mutation_rollback" in str(final["blocks"])


# -- renderers against golden JSON (UPDATE_GOLDEN=1 rewrites them) -----------------------------


def _status(name: str, state: str, desired: int, updated: int, available: int, total: int):
    from ops.rollouts.status import RolloutStatus

    return RolloutStatus(
        env="int",
        namespace=HUB,
        deployment=name,
        state=state,  # type: ignore[arg-type]
        generation=5,
        observed_generation=5,
        desired=desired,
        updated=updated,
        ready=available,
        available=available,
        total=total,
        progressing_reason="ProgressDeadlineExceeded" if state == "failed" else None,
        progressing_message='ReplicaSet "workflow-engine-7d9" has timed out progressing.'
        if state == "failed"
        else None,
    )


def test_golden_confirmation_and_emergency_result():
    from approvals.emergency_rollback import EmergencyRollback
    from approvals.mutations import Change
    from approvals.outcomes import ConfirmNeeded, Ran, RunResult
    from approvals.policy import Policy
    from approvals.workload_mutations import ScaleDeployment
    from handlers.render.approvals import render_confirmation, render_ran
    from ops.config import Config
    from tests.golden import assert_golden, buttons, korean

    config = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
    scale = ScaleDeployment.build(config, "int", HUB, ENGINE, 0)
    decision = Policy(config).decide(scale.action, "int", "operator", "C_OPS")
    change = Change("1 replica (autoscaled by KEDA ScaledObject `workflow-engine`)", "0 replicas")
    why = scale.confirmation({"replicas": 1}, config) or ""
    confirm = render_confirmation(ConfirmNeeded(scale, decision, change, "D-abc123", why))
    assert_golden("rollout_confirm", confirm)
    in_korean = korean(
        "rollout_confirm",
        lambda: render_confirmation(
            ConfirmNeeded(
                scale,
                decision,
                change,
                "D-abc123",
                why,
            )
        ),
    )
    assert "1 replica (autoscaled by KEDA" in in_korean and "확인" in in_korean
    assert "ScaleToZero(" not in in_korean and "workflow-engine" in in_korean
    assert confirm.text.startswith("Confirm scale rtb-ai-hub/workflow-engine in int: 1 replica")
    assert confirm.text.endswith("→ 0 replicas")
    assert buttons(confirm) == [
        ("Confirm", "mutation_confirm", "D-abc123"),
        ("Cancel", "mutation_cancel", "D-abc123"),
    ]
    emergency = EmergencyRollback.build(config, "int")
    decision = Policy(config).decide(emergency.action, "int", "operator", "C_OPS")
    run = RunResult(
        "failed",
        {
            "parts": [
                {"target": f"{HUB}/{ENGINE}", "status": "succeeded", "to_revision": 2},
                {
                    "target": f"{HUB}/{LISTENER}",
                    "status": "failed",
                    "error": "`webhook-listener` in `rtb-ai-hub` (int) has no previous revision "
                    "to roll back to (revisions: 1).",
                },
            ]
        },
    )
    both = Change(
        "workflow-engine revision 3 (rtb-hub:v1.42.0); webhook-listener: no previous revision",
        "workflow-engine revision 2 (rtb-hub:v1.41.1); webhook-listener: unchanged",
    )
    emergency_ran = render_ran(Ran(emergency, decision, both, run))
    assert_golden("rollout_emergency_ran", emergency_ran)
    in_korean = korean(
        "rollout_emergency_ran", lambda: render_ran(Ran(emergency, decision, both, run))
    )
    assert "• `rtb-ai-hub/workflow-engine`: 완료" in in_korean
    assert "• `rtb-ai-hub/webhook-listener`: 실패: `webhook-listener`" in in_korean
    assert emergency_ran.text.startswith(":x: *emergency-rollback*")
    assert "• `rtb-ai-hub/workflow-engine`: done" in emergency_ran.text
    assert "• `rtb-ai-hub/webhook-listener`: failed: `webhook-listener`" in emergency_ran.text


def test_golden_following():
    from handlers.render.rollouts import (
        UndoButton,
        render_rollout_final,
        render_rollout_progress,
    )
    from ops.rollouts.follow import FollowedRollouts, Observation
    from tests.golden import assert_golden, buttons, korean, shown

    rolling = FollowedRollouts(
        "int",
        (
            Observation(HUB, ENGINE, _status(ENGINE, "progressing", 3, 1, 1, 4)),
            Observation(HUB, LISTENER, _status(LISTENER, "complete", 2, 2, 2, 2)),
        ),
        12.4,
        timed_out=False,
    )
    progress = render_rollout_progress(rolling)
    assert_golden("rollout_progress", progress)
    assert progress.text == (
        "Rolling out (int): workflow-engine progressing, webhook-listener complete"
    )
    assert "1 of 3 new replicas updated, 1 available" in shown(progress)
    assert "_12 s since the change_" in shown(progress) and buttons(progress) == []
    done = FollowedRollouts(
        "int", (Observation(HUB, ENGINE, _status(ENGINE, "complete", 3, 3, 3, 3)),), 31.0, False
    )
    undo = UndoButton(ENGINE, "roll `workflow-engine` back to revision 3", "D-undo1")
    final = render_rollout_final(done, [undo])
    assert_golden("rollout_final", final)
    in_korean = korean("rollout_final", lambda: render_rollout_final(done, [undo]))
    assert "롤아웃 완료, 3/3 사용 가능" in in_korean
    assert final.text == "Rollout finished (int): workflow-engine complete"
    assert "is rolled out: 3/3 available" in shown(final)
    assert buttons(final) == [("Roll this back", "mutation_rollback", "D-undo1")]
    stuck = FollowedRollouts(
        "int",
        (
            Observation(HUB, ENGINE, _status(ENGINE, "failed", 3, 1, 1, 4)),
            Observation(HUB, LISTENER, _status(LISTENER, "progressing", 2, 0, 0, 2)),
            Observation(
                HUB,
                "auth-service",
                None,
                BackendError("kubernetes int", "timed out after 5 s"),
            ),
        ),
        300.2,
        timed_out=True,
    )
    offers = [
        undo,
        UndoButton(LISTENER, "roll `webhook-listener` back to revision 2", "D-undo2"),
    ]
    timed_out = render_rollout_final(stuck, offers)
    assert_golden("rollout_final_timeout", timed_out)
    assert timed_out.text == (
        "Rollout timed out (int): workflow-engine failed, webhook-listener progressing, "
        "auth-service unreadable"
    )
    assert "still rolling out after 300 s (0 of 2 new replicas updated" in shown(timed_out)
    assert buttons(timed_out) == [
        ("Roll back workflow-engine", "mutation_rollback.1", "D-undo1"),
        ("Roll back webhook-listener", "mutation_rollback.2", "D-undo2"),
    ]


def test_golden_set_image_modal():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from handlers.render.message import Message
    from handlers.render.rollouts import ImageChoices, render_set_image_modal
    from ops.images import PushedTag
    from tests.golden import assert_golden

    pushed = tuple(
        PushedTag(tag, datetime(2025, 3, day, 1, 30, tzinfo=UTC), f"sha256:{day}")
        for tag, day in (("v1.43.0-rc1", 14), ("v1.42.0", 10), ("v1.41.1", 3), ("v1.40.0", 1))
    )
    choices = ImageChoices(
        env="int",
        namespace=HUB,
        deployment=ENGINE,
        container=ENGINE,
        current_tag="v1.42.0",
        revisions=((2, "v1.41.1"), (1, "v1.41.0")),
        pushed=pushed,
    )
    view = render_set_image_modal(choices, '{"env": "int"}', ZoneInfo("Asia/Seoul"))
    assert view.private_metadata == '{"env": "int"}' and view.callback_id == "set_image_pick"
    assert_golden("rollout_set_image_modal", Message(text="modal", blocks=tuple(view.blocks)))

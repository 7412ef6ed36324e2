"""The team-lead approval flow end to end: signed Slack payloads over HTTP to the running app,
real PostgreSQL, the fake Kubernetes API server of each env, the fake Slack Web API."""

from approvals.requests import looks_like_request_id
from ops.backends.aws import Actor
from sandbox.slack_payloads import interaction_body, plain_text_value, signed_headers
from tests.approvals.support import (
    APPROVALS,
    PREVIEW,
    audit_outcomes,
    buttons_of,
    card,
    click_card,
    click_payload,
    replicas,
    request_approval,
    request_id_in,
    request_row,
    scale_patches,
    seed_deployment,
    send_click,
    text_of,
)
from tests.fixtures.bot import SIGNING_SECRET, answer_text

SCALE_TO_ZERO = f"scale prd app 0 --namespace {PREVIEW}"


async def test_the_modal_asks_for_a_reason_then_the_card_goes_to_the_leads(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    answer = await slack.ask(SCALE_TO_ZERO)
    assert "needs a team lead's approval" in answer_text(answer)
    opened = slack.api.calls_to("views.open")
    assert len(opened) == 1 and opened[0].args["trigger_id"]
    view = slack.api.views()[-1]  # the form, filled after its loading view
    assert view["callback_id"] == "approval_reason"
    token = view["private_metadata"]
    assert token.startswith("D-") and len(token) < 40 and "app" not in token  # a token, no spec
    status = await slack.submit_view(
        user="UOPERATOR1",
        callback_id="approval_reason",
        private_metadata=token,
        values={"reason": {"reason_input": plain_text_value("incident INC-42")}},
    )
    assert status == 200
    await slack.settle()
    told = slack.api.calls_to("chat.postEphemeral")[-1].args
    assert told["user"] == "UOPERATOR1" and told["channel"] == "C_OPS"
    request_id = request_id_in({"text": told["text"]})
    assert looks_like_request_id(request_id)
    message = card(slack.api, request_id)
    text = text_of(message)
    assert "<@ULEAD1>" in text and "<@ULEAD2>" in text and "incident INC-42" in text
    assert "2 replicas → 0 replicas" in text
    assert [(b["action_id"], b["value"]) for b in buttons_of(message)] == [
        ("approval_approve", request_id),
        ("approval_reject", request_id),
    ]
    row = await request_row(slack, request_id)
    assert row["status"] == "pending" and row["reason"] == "incident INC-42"
    assert row["params"] == {"namespace": PREVIEW, "deployment": "app", "replicas": 0}
    assert row["preflight"]["replicas"] == 2 and len(row["digest"]) == 64
    assert 29 * 60 < (row["expires_at"] - row["created_at"]).total_seconds() <= 30 * 60
    assert (row["card_channel"], row["card_ts"]) == ("C_APPROVALS", message["ts"])  # an ID
    assert replicas(kube["prd"], PREVIEW, "app") == 2


async def test_a_submitted_form_cannot_be_sent_twice_or_by_someone_else(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    await slack.ask(SCALE_TO_ZERO)
    token = slack.api.views()[-1]["private_metadata"]
    values = {"reason": {"reason_input": plain_text_value("INC-1")}}
    for user in ("UOPERATOR2", "UOPERATOR1", "UOPERATOR1"):
        await slack.submit_view(
            user=user, callback_id="approval_reason", private_metadata=token, values=values
        )
        await slack.settle()
    replies = [c.args["text"] for c in slack.api.calls_to("chat.postMessage")]
    replies += [c.args["text"] for c in slack.api.calls_to("chat.postEphemeral")]
    assert sum("no longer valid" in r for r in replies) == 2
    requests = await slack.runtime.backends.db.fetch("SELECT id FROM rtb_bot.approval_requests")
    assert len(requests) == 1


async def test_a_lead_approves_and_the_result_lands_in_the_thread(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    answer = await click_card(slack, request_id, user="ULEAD1")
    assert "You approved" in answer and "succeeded" in answer
    assert replicas(kube["prd"], PREVIEW, "app") == 0
    assert len(scale_patches(kube["prd"])) == 1
    message = card(slack.api, request_id)
    assert buttons_of(message) == []
    assert "Succeeded" in text_of(message) and "approved by <@ULEAD1>" in text_of(message)
    thread = slack.api.thread(APPROVALS, message["ts"])
    assert "succeeded: 2 replicas → 0 replicas" in text_of(thread[0])
    assert len(thread) == 2 and "is rolled out: 0/0 available" in text_of(thread[1])  # followed
    assert (await request_row(slack, request_id))["status"] == "succeeded"
    assert await audit_outcomes(slack, request_id) == [
        "requested",
        "approved",
        "executing",
        "succeeded",
    ]
    # The Kubernetes call was made for the requester, approved by the lead (CloudTrail names).
    assert ("prd", Actor("UOPERATOR1", "ULEAD1")) in slack.runtime.backends.kube._clients


async def test_nobody_approves_their_own_request(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO, user="ULEAD1")
    assert "cannot approve your own request" in await click_card(slack, request_id, user="ULEAD1")
    assert scale_patches(kube["prd"]) == []
    assert "You approved" in await click_card(slack, request_id, user="ULEAD2")
    assert len(scale_patches(kube["prd"])) == 1


async def test_viewers_and_operators_cannot_approve(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    for user in ("UVIEWER1", "UOPERATOR2", "USOMEONE"):
        answer = await click_card(slack, request_id, user=user)
        assert "Only team leads can approve" in answer
    assert "cannot approve your own" in await click_card(slack, request_id, user="UOPERATOR1")
    assert scale_patches(kube["prd"]) == []
    assert (await request_row(slack, request_id))["status"] == "pending"
    assert (await audit_outcomes(slack, request_id)).count("refused") == 4


async def test_an_expired_request_cannot_be_approved_and_its_card_says_so(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    await slack.runtime.backends.db.execute(
        "UPDATE rtb_bot.approval_requests SET expires_at = now() - interval '1 minute'"
    )
    assert "expired" in await click_card(slack, request_id, user="ULEAD1")
    assert scale_patches(kube["prd"]) == []
    assert (await request_row(slack, request_id))["status"] == "expired"
    message = card(slack.api, request_id)
    assert buttons_of(message) == [] and "Expired" in text_of(message)


async def test_the_expiry_job_closes_requests_and_updates_cards(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    assert slack.runtime.scheduler.get_job("approvals-housekeeping") is not None
    gate = slack.runtime.deps.gate
    assert await gate.expire_due() == []
    await slack.runtime.backends.db.execute(
        "UPDATE rtb_bot.approval_requests SET expires_at = now() - interval '1 second'"
    )
    expired = await gate.expire_due()
    assert [r.id for r in expired] == [request_id] and await gate.expire_due() == []
    message = card(slack.api, request_id)
    assert "Expired" in text_of(message)
    assert (await audit_outcomes(slack, request_id))[-1] == "expired"
    (told,) = slack.api.thread(APPROVALS, message["ts"])  # the requester is told, once
    assert "<@UOPERATOR1>" in text_of(told) and "expired" in text_of(told)
    assert "Nothing was run" in text_of(told)


async def test_rejected_and_cancelled_requests_cannot_be_approved(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    rejected = await request_approval(slack, SCALE_TO_ZERO)
    stale_click = click_payload(slack.api, rejected, user="ULEAD1")  # card seen before the reject
    assert "You rejected" in await click_card(
        slack, rejected, user="ULEAD2", action_id="approval_reject"
    )
    assert "Rejected* by <@ULEAD2>" in text_of(card(slack.api, rejected))
    assert "already rejected" in await send_click(slack, stale_click)

    cancelled = await request_approval(slack, SCALE_TO_ZERO)
    stale_click = click_payload(slack.api, cancelled, user="ULEAD1")
    refused = await slack.ask(f"cancel {cancelled}", user="UOPERATOR2")
    assert "Only the requester" in answer_text(refused)
    assert "You cancelled" in answer_text(await slack.ask(f"cancel {cancelled}"))
    assert "already cancelled" in await send_click(slack, stale_click)
    assert scale_patches(kube["prd"]) == []


async def test_reject_by_command_with_a_reason(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    operator = await slack.ask(f"reject {request_id} no", user="UOPERATOR2")
    assert "Only team leads" in answer_text(operator)
    answer = await slack.ask(f"reject {request_id} use the KEDA pause instead", user="ULEAD1")
    assert "You rejected" in answer_text(answer)
    message = card(slack.api, request_id)
    assert "use the KEDA pause instead" in text_of(message)
    thread = slack.api.thread(APPROVALS, message["ts"])
    assert "<@UOPERATOR1>" in text_of(thread[-1])  # Slack tells the requester
    assert "rejected by <@ULEAD1>" in text_of(thread[-1])


async def test_a_replayed_approve_payload_runs_nothing_twice(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    body = interaction_body(click_payload(slack.api, request_id, user="ULEAD1"))
    headers = signed_headers(body, SIGNING_SECRET)
    for _ in range(3):
        assert await slack.send(body, headers) == 200
        await slack.settle()
    assert len(scale_patches(kube["prd"])) == 1
    answers = [answer_text(dict(r.body)) for r in slack.api.responses[-3:]]
    assert "You approved" in answers[0]
    assert all("already approved and done" in a for a in answers[1:])


async def test_an_edited_button_value_is_just_another_request_id(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    mine = await request_approval(slack, SCALE_TO_ZERO, user="ULEAD1")
    theirs = await request_approval(slack, SCALE_TO_ZERO, user="UOPERATOR2")
    payload = click_payload(slack.api, theirs, user="ULEAD1")
    for value, expected in (
        (mine, "cannot approve your own request"),
        ("AR-ZZZZZ", "no approval request with that id"),
        ("x' OR '1'='1", "no approval request with that id"),
        ("", "no approval request with that id"),
    ):
        payload["actions"][0]["value"] = value
        await slack.send(interaction_body(payload))
        await slack.settle()
        assert expected in answer_text(dict(slack.api.responses[-1].body))
    payload["actions"][0].update(value=theirs, action_id="approval_execute")
    before = len(slack.api.responses)
    assert await slack.send(interaction_body(payload)) == 200  # the front acks what is signed…
    await slack.settle()
    assert scale_patches(kube["prd"]) == []  # …but no listener has that action: nothing ran
    assert len(slack.api.responses) == before + 1  # and the clicker is told so, privately
    told = slack.api.responses[-1].body
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert "has no handler for that" in answer_text(dict(told))
    payload["actions"][0]["action_id"] = "approval_approve"
    await slack.send(interaction_body(payload))
    await slack.settle()
    assert len(scale_patches(kube["prd"])) == 1  # the real card's request, by a real lead


async def test_a_request_made_before_a_restart_is_approved_after_it(bot_settings, fake_slack, kube):
    from tests.approvals.support import running_bot

    seed_deployment(kube["prd"], PREVIEW, "app")
    async with running_bot(bot_settings, fake_slack) as before:
        request_id = await request_approval(before, SCALE_TO_ZERO)
    async with running_bot(bot_settings, fake_slack) as after:
        assert "You approved" in await click_card(after, request_id, user="ULEAD1")
        assert (await request_row(after, request_id))["status"] == "succeeded"
    assert len(scale_patches(kube["prd"])) == 1


async def test_open_requests_are_listed(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    assert "No approval request is waiting" in answer_text(await slack.ask("approvals"))
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    listed = answer_text(await slack.ask("approvals", user="UVIEWER1"))
    assert request_id in listed and "0 of 1 approvals" in listed


async def test_an_approve_command_works_like_the_button(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    refused = await slack.ask(f"approve {request_id}", user="UOPERATOR2")
    assert "Only team leads" in answer_text(refused)
    answer = await slack.ask(f"approve {request_id.lower()}", user="ULEAD2")
    assert "You approved" in answer_text(answer)
    assert len(scale_patches(kube["prd"])) == 1

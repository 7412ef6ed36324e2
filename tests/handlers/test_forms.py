"""Forms open at once (a loading view, then views.update) and private replies always arrive:
the two bugs a looser fake Slack hid (issue 13 §5). Signed requests over HTTP to the running
app; the fake Slack refuses a late or reused trigger_id and an ephemeral where the bot is not."""

from slack_sdk.webhook.async_client import AsyncWebhookClient

from sandbox.fake_kube import FakeKubeServer
from sandbox.slack_payloads import interaction_body, plain_text_value
from tests.approvals.rollout_support import INT_REPO
from tests.approvals.support import (
    APPROVALS,
    PREVIEW,
    buttons_of,
    card,
    click_card,
    click_payload,
    request_approval,
    request_id_in,
    seed_deployment,
)
from tests.fixtures.bot import answer_text

SCALE_TO_ZERO = f"scale prd app 0 --namespace {PREVIEW}"
REASON = {"reason": {"reason_input": plain_text_value("incident INC-42")}}


async def test_the_reason_form_opens_before_slow_commands_free_a_turn(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    kube["prd"].inject_fault(method="GET", path_regex="/pods", delay=1.5, count=None)
    for _ in range(4):  # every heavy turn taken by a slow fan-out
        assert await slack.command("pods prd") == 200
    assert await slack.command(SCALE_TO_ZERO) == 200

    await slack.api.await_for(lambda: slack.api.calls_to("views.open"))
    assert slack.api.responses == [], "the form opened while the four pods still waited"
    await slack.settle()

    [opened] = slack.api.calls_to("views.open")
    assert opened.error is None
    [form] = slack.api.views()
    assert form["callback_id"] == "approval_reason" and form["private_metadata"].startswith("D-")
    [updated] = slack.api.calls_to("views.update")
    assert updated.args["view_id"] == form["id"]


def each_read_takes_5_seconds(cluster: FakeKubeServer):
    """Slack's clock, as if every request to `cluster` took 5 s: a trigger_id outlives no read."""
    return lambda: 1_000.0 + 5.0 * len(cluster.requests)


async def test_the_reason_form_opens_before_the_pre_flight_reads_a_slow_cluster(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    slack.api.clock = each_read_takes_5_seconds(kube["prd"])

    answer = await slack.ask(SCALE_TO_ZERO)

    assert "tell the team leads why in the form" in answer_text(answer)
    [opened] = slack.api.calls_to("views.open")
    assert opened.error is None
    assert slack.api.views()[-1]["callback_id"] == "approval_reason"


async def test_roll_this_back_in_prd_opens_its_form_before_reading_the_cluster(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", image=f"{INT_REPO}:v1.41.1")
    seed_deployment(kube["prd"], PREVIEW, "app", image=f"{INT_REPO}:preview-proj-7")
    request_id = await request_approval(slack, f"rollback prd app --namespace {PREVIEW}")
    await click_card(slack, request_id, user="ULEAD1")
    thread = slack.api.thread(APPROVALS, card(slack.api, request_id)["ts"])
    [undo] = [b["value"] for b in buttons_of(thread[-1]) if b["action_id"] == "mutation_rollback"]
    slack.api.clock = each_read_takes_5_seconds(kube["prd"])

    assert await slack.click("mutation_rollback", undo, user="UOPERATOR2") == 200
    await slack.settle()

    [opened] = slack.api.calls_to("views.open")
    assert opened.error is None
    form = slack.api.views()[-1]
    assert form["callback_id"] == "approval_reason" and form["private_metadata"].startswith("D-")


async def test_the_form_opens_as_a_loading_view_then_is_filled(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)

    answer = await slack.ask(SCALE_TO_ZERO)

    assert "tell the team leads why in the form" in answer_text(answer)
    [opened] = slack.api.calls_to("views.open")
    assert "Checking the current state" in str(opened.args["view"]["blocks"])
    assert "callback_id" not in opened.args["view"]
    [form] = slack.api.views()
    assert form["title"]["text"] == "Approval needed" and form["callback_id"] == "approval_reason"
    assert "2 replicas → 0 replicas" in str(form["blocks"])


async def test_a_form_the_work_did_not_need_is_not_left_loading(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")  # the preview exists; `missing` does not
    answer = await slack.ask(f"scale prd missing 0 --namespace {PREVIEW}")

    assert "there is no deployment `missing`" in answer_text(answer)
    [form] = slack.api.views()
    assert "callback_id" not in form or not form["callback_id"]
    assert "there is no deployment `missing`" in str(form["blocks"])
    assert "Checking the current state" not in str(form["blocks"])


async def test_a_change_allowed_at_once_opens_no_form(slack, kube):
    seed_deployment(kube["int"], PREVIEW, "app", replicas=2)

    answer = await slack.ask(f"scale int app 3 --namespace {PREVIEW}")

    assert "3" in answer_text(answer)
    assert slack.api.calls_to("views.open") == []


async def test_a_late_trigger_gets_the_form_failed_answer_never_a_silent_loss(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    slack.api.fail_next("views.open", error="expired_trigger_id")

    answer = await slack.ask(SCALE_TO_ZERO)

    assert "did not open" in answer_text(answer) and "--reason" in answer_text(answer)
    assert len(slack.api.calls_to("views.open")) == 1, "a dead trigger is not tried twice"
    assert slack.api.calls_to("views.update") == []


async def test_the_requester_hears_back_by_dm_where_the_bot_cannot_post(slack, kube):
    slack.api.add_conversation("D0PEOPLE", kind="im", bot_member=False, users=("UOPERATOR1", "U2"))
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    assert await slack.command(SCALE_TO_ZERO, channel="D0PEOPLE") == 200
    await slack.settle()
    [form] = slack.api.views()

    await slack.submit_view(
        user="UOPERATOR1",
        callback_id="approval_reason",
        private_metadata=form["private_metadata"],
        values=REASON,
    )
    await slack.settle()

    [refused] = slack.api.calls_to("chat.postEphemeral")
    assert (refused.args["channel"], refused.error) == ("D0PEOPLE", "channel_not_found")
    [dm] = slack.api.messages("DUOPERATOR1")
    assert request_id_in({"text": dm["text"]}).startswith("AR-")


async def test_a_click_whose_response_url_is_used_up_is_answered_in_the_channel(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    payload = click_payload(slack.api, request_id, user="UOPERATOR1")  # their own: refused
    for n in range(5):  # Slack takes 5 posts to a response_url
        await AsyncWebhookClient(payload["response_url"]).send(text=str(n))

    assert await slack.send(interaction_body(payload)) == 200
    await slack.settle()

    [told] = slack.api.calls_to("chat.postEphemeral")
    assert told.error is None and told.args["user"] == "UOPERATOR1"
    assert "cannot approve your own" in told.args["text"]

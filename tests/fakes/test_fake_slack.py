"""The fake Slack (Web API, response_url, uploads, Socket Mode) and the inbound payload builders,
exercised through the real slack_sdk / slack-bolt clients."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Iterator

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.internals import parse_body
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from sandbox.fake_slack import FakeSlackAPI, SlackCall
from sandbox.slack_payloads import (
    block_actions,
    form_body,
    interaction_body,
    plain_text_value,
    signed_headers,
    slash_command,
    view_submission,
)
from sandbox.slack_rules import ManualClock

SECRET = "test-signing-secret"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        yield api


@pytest.fixture
def api(server: FakeSlackAPI) -> FakeSlackAPI:
    server.reset()
    server.on_message = None
    return server


@pytest.fixture
def client(api: FakeSlackAPI) -> AsyncWebClient:
    # No retry handlers: a test must see the first answer the fake gives.
    return AsyncWebClient(token="xoxb-test", base_url=api.base_url, retry_handlers=[])


# -- Web API ------------------------------------------------------------------------------------


async def test_post_message_is_recorded_and_answered_in_slack_shape(api, client):
    response = await client.chat_postMessage(channel="C_OPS", text="hello", blocks=BLOCKS)

    assert response["ok"] and response["channel"] == "C_OPS"
    assert response["ts"] == "1700000000.000100"
    assert response["message"]["blocks"] == BLOCKS and response["message"]["bot_id"]
    [call] = api.calls_to("chat.postMessage")
    assert call.token == "xoxb-test" and call.error is None
    assert call.args["text"] == "hello" and call.args["blocks"] == BLOCKS


async def test_timestamps_are_unique_and_increasing(client):
    tss = [(await client.chat_postMessage(channel="C1", text=str(i)))["ts"] for i in range(3)]
    assert tss == sorted(set(tss)) and len(tss) == 3


async def test_ratelimited_is_http_429_with_retry_after_then_recovers(api, client):
    api.fail_next("chat.postMessage", error="ratelimited", retry_after=1)

    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C_OPS", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert raised.value.response["error"] == "ratelimited"

    assert (await client.chat_postMessage(channel="C_OPS", text="x"))["ok"]
    assert [c.error for c in api.calls_to("chat.postMessage")] == ["ratelimited", None]


async def test_other_errors_are_ok_false_with_status_200(api, client):
    api.fail_next("chat.postMessage", error="channel_not_found", count=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C_GONE", text="x")
        assert raised.value.response.status_code == 200
        assert raised.value.response["error"] == "channel_not_found"
    assert len(api.calls_to("chat.postMessage")) == 2


async def test_missing_token_is_not_authed(api):
    with pytest.raises(SlackApiError, match="not_authed"):
        await AsyncWebClient(base_url=api.base_url).auth_test()


async def test_update_delete_threads_and_reactions_keep_message_state(api, client):
    parent = await client.chat_postMessage(channel="C_OPS", text="v1")
    reply = await client.chat_postMessage(channel="C_OPS", text="r", thread_ts=parent["ts"])
    await client.chat_update(channel="C_OPS", ts=parent["ts"], text="v2", blocks=BLOCKS)
    await client.reactions_add(channel="C_OPS", timestamp=parent["ts"], name="eyes")

    message = api.message("C_OPS", parent["ts"])
    assert message is not None and message["text"] == "v2" and message["blocks"] == BLOCKS
    assert message["reply_count"] == 1 and message["reactions"][0]["name"] == "eyes"
    assert [m["ts"] for m in api.thread("C_OPS", parent["ts"])] == [reply["ts"]]

    await client.chat_delete(channel="C_OPS", ts=reply["ts"])
    assert api.message("C_OPS", reply["ts"]) is None
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel="C_OPS", ts="1.2", text="x")


async def test_ephemeral_dm_users_and_groups(api, client):
    api.set_usergroup_members("S0LEADS", ["U_LEAD1", "U_LEAD2"])

    assert (await client.chat_postEphemeral(channel="C_OPS", user="U1", text="psst"))["message_ts"]
    assert (await client.conversations_open(users="U1"))["channel"]["id"] == "DU1"
    assert (await client.users_info(user="U_LEAD1"))["user"]["name"] == "u_lead1"
    assert (await client.usergroups_users_list(usergroup="S0LEADS"))["users"] == [
        "U_LEAD1",
        "U_LEAD2",
    ]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        await client.usergroups_users_list(usergroup="S0NOPE")
    assert (await client.auth_test())["user_id"] == "UBOT"
    assert (await client.api_call("bookmarks.list"))["ok"]


async def test_views_are_stored_and_updated(api, client):
    modal = {
        "type": "modal",
        "callback_id": "confirm",
        "title": {"type": "plain_text", "text": "t"},
    }
    opened = await client.views_open(trigger_id=api.trigger_id(), view={**modal, "blocks": []})
    view_id = opened["view"]["id"]
    assert view_id.startswith("V") and opened["view"]["callback_id"] == "confirm"

    await client.views_update(view_id=view_id, view={**modal, "blocks": BLOCKS})
    stored = api.view(view_id)
    assert stored is not None and stored["blocks"] == BLOCKS


async def test_response_url_posts_are_recorded_and_notified(api):
    seen: list[SlackCall] = []
    api.on_message = seen.append
    url = api.response_url("cmd-1")

    response = await AsyncWebhookClient(url).send(text="done", replace_original=True)

    assert response.status_code == 200
    [post] = api.responses
    assert post.url == url and post.tag == "cmd-1" and post.body["text"] == "done"
    assert [call.method for call in seen] == ["response_url"]
    unknown = await AsyncWebhookClient(url.rsplit("/", 1)[0] + "/nope").send(text="x")
    assert unknown.status_code == 404


async def test_files_upload_v2_end_to_end(api, client):
    response = await client.files_upload_v2(
        content="line1\nline2", channel="C_OPS", filename="logs.txt", title="Logs"
    )

    assert response["file"]["name"] == "logs.txt" and response["file"]["size"] == 11
    [upload] = api.uploads
    assert upload.content == b"line1\nline2" and upload.channel_id == "C_OPS"
    assert [c.method for c in api.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_files_upload_v2_into_a_thread(api, client):
    posted = await client.chat_postMessage(channel="C_OPS", text="digest")
    await client.files_upload_v2(
        content=b"\x89PNG...", channel="C_OPS", thread_ts=posted["ts"], filename="chart.png"
    )
    [upload] = api.uploads
    assert (upload.channel_id, upload.thread_ts) == ("C_OPS", posted["ts"])
    assert upload.content == b"\x89PNG..."
    # Slack shares the file as a message in the thread: the bot can find it there again
    thread = await client.conversations_replies(channel="C_OPS", ts=posted["ts"])
    parent, share = thread["messages"]
    assert parent["reply_count"] == 1 and share["thread_ts"] == posted["ts"]
    assert [f["name"] for f in share["files"]] == ["chart.png"] and share["upload"] is True


async def test_an_upload_into_a_thread_without_a_channel_is_refused(api, client):
    announced = await client.files_getUploadURLExternal(filename="chart.png", length=3)
    async with ClientSession() as http:
        await http.post(announced["upload_url"], data=b"png")
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(
            files=[{"id": announced["file_id"]}], thread_ts="1700000000.000100"
        )
    assert refused.value.response["error"] == "invalid_arguments"
    assert api.uploads[0].channel_id is None and api.uploads[0].thread_ts is None


async def test_wait_for_times_out_with_a_summary_of_calls(api, client):
    await client.chat_postMessage(channel="C_OPS", text="only this")

    with pytest.raises(AssertionError, match=r"chat\.postMessage channel=C_OPS text=only this"):
        await api.await_for(lambda: api.responses, timeout=0.05)
    api.wait_for(lambda: api.calls_to("chat.postMessage"), timeout=0.05)


# -- Slack's rules, refused as Slack refuses them ----------------------------------------------

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []}


@pytest.fixture
def clock(api: FakeSlackAPI) -> ManualClock:
    api.clock = ManualClock()
    return api.clock


async def refused(call: Awaitable[object]) -> tuple[int, str, dict[str, object]]:
    with pytest.raises(SlackApiError) as raised:
        await call
    response = raised.value.response
    return response.status_code, str(response["error"]), dict(response.headers)


async def test_a_trigger_id_opens_one_view_within_3_seconds(api, client, clock):
    fresh, late, unused = api.trigger_id(), api.trigger_id(), api.trigger_id()
    assert (await client.views_open(trigger_id=fresh, view=MODAL))["ok"]
    clock.advance(3.01)

    assert (await refused(client.views_open(trigger_id=fresh, view=MODAL)))[1] == (
        "exchanged_trigger_id"
    )
    assert (await refused(client.views_open(trigger_id=late, view=MODAL)))[1] == (
        "expired_trigger_id"
    )
    assert (await refused(client.views_push(trigger_id=unused, view=MODAL)))[1] == (
        "expired_trigger_id"
    )
    made_up = "1234567890123.1234567890.0123456789abcdef0123456789abcdef"
    assert (await refused(client.views_open(trigger_id=made_up, view=MODAL)))[1] == (
        "invalid_trigger_id"
    )
    assert len(api.calls_to("views.open")) == 4


async def test_views_update_with_a_stale_hash_is_a_conflict(api, client):
    opened = (await client.views_open(trigger_id=api.trigger_id(), view=MODAL))["view"]
    updated = (await client.views_update(view_id=opened["id"], view=MODAL, hash=opened["hash"]))[
        "view"
    ]

    assert updated["hash"] != opened["hash"]
    stale = client.views_update(view_id=opened["id"], view=MODAL, hash=opened["hash"])
    assert (await refused(stale))[1] == "hash_conflict"


async def test_a_response_url_takes_5_posts_within_30_minutes(api, clock):
    used, old = api.response_url(), api.response_url()
    statuses = [(await AsyncWebhookClient(used).send(text=str(n))).status_code for n in range(6)]
    clock.advance(30 * 60 + 1)
    late = await AsyncWebhookClient(old).send(text="late")

    assert statuses == [200] * 5 + [404]
    assert (late.status_code, late.body) == (404, "expired_url")
    assert [post.body["text"] for post in api.responses] == ["0", "1", "2", "3", "4"]


async def test_the_bot_posts_only_where_it_is_a_member(api, client):
    api.add_conversation("D0PEOPLE", kind="im", bot_member=False, users=("U1", "U2"))
    api.add_conversation("G0SECRET", "secret", kind="private", bot_member=False)
    api.add_conversation("C0ELSEWHERE", "elsewhere", bot_member=False)

    for channel in ("D0PEOPLE", "G0SECRET", "C0NOPE"):
        for post in (
            client.chat_postEphemeral(channel=channel, user="U1", text="psst"),
            client.chat_postMessage(channel=channel, text="hi"),
        ):
            assert (await refused(post))[1] == "channel_not_found"
    assert (await refused(client.chat_postMessage(channel="C0ELSEWHERE", text="x")))[1] == (
        "not_in_channel"
    )
    dm = (await client.conversations_open(users="U1"))["channel"]["id"]
    assert (await client.chat_postMessage(channel=dm, text="hi"))["channel"] == dm
    assert (await client.chat_postMessage(channel="U1", text="hi"))["channel"] == dm
    assert (await client.chat_postEphemeral(channel="C_OPS", user="U1", text="psst"))["ok"]


async def test_a_member_id_the_workspace_does_not_have_is_not_found(api, client):
    api.forget_user("U0GONE")

    assert (await refused(client.users_info(user="U0GONE")))[1] == "user_not_found"
    assert (await refused(client.chat_postMessage(channel="U0GONE", text="hi")))[1] == (
        "channel_not_found"
    )
    assert (await client.users_info(user="U0HERE"))["user"]["id"] == "U0HERE"
    api.reset()
    assert (await client.users_info(user="U0GONE"))["ok"]  # each test its own workspace


async def test_users_and_conversations_are_named_as_slack_names_them(api, client):
    api.add_user("ULEAD1", "lead1")
    api.add_conversation("G_SECRET", "secret", kind="private", bot_member=False)

    assert (await client.users_info(user="ULEAD1"))["user"]["name"] == "lead1"
    assert (await client.users_info(user="U0OTHER"))["user"]["name"] == "u0other"
    channel = (await client.conversations_info(channel="C_ALERTS"))["channel"]
    assert channel["name"] == "rtb-alerts" and channel["is_channel"] and channel["is_member"]
    assert (await client.conversations_info(channel="DU1"))["channel"]["is_im"]
    for unknown in ("C0NOPE", "#rtb-alerts", "G_SECRET"):  # IDs only; private without the bot
        assert (await refused(client.conversations_info(channel=unknown)))[1] == (
            "channel_not_found"
        )


async def test_channel_names_are_answered_as_ids(api, client):
    posted = await client.chat_postMessage(channel="#rtb-approvals", text="card")

    assert posted["channel"] == "C_APPROVALS"
    assert [m["text"] for m in api.messages("#rtb-approvals")] == ["card"]
    assert (await refused(client.chat_update(channel="#rtb-approvals", ts=posted["ts"], text="x")))[
        1
    ] == "channel_not_found"
    assert (await client.chat_update(channel="C_APPROVALS", ts=posted["ts"], text="v2"))["ok"]
    assert (await refused(client.chat_postMessage(channel="#nowhere", text="x")))[1] == (
        "channel_not_found"
    )


async def test_a_permalink_is_given_for_a_message_by_channel_id_only(api, client):
    posted = await client.chat_postMessage(channel="#rtb-approvals", text="card")
    ts = posted["ts"]
    answer = await client.chat_getPermalink(channel="C_APPROVALS", message_ts=ts)
    assert answer["permalink"].endswith(f"/archives/C_APPROVALS/p{ts.replace('.', '')}")
    assert answer["permalink"].startswith("https://")
    gone = await refused(client.chat_getPermalink(channel="C_APPROVALS", message_ts="1.2"))
    assert gone[1] == "message_not_found"
    named = await refused(client.chat_getPermalink(channel="#rtb-approvals", message_ts=ts))
    assert named[1] == "channel_not_found"


def section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def test_block_kit_limits_on_every_message_and_view(api, client):
    too_many, too_long = [section("x")] * 51, [section("x" * 3001)]
    over_250_kb = [section("x" * 3000)] * 90
    posted = await client.chat_postMessage(channel="C_OPS", text="ok", blocks=[section("x")] * 50)
    opened = await client.views_open(trigger_id=api.trigger_id(), view=MODAL)
    refusals = {
        "invalid_blocks": [
            client.chat_postMessage(channel="C_OPS", text="x", blocks=too_many),
            client.chat_update(channel="C_OPS", ts=posted["ts"], text="x", blocks=too_long),
            client.chat_postEphemeral(channel="C_OPS", user="U1", text="x", blocks=too_long),
        ],
        "invalid_arguments": [
            client.views_open(
                trigger_id=api.trigger_id(), view={**MODAL, "blocks": [section("x")] * 101}
            ),
            client.views_update(view_id=opened["view"]["id"], view={**MODAL, "blocks": too_long}),
            client.views_publish(user_id="U1", view={"type": "home", "blocks": over_250_kb}),
        ],
    }

    for error, calls in refusals.items():
        for call in calls:
            assert (await refused(call))[1] == error
    [update] = api.calls_to("chat.update")
    assert update.error == "invalid_blocks"
    answer = await AsyncWebhookClient(api.response_url()).send(text="x", blocks=too_many)
    assert (answer.status_code, answer.body) == (400, "invalid_blocks")
    assert api.responses == []


def button(action_id: str, value: str = "v", text: str = "Go") -> dict[str, object]:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text},
    }


async def test_buttons_keep_to_slacks_sizes_and_unique_action_ids(api, client):
    fine = [
        {"type": "actions", "elements": [button("a", "v" * 2000, "t" * 75), button("b")]},
        {**section("x"), "accessory": button("a")},  # unique per block, not per message
    ]
    assert (await client.chat_postMessage(channel="C_OPS", text="ok", blocks=fine))["ok"]
    wrong = [
        [{"type": "actions", "elements": [button("a", "v" * 2001)]}],
        [{"type": "actions", "elements": [button("a", text="t" * 76)]}],
        [{"type": "actions", "elements": [button("a" * 256)]}],
        [{"type": "actions", "elements": [button("a"), button("a")]}],
        [{"type": "actions", "elements": [button(f"a{n}") for n in range(26)]}],
        [{**section("x"), "accessory": button("a", "v" * 2001)}],
    ]
    for blocks in wrong:
        refusal = await refused(client.chat_postMessage(channel="C_OPS", text="x", blocks=blocks))
        assert refusal[1] == "invalid_blocks", blocks
    answer = await AsyncWebhookClient(api.response_url()).send(text="x", blocks=wrong[0])
    assert (answer.status_code, answer.body) == (400, "invalid_blocks")


async def test_more_than_a_message_a_second_to_a_channel_is_429(api, client, clock):
    for n in range(3):  # a short burst passes
        await client.chat_postMessage(channel="C_OPS", text=str(n))
    status, error, headers = await refused(client.chat_postMessage(channel="C_OPS", text="3"))
    assert (status, error, headers["Retry-After"]) == (429, "ratelimited", "1")
    assert (await client.chat_postMessage(channel="C1", text="other channel"))["ok"]

    clock.advance(1.0)
    assert (await client.chat_postMessage(channel="C_OPS", text="after a second"))["ok"]
    api.pace_messages = False
    for n in range(5):
        await client.chat_postMessage(channel="C_OPS", text=f"unpaced {n}")
    api.reset()
    assert api.pace_messages


# -- payload builders and signing ---------------------------------------------------------------


def test_signed_headers_verify_with_the_sdk_verifier():
    body = form_body(slash_command("status prd", user_id="U1", response_url="http://x/r"))
    headers = signed_headers(body, SECRET)

    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    stale = signed_headers(body, SECRET, timestamp=int(time.time()) - 301)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)


def test_bodies_parse_back_the_way_bolt_reads_them():
    fields = slash_command("scale api 3 & more", user_id="U1", response_url="http://x/r")
    click = block_actions(user_id="U1", action_id="approve", value="req-1")
    modal = view_submission(
        user_id="U1",
        callback_id="reason",
        private_metadata="req-1",
        values={"b": {"a": plain_text_value("because")}},
    )
    content_type = "application/x-www-form-urlencoded"

    assert parse_body(form_body(fields), content_type) == fields
    assert "text=scale+api+3+%26+more" in form_body(fields)
    assert parse_body(interaction_body(click), content_type) == click
    assert parse_body(interaction_body(modal), content_type)["view"]["state"]["values"]["b"]


# -- a Bolt app against the fake: HTTP and Socket Mode ------------------------------------------


def build_app(api: FakeSlackAPI) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-test", base_url=api.base_url, retry_handlers=[]),
        signing_secret=SECRET,
    )

    @app.command("/rtb")
    async def rtb(ack, command, respond):
        await ack(text=f"on it: {command['text']}")
        await respond(text="done")

    @app.action("approve")
    async def approve(ack, body, client):
        await ack()
        await client.chat_update(
            channel=body["channel"]["id"], ts=body["message"]["ts"], text="approved"
        )

    return app


@pytest.fixture
async def http(api: FakeSlackAPI) -> AsyncIterator[tuple[str, ClientSession]]:
    server = TestServer(build_app(api).web_app())
    await server.start_server()
    async with ClientSession() as session:
        yield str(server.make_url("/slack/events")), session
    await server.close()


async def post_signed(http: tuple[str, ClientSession], body: str, headers: dict[str, str]):
    url, session = http
    async with session.post(url, data=body.encode(), headers=headers) as response:
        return response.status, await response.text()


async def test_http_signed_slash_command_is_acked_and_answered(api, http):
    body = form_body(slash_command("status", user_id="U1", response_url=api.response_url()))

    status, text = await post_signed(http, body, signed_headers(body, SECRET))

    assert status == 200 and "on it: status" in text
    await api.await_for(lambda: api.responses)
    assert api.responses[0].body["text"] == "done"


async def test_http_bad_signature_and_stale_timestamp_are_401(api, http):
    body = form_body(slash_command("status", user_id="U1", response_url=api.response_url()))
    stale = signed_headers(body, SECRET, timestamp=int(time.time()) - 301)

    assert (await post_signed(http, body, signed_headers(body, "wrong")))[0] == 401
    assert (await post_signed(http, body, stale))[0] == 401


async def test_http_button_click_updates_the_message(api, http, client):
    posted = await client.chat_postMessage(channel="C_OPS", text="approve?")
    payload = block_actions(
        user_id="U1", action_id="approve", value="req-1", message_ts=posted["ts"]
    )
    body = interaction_body(payload)

    assert (await post_signed(http, body, signed_headers(body, SECRET)))[0] == 200
    await api.await_for(lambda: (api.message("C_OPS", posted["ts"]) or {})["text"] == "approved")


@pytest.fixture
async def socket_app(api: FakeSlackAPI) -> AsyncIterator[AsyncSocketModeHandler]:
    handler = AsyncSocketModeHandler(build_app(api), "xapp-test")
    await handler.connect_async()
    yield handler
    await handler.close_async()


async def test_socket_mode_slash_command_ack_carries_the_response(api, socket_app):
    command = slash_command("status", user_id="U1", response_url=api.response_url())

    envelope_id = api.socket_send("slash_commands", command)
    ack = await api.await_ack(envelope_id)

    assert ack == {"envelope_id": envelope_id, "payload": {"text": "on it: status"}}
    [connect] = api.calls_to("apps.connections.open")
    assert connect.token == "xapp-test"
    await api.await_for(lambda: api.responses)


async def test_socket_mode_interaction_and_reconnect(api, socket_app, client):
    posted = await client.chat_postMessage(channel="C_OPS", text="approve?")
    opened = api.socket_connections_opened
    api.socket_disconnect()
    await api.await_for(lambda: api.socket_connections_opened > opened and api.socket_connections)

    click = block_actions(user_id="U1", action_id="approve", value="r", message_ts=posted["ts"])
    ack = await api.await_ack(api.socket_send("interactive", click))

    assert "payload" not in ack
    assert len(api.calls_to("apps.connections.open")) == 2
    await api.await_for(lambda: (api.message("C_OPS", posted["ts"]) or {})["text"] == "approved")

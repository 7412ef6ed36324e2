"""The App Home tab, published when a user opens it (a signed Events API request)."""

import json
import re

from sandbox.slack_payloads import app_home_opened, event_callback, signed_headers
from tests.approvals.support import PREVIEW, seed_deployment
from tests.fixtures.bot import SIGNING_SECRET


async def open_home(slack, user: str) -> dict:
    body = json.dumps(event_callback(app_home_opened(user)))
    response = await slack.http.post(
        "/slack/events", data=body, headers=signed_headers(body, SIGNING_SECRET)
    )
    assert response.status == 200
    await slack.settle()
    published = slack.api.calls_to("views.publish")
    assert published, "no views.publish"
    return published[-1].args


async def test_home_shows_role_open_requests_and_where_to_start(slack):
    args = await open_home(slack, "ULEAD1")
    text = json.dumps(args["view"])
    assert args["user_id"] == "ULEAD1" and args["view"]["type"] == "home"
    assert "lead" in text and "No approval request is waiting" in text
    assert "/rtb status" in text


async def test_home_lists_a_pending_request(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    await slack.ask(f"scale prd app 0 --namespace {PREVIEW} --reason drill", user="UOPERATOR1")
    text = json.dumps((await open_home(slack, "UVIEWER1"))["view"])
    assert "viewer" in text and re.search(r"AR-[0-9A-Z]{5}", text)


def test_home_golden():
    from handlers.render.home import render_home
    from handlers.render.message import Message, simple
    from tests.golden import assert_golden, shown

    view = render_home(simple("<@U1>: *operator*"), simple("No approval request is waiting."))
    home = Message(text="home", blocks=tuple(view.blocks or ()))
    assert_golden("home", home)
    for fact in ("<@U1>: *operator*", "No approval request is waiting.", "`/rtb status`"):
        assert fact in shown(home)

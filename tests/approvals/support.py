"""Helpers shared by the approvals tests: seeded deployments and what Slack/Kubernetes saw."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from bot.app import create_runtime
from bot.settings import Settings
from sandbox.fake_kube import FakeKubeServer
from sandbox.fake_slack import FakeSlackAPI
from sandbox.slack_payloads import block_actions, interaction_body
from tests.fixtures.bot import SlackDriver, answer_text, serving
from tests.ops.test_previews import preview_namespace

APPROVALS = "#rtb-approvals"
PREVIEW = "preview-proj-7"
IMAGE = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/rtb-hub:preview-proj-7"
_REQUEST_ID = re.compile(r"AR-[0-9A-Z]{5}")


def seed_deployment(
    server: FakeKubeServer, namespace: str, name: str, replicas: int = 1, image: str = IMAGE
) -> None:
    """A deployment; a `preview-…` namespace that does not exist yet is made a preview as the
    hub makes one (labelled `rtb.io/preview=true`). To seed a namespace that only has the name,
    apply it first (`bare_namespace`)."""
    if namespace.startswith("preview-") and server.get("namespaces", None, namespace) is None:
        server.apply(preview_namespace(namespace))
    labels = {"app": name}
    server.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": name, "image": image}]},
                },
            },
        }
    )


def bare_namespace(server: FakeKubeServer, name: str) -> None:
    """A namespace without any label (whatever its name says, it is not a preview)."""
    server.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def replicas(server: FakeKubeServer, namespace: str, name: str) -> int:
    found = server.get("deployments", namespace, name)
    assert found is not None
    return int(found["spec"]["replicas"])


def scale_patches(server: FakeKubeServer, namespace: str = PREVIEW, name: str = "app") -> list:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"
    return [r for r in server.requests if r[0] == "PATCH" and r[1] == path]


def request_id_in(answer: dict[str, Any]) -> str:
    found = _REQUEST_ID.search(answer_text(answer))
    assert found, f"no request id in {answer_text(answer)}"
    return found[0]


async def request_approval(
    slack: SlackDriver,
    text: str = f"scale prd app 0 --namespace {PREVIEW}",
    *,
    user: str = "UOPERATOR1",
    reason: str = "incident INC-42",
) -> str:
    """Ask for a prd change with the reason inline; returns the request id."""
    answer = await slack.ask(f'{text} --reason "{reason}"', user=user)
    return request_id_in(answer)


def cards(api: FakeSlackAPI, request_id: str, channel: str = APPROVALS) -> list[dict[str, Any]]:
    """The request's cards in `channel` (current version): top-level, with a header."""
    return [
        m
        for m in api.messages(channel)
        if request_id in m.get("text", "")
        and m.get("thread_ts") in (None, m["ts"])
        and any(b.get("type") == "header" for b in m.get("blocks", []))
    ]


def card(api: FakeSlackAPI, request_id: str, channel: str = APPROVALS) -> dict[str, Any]:
    found = cards(api, request_id, channel)
    assert len(found) == 1, api.describe()
    return found[0]


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks", [])
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


def text_of(message: dict[str, Any]) -> str:
    return answer_text(message)


def last_private_answer(slack: SlackDriver) -> str:
    assert slack.api.responses, slack.api.describe()
    return answer_text(dict(slack.api.responses[-1].body))


@asynccontextmanager
async def running_bot(settings: Settings, api: FakeSlackAPI) -> AsyncIterator[SlackDriver]:
    """Another bot instance (a replica, or the bot after a restart) with its own HTTP server."""
    runtime = create_runtime(settings, retries=0)
    await runtime.start()
    try:
        async with serving(runtime, api) as driver:
            yield driver
    finally:
        await runtime.stop()


def with_config(settings: Settings, **groups: Any) -> Settings:
    """`settings` with some config groups replaced, e.g. approvals=Approvals(required=2)."""
    return replace(settings, config=settings.config.model_copy(update=groups))


async def rows(driver: SlackDriver, sql: str, *params: Any) -> list[dict[str, Any]]:
    return await driver.runtime.backends.db.fetch(sql, params)


async def request_row(driver: SlackDriver, request_id: str) -> dict[str, Any]:
    found = await rows(driver, "SELECT * FROM rtb_bot.approval_requests WHERE id = %s", request_id)
    assert found, f"no request {request_id}"
    return found[0]


async def audit_outcomes(driver: SlackDriver, request_id: str) -> list[str]:
    found = await rows(
        driver,
        "SELECT outcome FROM rtb_bot.audit_events WHERE approval_id = %s ORDER BY id",
        request_id,
    )
    return [row["outcome"] for row in found]


def click_payload(
    api: FakeSlackAPI, request_id: str, *, user: str, action_id: str = "approval_approve"
) -> dict[str, Any]:
    """What Slack sends when `user` clicks a button of the request's card."""
    message = card(api, request_id)
    button = next(b for b in buttons_of(message) if b["action_id"] == action_id)
    block = next(b for b in message["blocks"] if b.get("type") == "actions")
    return block_actions(
        user_id=user,
        action_id=action_id,
        value=button["value"],
        block_id=block.get("block_id", "b"),
        channel_id=APPROVALS,
        message_ts=message["ts"],
        message=message,
        response_url=api.response_url(),
    )


async def click_card(
    slack: SlackDriver, request_id: str, *, user: str, action_id: str = "approval_approve"
) -> str:
    """Click, wait for the work to finish, return the private answer the clicker got."""
    return await send_click(
        slack, click_payload(slack.api, request_id, user=user, action_id=action_id)
    )


async def send_click(slack: SlackDriver, payload: dict[str, Any]) -> str:
    """Send a click (e.g. one prepared earlier: a card seen before it changed)."""
    before = len(slack.api.responses)
    assert await slack.send(interaction_body(payload)) == 200
    await slack.settle()
    answers = slack.api.responses[before:]
    assert answers, slack.api.describe()
    return answer_text(dict(answers[-1].body))

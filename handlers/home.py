"""App Home: published when a user opens the bot's Home tab."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps
from handlers.listeners import Incoming, ack_then
from handlers.render.approvals import render_open_requests
from handlers.render.home import render_home
from handlers.render.policy import render_whoami

log = structlog.get_logger(__name__)


def register(app: AsyncApp) -> None:
    async def work(incoming: Incoming) -> None:
        event = incoming.payload
        if event.get("tab") == "home":
            await publish_home(incoming.deps, incoming.client, str(event.get("user", "")))

    app.event("app_home_opened")(ack_then(work, name=lambda _: "app home"))


async def publish_home(deps: Deps, client: AsyncWebClient, user_id: str) -> None:
    try:
        gate = deps.gate
        info = await gate.roles.describe(user_id)
        # the Home tab has no channel: what the role may do from the channels allowed to it
        whoami = render_whoami(user_id, info, gate.policy.for_role(info.role, ""))
        tz = ZoneInfo(deps.config.timezone)
        requests = render_open_requests(await gate.open_requests(), tz)
        await client.views_publish(user_id=user_id, view=render_home(whoami, requests))
    except Exception:
        log.exception("could not publish the Home tab", user=user_id)

"""The approvals port (approvals.notifier.ApprovalNotifier) implemented with Slack.

Cards go to `channels.approvals`, or to each team lead's DM when it is `dm`. A Slack failure is
logged and never undoes a decision: the request lives in PostgreSQL, `/rtb approvals` lists it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from approvals.requests import ApprovalRequest, CardRef
from approvals.roles import MemberFetcher, RoleResolver
from handlers.languages import channel_locale
from handlers.render.approvals import (
    render_approval_card,
    render_request_outcome,
    render_unknown_alert,
)
from handlers.render.i18n import use_locale
from handlers.render.message import Message
from ops.config import Config

log = structlog.get_logger(__name__)


def usergroup_members(client: AsyncWebClient) -> MemberFetcher:
    """`usergroups.users.list` through Bolt's client, for approvals.roles.RoleResolver."""

    async def fetch(usergroup: str) -> Sequence[str]:
        answer = await client.usergroups_users_list(usergroup=usergroup)
        return [str(user) for user in answer.get("users") or []]

    return fetch


class SlackApprovalNotifier:
    def __init__(self, client: AsyncWebClient, config: Config, roles: RoleResolver) -> None:
        self._client = client
        self._destination = config.channels.approvals
        self._roles = roles
        self._tz = ZoneInfo(config.timezone)
        # a card and what the bot adds in its thread: the approvals channel's language
        self._locale = channel_locale(config, config.channels.approvals)

    async def post_card(self, request: ApprovalRequest) -> list[CardRef]:
        leads = await self._roles.leads()
        with use_locale(self._locale):
            card = render_approval_card(request, leads, self._tz)
        cards = []
        for channel in await self._channels(leads):
            answer = await self._post(card, channel=channel, approval_id=request.id)
            if answer is not None:
                cards.append(CardRef(str(answer["channel"]), str(answer["ts"])))
        return cards

    async def update_card(self, request: ApprovalRequest) -> None:
        leads = await self._roles.leads()
        with use_locale(self._locale):
            card = render_approval_card(request, leads, self._tz)
        for ref in request.cards:
            await self._call(
                "chat.update",
                request.id,
                channel=ref.channel,
                ts=ref.ts,
                text=card.text,
                blocks=card.blocks_json(),
            )

    async def post_outcome(self, request: ApprovalRequest) -> None:
        with use_locale(self._locale):
            message = render_request_outcome(request)
        for ref in request.cards:
            await self._post(message, channel=ref.channel, thread_ts=ref.ts, approval_id=request.id)

    async def alert_unknown(self, request: ApprovalRequest) -> None:
        leads = await self._roles.leads()
        with use_locale(self._locale):
            alert = render_unknown_alert(request, leads)
        for ref in request.cards:
            await self._post(alert, channel=ref.channel, thread_ts=ref.ts, approval_id=request.id)
        if not request.cards or self._destination != "dm":
            for channel in await self._channels(leads):
                await self._post(alert, channel=channel, approval_id=request.id)

    async def _channels(self, leads: Sequence[str]) -> list[str]:
        if self._destination != "dm":
            return [self._destination]
        channels = []
        for lead in leads:
            opened = await self._call("conversations.open", None, users=lead)
            if opened is not None:
                channels.append(str(opened["channel"]["id"]))
        return channels

    async def _post(self, message: Message, *, approval_id: str, **where: Any) -> Any:
        return await self._call(
            "chat.postMessage",
            approval_id,
            text=message.text,
            blocks=message.blocks_json(),
            **where,
        )

    async def _call(self, method: str, approval_id: str | None, **args: Any) -> Any:
        try:
            return await self._client.api_call(method, json=args)
        except Exception:
            log.warning("Slack call for an approval failed", method=method, approval_id=approval_id)
            return None

"""The approvals port (approvals.notifier.ApprovalNotifier) implemented with Slack.

Cards go to `channels.approvals`, or to each team lead's DM when it is `dm`. A card, and what
the bot adds in its thread, is in the approvals channel's language; in a lead's DM it is in that
lead's `/rtb lang` (`languages`, set by bot.app). A Slack failure is logged and never undoes a
decision: the request lives in PostgreSQL, `/rtb approvals` lists it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from approvals.requests import ApprovalRequest, CardRef
from approvals.roles import MemberFetcher, RoleResolver
from handlers.languages import Languages, channel_locale
from handlers.render.approvals import (
    render_approval_card,
    render_request_outcome,
    render_unknown_alert,
)
from handlers.render.i18n import Locale, use_locale
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
        self.languages: Languages | None = None  # each lead's, for cards in their DMs
        self._dm_leads: dict[str, str] = {}  # a lead's DM channel -> the lead (`dm` only)

    async def post_card(self, request: ApprovalRequest) -> list[CardRef]:
        leads = await self._roles.leads()
        card = self._in_locales(lambda: render_approval_card(request, leads, self._tz))
        cards = []
        for channel in await self._channels(leads):
            message = card(await self.locale_of(channel))
            answer = await self._post(message, channel=channel, approval_id=request.id)
            if answer is not None:
                cards.append(CardRef(str(answer["channel"]), str(answer["ts"])))
        return cards

    async def update_card(self, request: ApprovalRequest) -> None:
        leads = await self._roles.leads()
        card = self._in_locales(lambda: render_approval_card(request, leads, self._tz))
        for ref in request.cards:
            message = card(await self.locale_of(ref.channel))
            await self._call(
                "chat.update",
                request.id,
                channel=ref.channel,
                ts=ref.ts,
                text=message.text,
                blocks=message.blocks_json(),
            )

    async def post_outcome(self, request: ApprovalRequest) -> None:
        outcome = self._in_locales(lambda: render_request_outcome(request))
        for ref in request.cards:
            message = outcome(await self.locale_of(ref.channel))
            await self._post(message, channel=ref.channel, thread_ts=ref.ts, approval_id=request.id)

    async def alert_unknown(self, request: ApprovalRequest) -> None:
        leads = await self._roles.leads()
        alert = self._in_locales(lambda: render_unknown_alert(request, leads))
        for ref in request.cards:
            message = alert(await self.locale_of(ref.channel))
            await self._post(message, channel=ref.channel, thread_ts=ref.ts, approval_id=request.id)
        if not request.cards or self._destination != "dm":
            for channel in await self._channels(leads):
                message = alert(await self.locale_of(channel))
                await self._post(message, channel=channel, approval_id=request.id)

    @staticmethod
    def _in_locales(render: Callable[[], Message]) -> Callable[[Locale], Message]:
        """`render` in a given language, each language rendered once."""
        rendered: dict[Locale, Message] = {}

        def in_locale(locale: Locale) -> Message:
            if locale not in rendered:
                with use_locale(locale):
                    rendered[locale] = render()
            return rendered[locale]

        return in_locale

    async def locale_of(self, channel: str) -> Locale:
        """The language of a card in `channel` and of what goes in its thread: the approvals
        channel's; in a lead's DM, the lead's (handlers.rollout_follow follows a rollout there)."""
        if self._destination != "dm" or self.languages is None:
            return self._locale
        if channel not in self._dm_leads:  # a card posted before this replica started
            await self._channels(await self._roles.leads())
        lead = self._dm_leads.get(channel)
        return self._locale if lead is None else await self.languages.locale_for_user(lead)

    async def _channels(self, leads: Sequence[str]) -> list[str]:
        if self._destination != "dm":
            return [self._destination]
        channels = []
        for lead in leads:
            opened = await self._call("conversations.open", None, users=lead)
            if opened is not None:
                channel = str(opened["channel"]["id"])
                self._dm_leads[channel] = lead
                channels.append(channel)
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

"""Who reads the bot, and where: its channels, their languages, and the team's roles."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from ops.config.shapes import Strict

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SLACK_USERGROUP = re.compile(r"^S[A-Z0-9]+$")


class Channels(Strict):
    """Where the bot posts. Channel names (#rtb-alerts) or ids (C0123)."""

    alerts: str = Field("#rtb-alerts", description="Alerts and the daily/weekly digests.")
    costs: str = Field("#rtb-costs", description="Cost alerts (AI cost over the daily threshold).")
    incidents: str = Field("#rtb-incidents", description="CloudWatch alarms arriving over SNS.")
    approvals: str = Field(
        "#rtb-approvals",
        description="Where approval cards go: a channel, or 'dm' to send each team lead a DM.",
    )

    @field_validator("alerts", "costs", "incidents", "approvals")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty (expected a channel name like #rtb-alerts or an id like C0123)")
        return value


LanguageCode = Literal["en", "ko"]
CHANNEL_ALIASES = ("alerts", "costs", "incidents", "approvals")  # the fields of `channels`


class Language(Strict):
    """Who reads in which language (README: Languages). A user's `/rtb lang` wins for what
    they ask; what the bot posts on its own is in its channel's language."""

    default: LanguageCode = Field(
        "en",
        description="For a user who never ran `/rtb lang` and a channel not listed below "
        "(the example config says ko: the team's runbook is Korean).",
    )
    channels: dict[str, LanguageCode] = Field(
        default_factory=dict,
        description="Per channel, for digests, alerts, incident and approval cards and TTL "
        "notices: a channel id (C0123), a name (#rtb-alerts) or an alias of `channels` "
        "(alerts, costs, incidents, approvals).",
    )


class Members(Strict):
    """A set of Slack users: explicit ids and/or a user group (resolved with a short TTL)."""

    users: tuple[str, ...] = Field((), description="Slack user ids (U0123ABC).")
    usergroup: str | None = Field(None, description="Slack user group id (S0123ABC).")

    @field_validator("users")
    @classmethod
    def _user_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [u for u in value if not _SLACK_USER.match(u)]
        if bad:
            raise ValueError(f"not Slack user ids: {', '.join(bad)} (expected e.g. U0123ABC)")
        return value

    @field_validator("usergroup")
    @classmethod
    def _usergroup_id(cls, value: str | None) -> str | None:
        if value is not None and not _SLACK_USERGROUP.match(value):
            raise ValueError("expected a user group id like S0123ABCD (not the @handle)")
        return value


class Roles(Strict):
    """Who is who. Anyone not listed is a viewer when `everyone_can_view` is true."""

    leads: Members = Field(default_factory=Members, description="Team leads: approve prd changes.")
    operators: Members = Field(default_factory=Members, description="May request mutations.")
    viewers: Members = Field(default_factory=Members, description="Read-only users.")
    everyone_can_view: bool = Field(True, description="Unlisted workspace members are viewers.")
    usergroup_cache_seconds: int = Field(300, ge=0, description="TTL of user group memberships.")

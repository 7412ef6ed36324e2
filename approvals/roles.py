"""Who is who: lead, operator or viewer, from configured user ids and Slack user groups.

Group membership comes from a function the handler layer passes in (built on Bolt's client and
`usergroups.users.list`), so this package stays free of the Slack SDK. Memberships are cached
for `roles.usergroup_cache_seconds`; when Slack cannot answer, the configured user list alone
decides (a lead missing from it is then treated by the next role they are listed in).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import structlog

from ops.config import Members, Roles

log = structlog.get_logger(__name__)

Role = Literal["lead", "operator", "viewer", "none"]
ROLES: tuple[Role, ...] = ("lead", "operator", "viewer", "none")
MemberFetcher = Callable[[str], Awaitable[Sequence[str]]]  # user group id -> user ids
# Where a role comes from: the configured user list, a Slack user group (`RoleInfo.group`),
# `everyone_can_view`, or nowhere (worded by handlers/render/decisions.py).
RoleSource = Literal["users", "group", "everyone", "unlisted"]


@dataclass(frozen=True)
class RoleInfo:
    role: Role
    source: RoleSource
    group: str = ""  # the user group's id, when `source` is "group"

    @property
    def may_request_changes(self) -> bool:
        return self.role in ("lead", "operator")


class RoleResolver:
    def __init__(
        self,
        roles: Roles,
        fetch_members: MemberFetcher | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 3.0,
    ) -> None:
        self._roles = roles
        self._fetch = fetch_members
        self._clock = clock
        self._timeout = timeout  # a slow Slack must not hold up a click for long
        self._cache: dict[str, tuple[frozenset[str], float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def role_of(self, user_id: str) -> Role:
        return (await self.describe(user_id)).role

    async def describe(self, user_id: str) -> RoleInfo:
        """The highest role the user holds, and where it comes from."""
        ranked: tuple[tuple[Role, Members], ...] = (
            ("lead", self._roles.leads),
            ("operator", self._roles.operators),
            ("viewer", self._roles.viewers),
        )
        for role, members in ranked:
            found = await self._membership(members, user_id)
            if found:
                return RoleInfo(role, *found)
        if self._roles.everyone_can_view:
            return RoleInfo("viewer", "everyone")
        return RoleInfo("none", "unlisted")

    async def leads(self) -> list[str]:
        """Every team lead: the configured users, then the group's members."""
        found = list(self._roles.leads.users)
        group = self._roles.leads.usergroup
        if group:
            members = await self._group(group) or frozenset()
            found += sorted(members - set(found))
        return found

    async def _membership(self, members: Members, user_id: str) -> tuple[RoleSource, str] | None:
        if user_id in members.users:
            return "users", ""
        if members.usergroup and user_id in (await self._group(members.usergroup) or ()):
            return "group", members.usergroup
        return None

    async def _group(self, group_id: str) -> frozenset[str] | None:
        """Members of a user group (cached), or None when Slack cannot say."""
        if self._fetch is None:
            return None
        async with self._locks.setdefault(group_id, asyncio.Lock()):  # one fetch at a time
            cached = self._cache.get(group_id)
            if cached and self._clock() - cached[1] < self._roles.usergroup_cache_seconds:
                return cached[0]
            try:
                members = frozenset(await asyncio.wait_for(self._fetch(group_id), self._timeout))
            except Exception:
                log.warning("user group lookup failed; using the configured users", group=group_id)
                return None
            self._cache[group_id] = (members, self._clock())
            return members

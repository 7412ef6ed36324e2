"""Roles from configured users and Slack user groups (usergroups.users.list on the fake Slack)."""

from slack_sdk.web.async_client import AsyncWebClient

from approvals.roles import RoleResolver
from handlers.approval_cards import usergroup_members
from handlers.render.decisions import role_source
from ops.config import Members, Roles

ROLES = Roles(
    leads=Members(users=("ULEAD1",), usergroup="SLEADS"),
    operators=Members(usergroup="SOPS"),
    viewers=Members(users=("UVIEWER1",)),
    everyone_can_view=False,
    usergroup_cache_seconds=60,
)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def resolver(fake_slack, clock=None, roles=ROLES):
    client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.base_url)
    return RoleResolver(roles, usergroup_members(client), clock=clock or Clock())


async def test_roles_from_users_and_groups(fake_slack):
    fake_slack.set_usergroup_members("SLEADS", ["ULEAD2"])
    fake_slack.set_usergroup_members("SOPS", ["UOPERATOR1", "ULEAD2"])
    roles = resolver(fake_slack)
    assert role_source(await roles.describe("ULEAD1")) == "user list"
    lead2 = await roles.describe("ULEAD2")
    assert (lead2.role, role_source(lead2)) == ("lead", "user group SLEADS")  # the highest wins
    assert await roles.role_of("UOPERATOR1") == "operator"
    assert await roles.role_of("UVIEWER1") == "viewer"
    assert await roles.role_of("USTRANGER") == "none"
    assert await roles.leads() == ["ULEAD1", "ULEAD2"]


async def test_group_members_are_cached_for_the_ttl(fake_slack):
    fake_slack.set_usergroup_members("SLEADS", ["ULEAD2"])
    fake_slack.set_usergroup_members("SOPS", [])
    clock = Clock()
    roles = resolver(fake_slack, clock)
    assert await roles.role_of("ULEAD2") == "lead"
    fake_slack.set_usergroup_members("SLEADS", [])
    assert await roles.role_of("ULEAD2") == "lead"  # cached
    clock.now += 61
    assert await roles.role_of("ULEAD2") == "none"
    assert len(fake_slack.calls_to("usergroups.users.list")) == 3  # SLEADS twice, SOPS once


async def test_the_configured_users_decide_when_slack_fails(fake_slack):
    fake_slack.set_usergroup_members("SLEADS", ["ULEAD2"])
    fake_slack.fail_next("usergroups.users.list", "internal_error", count=4)
    roles = resolver(fake_slack)
    assert await roles.role_of("ULEAD1") == "lead"  # listed by id
    assert await roles.role_of("ULEAD2") == "none"  # only in the group Slack cannot list now
    assert await roles.leads() == ["ULEAD1"]


async def test_everyone_can_view_makes_unlisted_users_viewers(fake_slack):
    roles = RoleResolver(Roles(everyone_can_view=True))
    info = await roles.describe("UANYONE")
    assert (info.role, role_source(info), info.may_request_changes) == (
        "viewer",
        "everyone can view",
        False,
    )

"""deploy/iam/: parliament finds nothing but what is explained here, and each document grants
what the bot calls, scoped to what the runbook names."""

from __future__ import annotations

from pathlib import Path

import parliament
import pytest

from ops.backends.aws import Actor
from tests.deploy.support import IAM, iam

# (file, parliament issue) -> why it stays. parliament reads every document as an identity
# policy, so trust policies (which have a Principal, never a Resource) and federated principals
# of EKS OIDC providers look odd to it.
EXPLAINED = {
    ("rtb-ops-bot-policy.json", "CREDENTIALS_EXPOSURE"): (
        "sts:AssumeRole returns credentials: assuming rtb-hub-deployer in stg/prd is the point"
    ),
    ("rtb-ops-bot-trust-policy.json", "MALFORMED"): "a trust policy has no Resource",
    ("rtb-ops-bot-trust-policy.json", "UNKNOWN_FEDERATION_SOURCE"): (
        "an EKS cluster's OIDC provider (IRSA); parliament knows Cognito, SAML and a few IdPs"
    ),
    ("rtb-hub-deployer-trust-policy.json", "MALFORMED"): "a trust policy has no Resource",
}
DOCUMENTS = sorted(p.name for p in IAM.glob("*.json"))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_parliament_finds_nothing_unexplained(name: str) -> None:
    policy = parliament.analyze_policy_string(
        (IAM / name).read_text(), include_community_auditors=True
    )
    found = {(name, finding.issue) for finding in policy.findings}
    assert found - EXPLAINED.keys() == set()
    assert found == {key for key in EXPLAINED if key[0] == name}  # no stale explanation


def statements(name: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in iam(name)["Statement"]}


def actions(statement: dict) -> set[str]:
    found = statement["Action"]
    return {found} if isinstance(found, str) else set(found)


def resources(statement: dict) -> set[str]:
    found = statement["Resource"]
    return {found} if isinstance(found, str) else set(found)


def test_the_bot_assumes_the_deployer_in_stg_and_prd_only() -> None:
    granted = statements("rtb-ops-bot-policy.json")
    assuming = [s for s in granted.values() if actions(s) & {"sts:AssumeRole", "sts:*", "*"}]
    assert len(assuming) == 1
    [assume] = assuming
    assert actions(assume) == {"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"}
    assert resources(assume) == {
        "arn:aws:iam::222222222222:role/rtb-hub-deployer",
        "arn:aws:iam::333333333333:role/rtb-hub-deployer",
    }


def test_every_grant_is_an_action_the_bot_calls_on_what_the_runbook_names() -> None:
    granted = statements("rtb-ops-bot-policy.json")
    assert all(s["Effect"] == "Allow" and "*" not in "".join(actions(s)) for s in granted.values())
    put = granted["HubMetricsPublishRTBHubBullMQOnly"]
    assert actions(put) == {"cloudwatch:PutMetricData"}
    assert put["Condition"] == {"StringEquals": {"cloudwatch:namespace": "RTBHub/BullMQ"}}
    insights = granted["LogsInsightsOnHubLogGroupsOfAllThreeAccounts"]
    assert resources(insights) == {
        f"arn:aws:logs:ap-northeast-2:{account}:log-group:/rtb-ai-hub/*"
        for account in ("111111111111", "222222222222", "333333333333")
    }
    anchor = granted["AuditAnchorStream"]
    assert resources(anchor) == {
        "arn:aws:logs:ap-northeast-2:111111111111:log-group:/rtb-ops-bot/audit-anchor"
        ":log-stream:audit-chain-head"
    }
    assert resources(granted["HubImagesOfTheIntEcrRepository"]) == {
        "arn:aws:ecr:ap-northeast-2:111111111111:repository/rtb-hub"
    }
    queues = granted["AlarmIntakeQueueAndDlq"]
    assert {r.rsplit(":", 1)[1] for r in resources(queues)} == {
        "rtb-ops-bot-alarms",
        "rtb-ops-bot-alarms-dlq",
    }
    assert "sqs:SendMessage" not in actions(queues) and "sqs:PurgeQueue" not in actions(queues)
    dead_letters = granted["AlarmIntakeMovesUnreadableMessagesToTheDlqOnly"]
    assert actions(dead_letters) == {"sqs:SendMessage"}  # ops/backends/sqs.move_to_dead_letters
    assert resources(dead_letters) == {
        "arn:aws:sqs:ap-northeast-2:111111111111:rtb-ops-bot-alarms-dlq"
    }
    # the only grants on every resource are of actions that have no resource level
    everywhere = {a for s in granted.values() if resources(s) == {"*"} for a in actions(s)}
    assert everywhere == {
        "cloudwatch:GetMetricData",
        "cloudwatch:PutMetricData",
        "logs:StopQuery",
        "ce:GetCostAndUsage",
        "cloudtrail:LookupEvents",
        "oam:ListSinks",  # /rtb ping: the int sink, whatever its id
    }


def test_the_deployer_trusts_the_bots_role_only_with_a_source_identity() -> None:
    trust = statements("rtb-hub-deployer-trust-policy.json")
    assume = trust["TheBotsRoleWithASlackUserAsSourceIdentity"]
    assert assume["Principal"] == {"AWS": "arn:aws:iam::111111111111:role/rtb-ops-bot"}
    assert actions(assume) == {"sts:AssumeRole", "sts:SetSourceIdentity"}
    assert assume["Condition"] == {"StringLike": {"sts:SourceIdentity": "?*"}}  # one char at least
    tags = trust["SessionTagsNamingTheSlackUsersOnly"]
    assert actions(tags) == {"sts:TagSession"}
    assert tags["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] == [
        "slack-user",
        "slack-approver",
    ]


@pytest.mark.parametrize("env,account", [("stg", "222222222222"), ("prd", "333333333333")])
def test_the_deployer_reads_its_own_account_only(env: str, account: str) -> None:
    granted = statements(f"rtb-hub-deployer-policy.{env}.json")
    scoped = [r for s in granted.values() for r in resources(s) if r != "*"]
    assert scoped and all(f":{account}:" in r for r in scoped)
    assert not any(
        a.split(":")[1].startswith(("Put", "Delete", "Create", "Update"))
        for s in granted.values()
        for a in actions(s)
    )


def test_the_session_tags_are_the_ones_the_bot_sends() -> None:
    keys = {tag["Key"] for tag in Actor(user="U1", approver="U2").tags()}
    trust = statements("rtb-hub-deployer-trust-policy.json")["SessionTagsNamingTheSlackUsersOnly"]
    assert keys == set(trust["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"])


def test_every_document_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert all(f"deploy/iam/{name}" in readme for name in DOCUMENTS)

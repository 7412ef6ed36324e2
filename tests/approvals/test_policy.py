"""Every (action, env, role) against the runbook §8 matrix, written out here by hand."""

import pytest

from approvals.policy import CORE_INFRASTRUCTURE, Policy
from approvals.roles import ROLES
from handlers.render.decisions import decision_reason
from ops.config import ENV_NAMES, Config

CONFIG = {"environments": {"int": {"account_id": "111111111111"}}}
# MISSION.md §8, cell by cell: what an operator (or lead) gets.
MATRIX = {
    "hub.scale": ("allow", "deny", "deny"),
    "hub.rollback": ("allow", "deny", "deny"),
    "hub.set-image": ("allow", "deny", "deny"),
    "hub.queue": ("allow", "deny", "deny"),
    "preview.create": ("allow", "allow", "approval"),
    "preview.delete": ("allow", "allow", "allow"),
    "preview.workload": ("allow", "allow", "approval"),
    "preview.extend": ("allow", "allow", "approval"),  # not in §8: like any prd preview change
    CORE_INFRASTRUCTURE: ("deny", "deny", "deny"),
    "cluster.delete": ("deny", "deny", "deny"),  # not in the matrix: denied
}
CASES = [(action, env, role) for action in MATRIX for env in ENV_NAMES for role in ROLES]


def expected(action: str, env: str, role: str) -> str:
    if role in ("viewer", "none"):
        return "deny"
    return MATRIX[action][ENV_NAMES.index(env)]


@pytest.mark.parametrize(("action", "env", "role"), CASES)
def test_every_action_env_and_role(action, env, role):
    decision = Policy(Config.model_validate(CONFIG)).decide(action, env, role, "C_OPS")
    assert decision.outcome == expected(action, env, role)
    assert decision.reason and decision.rule


def test_the_matrix_covers_every_configurable_action():
    assert set(Policy(Config.model_validate(CONFIG)).actions()) == set(MATRIX) - {
        CORE_INFRASTRUCTURE,
        "cluster.delete",
    }


@pytest.mark.parametrize(
    ("action", "env", "role", "reason"),
    [
        (
            "preview.create",
            "prd",
            "operator",
            "prd: preview namespace create needs a team lead's approval",
        ),
        ("hub.scale", "stg", "lead", "stg core infrastructure is never modified from the bot"),
        ("hub.queue", "prd", "operator", "prd core infrastructure is never modified from the bot"),
        (
            CORE_INFRASTRUCTURE,
            "int",
            "lead",
            "int core infrastructure is never modified from the bot",
        ),
        ("preview.delete", "prd", "viewer", "viewers cannot request changes"),
        ("preview.delete", "prd", "none", "only operators and team leads can request changes"),
        ("cluster.delete", "int", "lead", "`cluster.delete` is not in the access matrix"),
    ],
)
def test_refusals_and_approvals_name_their_rule(action, env, role, reason):
    decision = Policy(Config.model_validate(CONFIG)).decide(action, env, role, "C_OPS")
    assert reason in decision_reason(decision)


def test_rules_name_the_cell_or_the_role():
    policy = Policy(Config.model_validate(CONFIG))
    assert policy.decide("hub.scale", "stg", "operator", "C").rule == "policy hub.scale stg = deny"
    assert policy.decide("hub.scale", "int", "viewer", "C").rule == "roles: viewer"
    assert policy.decide(CORE_INFRASTRUCTURE, "prd", "lead", "C").rule == "§8 core infrastructure"


def test_overrides_and_channel_restrictions():
    config = Config.model_validate(
        {
            **CONFIG,
            "policy": {"preview.delete": {"prd": "approval"}, "preview.create": {"stg": "deny"}},
            "channels_only": {"preview.delete": ["C0OPS"]},
        }
    )
    policy = Policy(config)
    assert policy.decide("preview.delete", "prd", "operator", "C0OPS").outcome == "approval"
    assert policy.decide("preview.create", "stg", "operator", "C0OPS").outcome == "deny"
    assert policy.decide("preview.create", "int", "operator", "C0OPS").outcome == "allow"
    elsewhere = policy.decide("preview.delete", "int", "operator", "C0RANDOM")
    assert elsewhere.outcome == "deny" and "<#C0OPS>" in decision_reason(elsewhere)
    assert elsewhere.rule == "channels_only preview.delete"
    # whoami judges restrictions for the channel it is asked in, or any allowed one
    assert policy.for_role("operator")["preview.delete"]["int"].outcome == "allow"
    assert policy.for_role("operator", "C0RANDOM")["preview.delete"]["int"].outcome == "deny"

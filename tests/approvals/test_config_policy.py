"""The policy in the configuration file: defaults, overrides, and the mistakes it refuses."""

import pytest

from approvals.access_matrix import ACTIONS, default_matrix, effective_matrix
from approvals.policy import Policy
from bot.settings import ConfigError, load_config
from ops.config import MUTATION_ACTIONS, Config

ENVIRONMENTS = "environments: {int: {account_id: '111111111111'}}\n"


def load(tmp_path, text):
    path = tmp_path / "config.yml"
    path.write_text(ENVIRONMENTS + text)
    return load_config(path)


def test_the_default_is_the_runbook_matrix(tmp_path):
    config = load(tmp_path, "")
    assert config.policy == {}  # the config holds what the YAML says; the default is the policy's
    assert effective_matrix(config.policy) == default_matrix()
    assert set(default_matrix()) == set(MUTATION_ACTIONS) == set(ACTIONS)
    assert config.channels_only == {}


def test_an_override_replaces_only_the_cells_it_names(tmp_path):
    config = load(tmp_path, "policy: {preview.delete: {prd: approval}}\n")
    matrix = effective_matrix(config.policy)
    assert matrix["preview.delete"] == {"int": "allow", "stg": "allow", "prd": "approval"}
    assert matrix["preview.create"] == default_matrix()["preview.create"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "policy: {preview.delet: {prd: deny}}",
            "unknown action 'preview.delet' (did you mean 'preview.delete'?",
        ),
        ("channels_only: {hub.scal: [C1]}", "unknown action 'hub.scal'"),
        (
            "policy: {hub.scale: {prd: approval}}",
            "prd core infrastructure is never modified from the bot",
        ),
        ("policy: {preview.create: {prd: maybe}}", "policy.preview.create.prd"),
        ("policy: {preview.create: {dev: allow}}", "policy.preview.create.dev"),
    ],
)
def test_mistakes_are_named(tmp_path, text, problem):
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text + "\n")
    assert any(problem in line for line in raised.value.problems), raised.value.problems


def test_check_config_names_a_core_cell_and_other_mistakes_in_one_run(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, "policy: {hub.scale: {prd: approval}}\ntimezone: Mars/Olympus\n")
    problems = raised.value.problems
    assert any("prd core infrastructure is never modified from the bot" in p for p in problems)
    assert any(p.startswith("policy.hub.scale.prd:") for p in problems), problems
    assert any(p.startswith("timezone:") for p in problems), problems


def test_core_infrastructure_stays_denied_whatever_config_reaches_the_policy():
    """The rule is the policy's, not a cell: a config built without check-config (a copy with
    its policy replaced) still cannot open the hub outside int."""
    config = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
    opened = config.model_copy(update={"policy": {"hub.scale": {"prd": "allow", "int": "deny"}}})
    policy = Policy(opened)
    assert policy.decide("hub.scale", "prd", "lead", "C_OPS").outcome == "deny"
    assert policy.decide("hub.scale", "int", "lead", "C_OPS").outcome == "deny"  # a real cell
    assert effective_matrix(opened.policy)["hub.scale"] == {
        "int": "deny",
        "stg": "deny",
        "prd": "deny",
    }

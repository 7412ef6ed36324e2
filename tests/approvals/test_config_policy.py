"""The policy in the configuration file: defaults, overrides, and the mistakes it refuses."""

import pytest

from bot.settings import ConfigError, load_config
from ops.config import MUTATION_ACTIONS, default_policy

ENVIRONMENTS = "environments: {int: {account_id: '111111111111'}}\n"


def load(tmp_path, text):
    path = tmp_path / "config.yml"
    path.write_text(ENVIRONMENTS + text)
    return load_config(path)


def test_the_default_is_the_runbook_matrix(tmp_path):
    config = load(tmp_path, "")
    assert config.policy == default_policy()
    assert set(config.policy) == set(MUTATION_ACTIONS)
    assert config.channels_only == {}


def test_an_override_replaces_only_the_cells_it_names(tmp_path):
    config = load(tmp_path, "policy: {preview.delete: {prd: approval}}\n")
    assert config.policy["preview.delete"] == {"int": "allow", "stg": "allow", "prd": "approval"}
    assert config.policy["preview.create"] == default_policy()["preview.create"]


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

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
INT = "{account_id: '111111111111'}"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text)
    return path


def test_example_config_is_valid():
    config = load_config(REPO / "config.example.yml")
    assert set(config.environments) == {"int", "stg", "prd"}
    assert config.timezone == "Asia/Seoul"


def test_check_config_exit_codes(tmp_path, capsys):
    assert main(["check-config", str(REPO / "config.example.yml")]) == 0
    bad = write(tmp_path, "environments: {int: {account_id: '12'}}\ntimezon: UTC\n")
    assert main(["check-config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "environments.int.account_id: String should match pattern" in err
    assert "timezon: unknown field (did you mean 'timezone'?)" in err


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "environments: {int: {account_id: '111111111111', role_arn: 'nope'}}",
            "environments.int.role_arn: expected arn:aws:iam::<12 digits>:role/<name>",
        ),
        (
            "environments: {stg: {account_id: '111111111111'}}",
            "environments: the int environment is required",
        ),
        ("environments: {dev: {account_id: '111111111111'}}", "environments.dev"),
        (
            "environments: {int: {account_id: '111111111111'}}\ntimezone: Mars/Olympus",
            "timezone: unknown time zone",
        ),
        (
            "environments: {int: {account_id: '111111111111'}}\nroles: {leads: {users: [bob]}}",
            "roles.leads.users: not Slack user ids: bob",
        ),
        (
            "environments: {int: {account_id: '111111111111', regoin: x}}",
            "environments.int.regoin: unknown field (did you mean 'region'?)",
        ),
        (
            "environments: {int: {account_id: '111111111111'}}\nthresholds: {waiting_jobs: -1}",
            "thresholds.waiting_jobs: Input should be greater than or equal to 0",
        ),
        (
            "environments: {int: {account_id: '111111111111', region: seoul}}",
            "environments.int.region: not an AWS region (expected e.g. ap-northeast-2)",
        ),
        (
            f"environments: {{int: {INT}, stg: {{account_id: '222222222222',"
            " role_arn: 'arn:aws:iam::999999999999:role/rtb-hub-deployer'}}",
            "environments.stg.role_arn: the role is in account 999999999999 but account_id is "
            "222222222222",
        ),
        (
            f"environments: {{int: {INT}, prd: {{account_id: '333333333333'}}}}",
            "environments.prd.role_arn: prd is reached only through STS AssumeRole",
        ),
        (
            f"environments: {{int: {INT}}}\nroles: {{leads: {{usergroup: rtb-leads}}}}",
            "roles.leads.usergroup: expected a user group id like S0123ABCD (not the @handle)"
            " (got 'rtb-leads')",
        ),
        (
            f"environments: {{int: {INT}}}\nroles: {{operators: {{usergroup: '@rtb-ops'}}}}",
            "roles.operators.usergroup: expected a user group id like S0123ABCD",
        ),
        (
            f"environments: {{int: {INT}}}\nslack_api_url: slack.com/api/",
            "slack_api_url: expected an http(s) URL, e.g. https://slack.com/api/",
        ),
        (
            f"environments: {{int: {INT}}}\nslack_api_url: 'ftp://slack.com/api/'",
            "slack_api_url: expected an http(s) URL",
        ),
        (
            f"environments: {{int: {INT}}}\nchannels: {{approvals: ''}}",
            "channels.approvals: empty (expected a channel name like #rtb-alerts",
        ),
        (
            f"environments: {{int: {INT}}}\nschedules: {{daily_digest: every morning}}",
            "schedules.daily_digest: Wrong number of fields; got 2, expected 5 (expected a 5-field"
            " cron expression, e.g. '0 9 * * mon') (got 'every morning')",
        ),
        (
            f"environments: {{int: {INT}}}\nschedules: {{weekly_digest: '99 99 * * funday'}}",
            "(expected a 5-field cron expression, e.g. '0 9 * * mon') (got '99 99 * * funday')",
        ),
        ("environments: [", "not valid YAML (line"),
        ("- a\n- b\n", "must hold a mapping"),
    ],
)
def test_each_mistake_is_named(tmp_path, text, problem):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.yml")
    assert caught.value.problems == ["file not found (copy config.example.yml)"]

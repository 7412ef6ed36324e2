"""check-config names every mistake of a file in one run, each at its field path."""

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import ConfigError, load_config
from tests.fixtures.bot import raw_config

INT = "  int: {account_id: '111111111111'}\n"
CRON_EXPECTED = "(expected a 5-field cron expression, e.g. '0 9 * * mon')"


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return raised.value.problems


def named(found: list[str], path: str, *fragments: str) -> bool:
    return any(p.startswith(f"{path}: ") and all(f in p for f in fragments) for p in found)


def test_both_schedules_are_checked_as_cron_in_the_configured_zone(tmp_path):
    found = problems(
        tmp_path,
        "environments:\n" + INT + "timezone: Europe/Berlin\n"
        "schedules: {daily_digest: every morning, weekly_digest: '99 99 * * funday'}\n",
    )
    assert named(found, "schedules.daily_digest", CRON_EXPECTED, "(got 'every morning')"), found
    assert named(found, "schedules.weekly_digest", CRON_EXPECTED, "(got '99 99 * * funday')"), found
    assert len(found) == 2, found


def test_a_bad_zone_and_a_bad_schedule_are_both_named(tmp_path):
    found = problems(
        tmp_path,
        "environments:\n" + INT + "timezone: Mars/Olympus\n"
        "schedules: {daily_digest: '0 25 * * *', dialy_digest: '0 9 * * *'}\n",
    )
    assert named(found, "timezone", "unknown time zone"), found
    assert named(found, "schedules.daily_digest", CRON_EXPECTED, "(got '0 25 * * *')"), found
    assert named(found, "schedules.dialy_digest", "unknown field (did you mean 'daily_digest'?)")


def test_valid_cron_expressions_pass(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(
        "environments:\n" + INT + "schedules: {daily_digest: '30 8 * * mon-fri', "
        "weekly_digest: '0 */6 1,15 jan-jun sun'}\n"
    )
    assert load_config(path).schedules.weekly_digest == "0 */6 1,15 jan-jun sun"


def test_stg_and_prd_need_a_role_in_their_own_account(tmp_path):
    found = problems(
        tmp_path,
        "environments:\n" + INT + "  stg: {account_id: '222222222222'}\n"
        "  prd: {account_id: '333333333333', role_arn: 'arn:aws:iam::222222222222:role/x'}\n",
    )
    assert named(found, "environments.stg.role_arn", "reached only through STS AssumeRole")
    assert named(
        found,
        "environments.prd.role_arn",
        "account 222222222222 but account_id is 333333333333",
    ), found
    assert len(found) == 2, found


def test_environment_checks_are_named_alongside_field_mistakes(tmp_path):
    found = problems(
        tmp_path,
        "environments:\n  stg: {account_id: '222222222222', region: Seoul, regoin: x}\n",
    )
    assert named(found, "environments", "the int environment is required"), found
    assert named(found, "environments.stg.region", "not an AWS region"), found
    assert named(found, "environments.stg.regoin", "unknown field (did you mean 'region'?)")
    assert named(found, "environments.stg.role_arn", "reached only through STS AssumeRole")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            "{preview.delet: {prd: deny}, hub.scale: {prd: approval}}",
            [
                ("policy.preview.delet", "unknown action 'preview.delet'"),
                ("policy.hub.scale.prd", "prd core infrastructure is never modified"),
            ],
        ),
        (
            "{hub.scale: {prd: approval}, hub.queue: {stg: allow}}",
            [
                ("policy.hub.scale.prd", "prd core infrastructure is never modified"),
                ("policy.hub.queue.stg", "stg core infrastructure is never modified"),
            ],
        ),
        (
            "{preview.create: {prd: maybe}, hub.rollback: {stg: approval}}",
            [
                ("policy.preview.create.prd", "Input should be 'allow', 'approval' or 'deny'"),
                ("policy.hub.rollback.stg", "stg core infrastructure is never modified"),
            ],
        ),
    ],
)
def test_every_policy_mistake_is_named(tmp_path, policy, expected):
    found = problems(tmp_path, "environments:\n" + INT + f"policy: {policy}\n")
    for path, fragment in expected:
        assert named(found, path, fragment), found
    assert len(found) == len(expected), found


def test_every_channels_only_mistake_is_named(tmp_path):
    found = problems(
        tmp_path, "environments:\n" + INT + "channels_only: {hub.scal: [C1], preview.creat: [C2]}\n"
    )
    assert named(found, "channels_only.hub.scal", "did you mean 'hub.scale'?"), found
    assert named(found, "channels_only.preview.creat", "did you mean 'preview.create'?"), found


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("policy: {1: {prd: deny}}", "policy.1.[key]: Input should be a valid string"),
        ("channels_only: {null: [C1]}", "channels_only.None.[key]: Input should be a valid string"),
        ("schedules: {daily_digest: 900}", "schedules.daily_digest: Input should be a valid str"),
    ],
)
def test_odd_shapes_are_named_not_crashed_on(tmp_path, text, problem):
    found = problems(tmp_path, "environments:\n" + INT + text + "\n")
    assert any(problem in p for p in found), found


def test_check_config_names_every_mistake_of_a_file(tmp_path, capsys):
    path = tmp_path / "config.yml"
    path.write_text(
        "slack_api_url: slack.com/api/\n"
        "environments:\n"
        "  int: {account_id: '111111111111', region: seoul}\n"
        "  stg: {account_id: '222222222222'}\n"
        "  prd: {account_id: '333333333333', role_arn: 'arn:aws:iam::999999999999:role/x'}\n"
        "channels: {approvals: '', costs: ' '}\n"
        "roles: {leads: {usergroup: rtb-leads, users: [bob]}}\n"
        "schedules: {daily_digest: every morning}\n"
    )
    assert main(["check-config", str(path)]) == 1
    err = capsys.readouterr().err
    for line in (
        "slack_api_url: expected an http(s) URL",
        "environments.int.region: not an AWS region",
        "environments.stg.role_arn: stg is reached only through STS AssumeRole",
        "environments.prd.role_arn: the role is in account 999999999999 but account_id is "
        "333333333333",
        "channels.approvals: empty",
        "channels.costs: empty",
        "roles.leads.usergroup: expected a user group id like S0123ABCD (not the @handle)",
        "roles.leads.users: not Slack user ids: bob",
        "schedules.daily_digest: Wrong number of fields",
    ):
        assert line in err, err


def test_the_shapes_real_configs_use_pass(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(
        "slack_api_url: http://127.0.0.1:9/api/\n"
        "environments:\n"
        "  int: {account_id: '111111111111', region: us-gov-west-1}\n"
        "  stg: {account_id: '222222222222', role_arn: 'arn:aws:iam::222222222222:role/x'}\n"
        "channels: {approvals: dm, alerts: C0123ABCD}\n"
        "roles: {leads: {usergroup: S0123ABCD, users: [U0123ABC, W0123ABC]}}\n"
    )
    config = load_config(path)
    assert config.roles.leads.usergroup == "S0123ABCD"


def test_the_test_bots_config_obeys_the_rules():
    """tests/fixtures/bot.py's config (the sandbox's has the same shape) stays valid."""
    from ops.config import Config

    raw = raw_config(
        kube_urls=dict.fromkeys(("int", "stg", "prd"), "http://127.0.0.1:9"),
        aws_endpoint="http://127.0.0.1:9",
        slack_api_url="http://127.0.0.1:9/api/",
    )
    assert set(Config.model_validate(raw).environments) == {"int", "stg", "prd"}


def test_every_url_the_bot_calls_is_checked_for_a_scheme(tmp_path):
    found = problems(
        tmp_path,
        "environments:\n  int: {account_id: '111111111111', hub_api_url: rtb-hub.internal,"
        " kube_server: 'ftp://k8s'}\n"
        "aws: {endpoint_url: localhost:5000}\n",
    )
    for path in (
        "environments.int.hub_api_url",
        "environments.int.kube_server",
        "aws.endpoint_url",
    ):
        assert named(found, path, "expected an http(s) URL"), found


def test_a_weekday_number_is_refused_since_it_would_run_on_another_day(tmp_path):
    found = problems(
        tmp_path, "environments:\n" + INT + "schedules: {weekly_digest: '0 9 * * 1'}\n"
    )
    assert named(found, "schedules.weekly_digest", "a weekday given as a number"), found


def test_the_audit_anchor_must_be_in_a_configured_env(tmp_path):
    anchor = "audit: {anchor: {env: prd, log_group: /rtb/anchor}}\n"
    found = problems(tmp_path, "environments:\n" + INT + anchor)
    assert named(found, "audit", "audit.anchor.env prd is not in environments"), found
    found = problems(tmp_path, "environments:\n" + INT + "audit: {anchor: {env: int}}\n")
    assert named(found, "audit.anchor.log_group", "required field is missing"), found

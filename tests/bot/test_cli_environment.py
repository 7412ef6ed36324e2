"""`rtb-bot serve` with missing or malformed environment variables: named, never echoed."""

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import SECRET_VARIABLES

EXAMPLE = str(Path(__file__).resolve().parents[2] / "config.example.yml")


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_each_missing_or_malformed_variable_is_named_and_nothing_starts(environ, capsys):
    environ.setenv("SLACK_BOT_TOKEN", "xapp-the-wrong-token")
    environ.setenv("DATABASE_URL", "postgresql://bot@db:5432/rtb_bot")
    environ.setenv("REDIS_URL", "localhost:6379")  # no scheme: redis-py would raise on it
    environ.setenv("SLACK_APP_TOKEN", "xapp-1-right")

    assert main(["--config", EXAMPLE, "serve"]) == 1

    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN does not start with xoxb-" in err
    assert "HUB_DATABASE_URL is not set" in err
    assert "REDIS_URL does not start with redis://" in err
    assert "SLACK_APP_TOKEN" not in err and "DATABASE_URL does" not in err
    assert "localhost:6379" not in err and "xapp-the-wrong-token" not in err  # never echoed
    assert "Traceback" not in err


def test_http_mode_needs_the_signing_secret_not_the_app_token(environ, capsys):
    environ.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    environ.setenv("DATABASE_URL", "postgresql://bot@db/x")
    environ.setenv("HUB_DATABASE_URL", "host=hub-db dbname=hub user=reader")  # libpq's other form
    environ.setenv("REDIS_URL", "redis://r:6379/0")

    assert main(["--config", EXAMPLE, "serve", "--http"]) == 1

    err = capsys.readouterr().err
    assert "SLACK_SIGNING_SECRET is not set" in err and "SLACK_APP_TOKEN" not in err
    assert "DATABASE_URL" not in err  # both forms of a connection string are fine


def test_a_port_that_is_not_a_number_is_a_usage_error(environ, capsys):
    environ.setenv("PORT", "eighty")
    with pytest.raises(SystemExit) as exited:
        main(["--config", EXAMPLE, "serve", "--http"])
    assert exited.value.code == 2
    assert "invalid int value: 'eighty'" in capsys.readouterr().err


def test_malformed_audit_keys_are_named_and_never_echoed(environ, capsys):
    environ.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    environ.setenv("SLACK_APP_TOKEN", "xapp-1-right")
    environ.setenv("DATABASE_URL", "postgresql://bot@db/x")
    environ.setenv("HUB_DATABASE_URL", "postgresql://reader@hub/hub")
    environ.setenv("REDIS_URL", "redis://r:6379/0")
    environ.setenv("AUDIT_HMAC_KEYS", "k1:too-short-a-secret")
    environ.setenv("DATABASE_MIGRATION_URL", "mysql://owner@db/x")

    assert main(["--config", EXAMPLE, "serve"]) == 1

    err = capsys.readouterr().err
    assert "AUDIT_HMAC_KEYS: key k1: its secret is shorter than 32" in err
    assert "DATABASE_MIGRATION_URL does not start with postgresql://" in err
    assert "too-short-a-secret" not in err and "mysql://owner" not in err


def test_a_pagerduty_routing_key_of_the_wrong_length_is_named_never_echoed(environ, capsys):
    environ.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    environ.setenv("SLACK_APP_TOKEN", "xapp-1-right")
    environ.setenv("DATABASE_URL", "postgresql://bot@db/x")
    environ.setenv("HUB_DATABASE_URL", "postgresql://reader@hub/hub")
    environ.setenv("REDIS_URL", "redis://r:6379/0")
    environ.setenv("AUDIT_HMAC_KEYS", "k1:" + "s" * 40)
    environ.setenv("PAGERDUTY_ROUTING_KEY", "R0UT1NGKEY-pasted-with-a-space ")

    assert main(["--config", EXAMPLE, "serve"]) == 1

    err = capsys.readouterr().err
    assert "PAGERDUTY_ROUTING_KEY is 31 characters: expected the 32-character" in err
    assert "R0UT1NGKEY" not in err

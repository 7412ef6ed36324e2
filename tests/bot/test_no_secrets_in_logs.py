"""Scan everything a run of the bot logs (DEBUG, library loggers included) for secrets."""

import io
from dataclasses import replace

from structlog import get_logger

from bot.logs import configure_logging
from tests.fixtures.bot import AUDIT_KEY_SECRET, AUDIT_KEYS, BOT_TOKEN, SIGNING_SECRET


async def test_a_run_of_commands_logs_no_secret(slack, runtime, kube):
    stream = io.StringIO()
    configure_logging(secrets=runtime.settings.secrets.values(), level="DEBUG", stream=stream)
    kube["prd"].inject_fault(method="GET", path_regex="/version", status=403)
    for text in ("ping", "help", "pods prd", "nonsense `x`", "scale int workflow-engine 2"):
        await slack.ask(text)
    credentials = runtime.backends.aws.session("stg").get_credentials()
    log = stream.getvalue()
    assert log.count("\n") > 20, "the run should have logged something to scan"
    for secret in (BOT_TOKEN, SIGNING_SECRET, credentials.secret_key, credentials.token):
        assert secret not in log


def test_the_audit_keys_are_redacted_whole_and_one_by_one(bot_settings):
    stream = io.StringIO()
    configure_logging(secrets=bot_settings.secrets.values(), stream=stream)
    get_logger("t").warning("leak", keys=AUDIT_KEYS, secret=AUDIT_KEY_SECRET)
    log = stream.getvalue()
    assert "leak" in log and AUDIT_KEY_SECRET not in log


def test_the_pagerduty_routing_key_is_redacted(bot_settings):
    routing_key = "0123456789abcdef0123456789abcdef"
    secrets = replace(bot_settings.secrets, pagerduty_routing_key=routing_key)
    stream = io.StringIO()
    configure_logging(secrets=secrets.values(), stream=stream)
    get_logger("t").warning("leak", body={"routing_key": routing_key})
    log = stream.getvalue()
    assert "leak" in log and routing_key not in log

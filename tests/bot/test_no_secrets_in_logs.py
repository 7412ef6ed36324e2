"""Scan everything a run of the bot logs (DEBUG, library loggers included) for secrets."""

import io

from bot.logs import configure_logging
from tests.fixtures.bot import BOT_TOKEN, SIGNING_SECRET


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

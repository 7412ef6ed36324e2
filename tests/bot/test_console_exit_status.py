"""The console's exit status counts every unexpected error, not only the ones answered with a
correlation id: a request Slack would have seen refused, an answer the bot could not deliver.
The console is driven in-process (as `rtb-bot shell` drives it) against the test bot's real
servers; the failures are real ones (a signature the bot refuses, the fake Slack API refusing
an upload as Slack can). A normal script exits 0: test_console.py runs the CLI."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from bot.app import create_runtime
from bot.console import CONSOLE_SIGNING_SECRET, Console
from bot.console_io import LoggedErrors
from bot.console_loop import run_lines
from bot.logs import configure_logging
from tests.fixtures.bot import USERS
from tests.ops.test_cluster import HUB, REPO, deployment


@pytest.fixture
def logged():
    """The bot's logs as `rtb-bot shell` routes them (through the stdlib), counted."""
    configure_logging(stream=io.StringIO())
    with LoggedErrors() as counted:
        yield counted


async def run_script(runtime, slack, script: bytes, logged=None) -> tuple[Console, str]:
    out = io.StringIO()
    console = Console(runtime, slack, USERS, "operator1", out, logged=logged)
    await run_lines(console, io.BytesIO(script), interactive=False)
    return console, out.getvalue()


async def test_a_request_slack_would_have_refused_fails_the_script(bot_settings, fake_slack):
    runtime = create_runtime(bot_settings, retries=0)  # its signing secret is not the console's
    await runtime.start()
    try:
        console, out = await run_script(runtime, fake_slack, b"/rtb help\n/whoami\n")
    finally:
        await runtime.stop()
    assert "(Slack would have seen HTTP 401)" in out
    assert "acting as operator1 (UOPERATOR1)" in out  # the script went on
    assert runtime.deps.unexpected_errors == 0  # no answer carried a correlation id
    assert console.exit_status == 1


async def test_an_answer_the_bot_could_not_deliver_fails_the_script(
    bot_settings, fake_slack, kube, logged
):
    hub = kube["int"]
    hub.apply(deployment("workflow-engine", f"{REPO}:v1.42.0"))
    (engine,) = (p for p in hub.list("pods", HUB) if p["metadata"]["name"].startswith("workflow"))
    hub.set_pod_logs(HUB, engine["metadata"]["name"], "".join(f"line {i}\n" for i in range(300)))
    secrets = replace(bot_settings.secrets, slack_signing_secret=CONSOLE_SIGNING_SECRET)
    runtime = create_runtime(replace(bot_settings, secrets=secrets), retries=0)
    await runtime.start()
    try:
        fine, fine_out = await run_script(runtime, fake_slack, b"/rtb whoami\n", logged)
        assert fine.exit_status == 0, fine_out  # a normal script
        # 300 lines go as a file; Slack refuses the upload (its answer, not a lost connection)
        fake_slack.fail_next("files.completeUploadExternal", "internal_error")
        console, out = await run_script(
            runtime, fake_slack, b"/rtb logs int workflow-engine --tail 300\n/whoami\n", logged
        )
    finally:
        await runtime.stop()
    assert "300 lines, attached as" in out  # the message went out, its file did not
    assert "(unexpected error, in the bot's log: could not deliver the answer)" in out
    assert "acting as operator1 (UOPERATOR1)" in out
    assert runtime.deps.unexpected_errors == 0  # what the exit status used to count
    assert console.exit_status == 1

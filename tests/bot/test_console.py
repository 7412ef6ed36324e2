"""The console is a scriptable text backend: piped lines in, readable answers out."""

import io
import subprocess
import sys

from bot.console_io import valid_text
from bot.console_text import mrkdwn_to_text, render_message

DRILL = """\
# comments and blank lines are skipped

/rtb ping
/rtb pnig
/as lead1
/whoami
/click 3
"""


def test_scripted_drill_against_the_sandbox():
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--sandbox", "--lang", "en"],
        input=DRILL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert "operator1> /rtb ping" in out
    assert "all configured backends reachable" in out and "AWS prd — account 333333333333" in out
    assert "Hub API prd — HTTP 200" in out
    assert "Did you mean `ping`?" in out
    assert "now acting as lead1 (ULEAD1)" in out and "acting as lead1 (ULEAD1)" in out
    assert "no button [3]" in out
    assert "Traceback" not in out + done.stderr


def test_a_line_that_is_not_utf8_is_answered_and_the_script_goes_on():
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--sandbox", "--lang", "en"],
        input=b"/rtb help \xff\xfe\n/whoami\n",
        capture_output=True,
        timeout=180,
    )
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")  # valid UTF-8 out
    assert done.returncode == 0, err[-2000:]
    assert "operator1> /rtb help \ufffd\ufffd\n" in out
    assert "`\ufffd\ufffd`" in out  # the bot's answer to that text (no such command)
    assert "acting as operator1 (UOPERATOR1)" in out  # the next line ran
    assert "Traceback" not in out + err


def test_text_that_is_not_utf8_gets_replacement_characters():
    assert valid_text(b"help \xff\xfe".decode("utf-8", "surrogateescape")) == "help \ufffd\ufffd"
    assert valid_text("lone \ud800 surrogate") == "lone ? surrogate"
    assert valid_text("plain — text") == "plain — text"


def test_blocks_become_text_with_numbered_buttons():
    message = {
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Card"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*scale* <@ULEAD1> &lt;x&gt;"}},
            {
                "type": "actions",
                "block_id": "b1",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Approve"},
                        "action_id": "approve",
                        "value": "AR-1",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Reject"},
                        "action_id": "reject",
                        "value": "AR-1",
                    },
                ],
            },
        ]
    }
    text, buttons = render_message(message, channel="C1", ts="1.0", first_button=4)
    assert text == "== Card ==\nscale @ULEAD1 <x>\n[4] Approve  [5] Reject"
    assert [(b.action_id, b.value, b.channel) for b in buttons] == [
        ("approve", "AR-1", "C1"),
        ("reject", "AR-1", "C1"),
    ]


async def test_as_an_unknown_user_is_refused_with_the_users_there_are(bot_settings, fake_slack):
    from bot.app import create_runtime
    from bot.console import Console

    runtime = create_runtime(bot_settings, retries=0)
    out = io.StringIO()
    console = Console(runtime, fake_slack, {"viewer1": "UVIEWER1", "lead1": "ULEAD1"}, "lead1", out)
    await console.execute("/as leed1")
    await console.execute("/as UOTHER1")
    lines = out.getvalue().splitlines()
    assert (
        lines[0]
        == "no user `leed1`. Did you mean `lead1`? Users: viewer1, lead1; or a Slack user id (U…)."
    )
    assert lines[1] == "now acting as UOTHER1 (UOTHER1)"


def test_stars_inside_code_are_kept_as_slack_keeps_them():
    text = "*daily-digest* runs `0 9 * * *` and *weekly* `0 9 * * mon`"
    assert mrkdwn_to_text(text) == "daily-digest runs `0 9 * * *` and weekly `0 9 * * mon`"


FIRE_DRILL = """\
/fire daily-digest
/fire daily-digest
/as viewer1
/click 1
"""


def test_fire_posts_a_scheduled_job_once_and_says_when_the_period_was_claimed():
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--sandbox", "--lang", "en"],
        input=FIRE_DRILL,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(fired daily-digest for " in out and "posted: daily-digest:" in out
    assert out.count("[posted to #rtb-alerts]") == 1
    assert "was already claimed by" in out and "nothing posted)" in out
    # every item of the seeded sandbox shows something
    assert "active (hub API lists" in out and "Expired but still present" in out
    assert "new since yesterday" in out and "workflow_executions failed in 24 h" in out
    assert "daily threshold" in out and "7-day average before it" in out
    assert "[updated in #rtb-alerts]" in out and "checked by @viewer1" in out
    assert "Traceback" not in out + done.stderr

"""`/sandbox alarm` in the console against the seeded sandbox: the notification travels SNS →
SQS → the bot, and the card (one, then edited) shows in the transcript; bad words change
nothing."""

from tests.bot.drill import console_drill

DRILL = """\
/sandbox alarm rtb-hub-bullmq-queue-depth ALARM
/sandbox alarm rtb-hub-bullmq-queue-depth ALARM
/sandbox alarm rtb-hub-bullmq-queue-depth INSUFFICIENT_DATA
/sandbox alarm rtb-hub-bullmq-queue-depth OK
/sandbox alarm rtb-hub-bullmq-queue-dept ALARM
/sandbox alarm rtb-hub-bullmq-queue-depth PANIC
/sandbox alarm rtb-hub-stg-preview-pod-restarts ALARM --env stg
/sandbox alarm rtb-hub-stg-preview-pod-restarts ALARM --env qa
"""


def test_an_alarm_published_in_the_sandbox_becomes_one_card_kept_up_to_date():
    out = console_drill(DRILL)
    assert "published to rtb-hub-alerts → SQS → the bot: opened" in out
    assert "the bot: repeated" in out and "the bot: insufficient_data" in out
    assert "the bot: resolved" in out
    assert out.count("[posted to #rtb-incidents]") == 2  # queue depth, then the stg alarm
    assert out.count("[updated in #rtb-incidents]") == 3
    assert "== \U0001f6a8 ALARM · rtb-hub-bullmq-queue-depth ==" in out  # the emoji, drawn
    assert (
        "WaitingJobs [Queue=jira-queue] (Maximum over 1 min) was 76, above the threshold 50" in out
    )
    assert "Insufficient data (still open)" in out
    assert "Resolved · rtb-hub-bullmq-queue-depth" in out and "the alarm is OK" in out
    assert "stg · 222222222222" in out and "INC-0002" in out
    assert "no alarm `rtb-hub-bullmq-queue-dept` in that account." in out
    assert "Did you mean `rtb-hub-bullmq-queue-depth`?" in out
    assert "the state is one of ALARM, OK, INSUFFICIENT_DATA, not `PANIC`" in out
    assert "--env takes one of int, stg, prd" in out

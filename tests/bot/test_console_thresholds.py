"""`/sandbox jobs <queue> <n>` in the console against the seeded sandbox: real waiting jobs,
the evaluator's passes, the waiting-jobs alert in the transcript once; bad words change
nothing."""

from tests.bot.drill import console_drill

DRILL = """\
/sandbox jobs pr-review-queue 80
/sandbox jobs pr-review-queue 5
/sandbox jobs nope 3
/sandbox jobs pr-review-queue lots
/sandbox jobs
"""


def test_jobs_verb_shows_the_waiting_jobs_alert_once():
    out = console_drill(DRILL)
    assert (
        "added 80 waiting jobs to pr-review-queue (83 waiting there now); ran 2 evaluation" in out
    )
    # waiting jobs belong to the runbook's CloudWatch alarm by default: the metric, no bot alert
    assert "BullMQ waiting jobs (busiest queue) is over its threshold" not in out
    assert "the bot published RTBHub/BullMQ WaitingJobs (pr-review-queue 83, total " in out
    assert "CloudWatch would now turn `rtb-hub-bullmq-queue-depth-pr-review-queue` to ALARM" in out
    assert "added 5 waiting jobs to pr-review-queue (88 waiting there now)" in out
    assert "already alerting: " in out and "error_rate" in out.split("(88 waiting")[1]
    assert (
        "no queue `nope` here; the bot watches: jira-queue, pr-review-queue, preview-queue" in out
    )
    assert "<n> must be a whole number from 1 to 5000, not `lots`" in out
    assert "usage: /sandbox jobs <queue> <n>" in out

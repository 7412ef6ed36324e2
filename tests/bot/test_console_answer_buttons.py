"""The answers' next-step buttons in the console against the seeded sandbox: `/click 1` on
`/rtb queue jira-queue` pauses it, on an OOMKilled pod reads its previous logs, on the alarm
in ALARM runs its playbook; a viewer's click is refused as typing it would be."""

from tests.bot.drill import console_drill

DRILL = """\
/rtb queue jira-queue
/click 1
/rtb queue jira-queue
/as viewer1
/click 1
/rtb pods stg preview-proj-118
/click 1
/rtb alarms int
/click 1
"""


def test_the_buttons_of_queue_pods_and_alarms_answers_in_the_sandbox():
    out = console_drill(DRILL)
    assert "[1] Pause  [2] Retry all failed (6 now)" in out
    assert "Paused `jira-queue`: workers finish the jobs they hold" in out
    assert "[1] Resume  [2] Retry all failed (6 now)" in out  # the answer after the pause
    assert "Refused: viewers cannot request changes" in out  # viewer1's Resume
    assert "[1] Logs (previous): worker" in out
    assert "container `worker` (previous run, before its last restart)" in out
    assert "JavaScript heap out of memory" in out
    assert "[1] Investigate" in out
    assert "Investigating `rtb-hub-bullmq-queue-depth` (int): running `/rtb diagnose" in out
    assert "== Diagnose: BullMQ backlog ==" in out

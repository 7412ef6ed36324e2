"""The incident card's buttons in the console against the seeded sandbox: an alarm published to
SNS becomes a card; `/click n` acknowledges it, investigates it (the playbook's answer in the
thread), pauses the queue through the gate, and a lead resolves it with a note; the commands
show it and draft its post-mortem."""

from tests.bot.drill import console_drill

DRILL = """\
/sandbox alarm rtb-hub-bullmq-queue-depth ALARM
/as viewer1
/click 1
/click 2
/as operator1
/click 1
/click 2
/as lead1
/click 4
/submit rolled back; drained
/rtb incidents
/rtb incident inc-1
/rtb incident INC-0002
/rtb incident 1 export
"""


def test_the_incident_drill_in_the_console():
    out = console_drill(DRILL)
    assert "[1] Acknowledge  [2] Investigate  [3] Pause jira-queue" in out
    assert "Only operators and leads can acknowledge" in out  # viewer1's click 1
    assert "Investigate by @viewer1: `/rtb diagnose backlog`" in out  # viewer1's click 2
    assert "== Diagnose: BullMQ backlog ==" in out
    assert "Acknowledged\n@operator1 at" in out  # the card, edited
    assert "[1] Investigate  [2] Pause jira-queue" in out
    assert "\U0001f440 " in out and "Acknowledged by @operator1" in out  # in the thread
    assert "Paused `jira-queue`" in out
    assert "@operator1 `/rtb queue pause jira-queue`: ran it, succeeded" in out
    assert "Resolved by @lead1: rolled back; drained" in out
    assert "Resolved · rtb-hub-bullmq-queue-depth" in out and "by @lead1 · lasted" in out
    assert "Incidents: 0 open" in out
    shown = out[out.index("== INC-0001 · rtb-hub-bullmq-queue-depth ==") :]
    order = ["Alarm fired (value 76)", "Investigate by @viewer1", "Acknowledged by @operator1"]
    order += ["`/rtb queue pause jira-queue`: ran it", "Resolved by @lead1"]
    assert [shown.index(line) for line in order] == sorted(shown.index(line) for line in order)
    assert "No incident `INC-0002`. Did you mean `INC-0001`?" in out
    assert "Post-mortem draft of INC-0001" in out and "[file uploaded to #console]" in out

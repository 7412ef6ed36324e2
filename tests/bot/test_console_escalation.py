"""The console's escalation drill against the sandbox: a prd request, `/fire
approval-escalation` DMs both leads, pages the fake PagerDuty and marks the card; a second
`/fire` of the period does nothing; a bad `/sandbox pagerduty` word gets the usage."""

from tests.bot.drill import console_drill

DRILL = """\
/rtb scale prd app 0 --namespace preview-proj-101
/submit incident INC-42
/fire approval-escalation
/fire approval-escalation
/sandbox pagerduty events
/sandbox pagerduty fail 418
"""


def test_fire_escalation_dms_the_leads_pages_once_and_marks_the_card():
    out = console_drill(DRILL)
    assert "(fired approval-escalation for " in out
    assert out.count("[posted to @lead1 (DM)]") == 1 and out.count("[posted to @lead2 (DM)]") == 1
    assert "has waited 0 min for a team lead" in out
    assert "Escalated at " in out and "DM to @lead1 @lead2; paged @lead1 (PagerDuty)." in out
    assert "was already claimed by" in out
    assert "PagerDuty accepted 1 event(s):" in out and "trigger rtb-approval-AR-" in out
    assert "usage: /sandbox pagerduty fail <429|500|502|503|504> [times]" in out

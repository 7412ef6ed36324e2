"""The console drills of issue 15's two runbook steps against the seeded sandbox: the
deployer's changes in CloudTrail (§5.1 step 5), and `/rtb preview cleanup` through the hub's
cleanupExpired() and, when the hub has no such endpoint, directly (§5.1 step 4); bad words get
the usage."""

from tests.bot.drill import console_drill

DRILL = """\
/rtb trail all --changes
/rtb preview cleanup int
/sandbox hub-cleanup missing stg PROJ-118
/rtb preview cleanup stg
/sandbox hub-cleanup on prd proj-999
/sandbox hub-cleanup sometimes
"""


def test_the_changes_and_both_ways_of_the_cleanup_show_in_the_console():
    out = console_drill(DRILL)
    assert "Changes through the deployer role in int, stg, prd — 5 write calls, 1 failed" in out
    assert (
        "`eks:UpdateNodegroupConfig` · `rtb-prd/preview-workers` · @operator1, approved by @lead1"
        in out
    )
    assert "no Slack user (session `rtb-hub.preview-PROJ-109`)" in out
    assert "int: the hub's cleanupExpired ran: 1 preview removed (PROJ-130)." in out
    assert "stg: PROJ-118's TTL ended a minute ago." in out
    assert (
        "stg: deleted 1 namespace directly; the hub's records were not updated (the hub has no "
        "cleanup endpoint: HTTP 404)" in out
    )
    assert "no preview PROJ-999 in prd" in out
    assert "usage: /sandbox hub-cleanup on|missing|slow|refused|crashed [<env> <issue-key>]" in out

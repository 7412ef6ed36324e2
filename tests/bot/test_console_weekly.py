"""The console's /fire of the weekly digest against the seeded sandbox: every item shows
something, the chart goes into the digest's thread, a second /fire posts nothing."""

from tests.bot.drill import console_drill

WEEKLY_DRILL = """\
/fire weekly-digest
/fire weekly-digest
/rtb schedules
"""


def test_fire_weekly_posts_once_with_every_item_and_the_chart():
    out = console_drill(WEEKLY_DRILL)
    assert "(fired weekly-digest for " in out and "posted: weekly-digest:" in out
    assert out.count("[posted to #rtb-alerts]") == 1
    assert "was already claimed by" in out and "nothing posted)" in out
    for item in (
        "1. Fargate cost per env",
        "2. KEDA scaling and workflow-engine idle time",
        "3. Cross-account AssumeRole audit",
        "4. Preview TTL expiry failures",
    ):
        assert item in out
    assert "Could not be read" not in out and "Not read" not in out
    assert "replica-hours" in out and "AssumeRole into" in out and "cleanupExpired()" in out
    assert "[file uploaded to #rtb-alerts]" in out  # the chart, in the digest's thread
    assert "engine-sampler" in out

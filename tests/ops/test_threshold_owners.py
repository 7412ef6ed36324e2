"""Who alerts on an indicator: the bot or the CloudWatch alarm the incident intake carries."""

from ops.config import Config
from ops.waiting_metric import bot_owns_alarm, indicator_of_alarm

BASE = {
    "environments": {"int": {"account_id": "111111111111"}},
    "hub": {"queues": ["jira-queue", "pr-review-queue"]},
}


def config(**threshold_alerts):
    return Config.model_validate({**BASE, "threshold_alerts": threshold_alerts})


def test_the_bot_owns_every_indicator_unless_told_otherwise():
    default = config()
    assert {default.threshold_alerts.owner(k) for k in ("waiting_jobs", "error_rate")} == {"bot"}
    for name in ("rtb-hub-bullmq-queue-depth-jira-queue", "rtb-hub-bullmq-queue-depth"):
        assert indicator_of_alarm(default, name) == "waiting_jobs"
        assert bot_owns_alarm(default, name)  # the intake leaves it: the bot alerts
    assert indicator_of_alarm(default, "rtb-hub-prd-5xx") is None
    assert not bot_owns_alarm(default, "rtb-hub-prd-5xx")  # an alarm the bot does not watch


def test_an_indicator_given_to_cloudwatch_is_its_alarms_alone():
    given = config(
        owners={"waiting_jobs": "cloudwatch", "webhook_p99": "cloudwatch"},
        alarms={"webhook_p99": ["rtb-hub-webhook-p99"], "error_rate": ["rtb-hub-engine-errors"]},
    )
    assert not bot_owns_alarm(given, "rtb-hub-bullmq-queue-depth-pr-review-queue")
    assert indicator_of_alarm(given, "rtb-hub-webhook-p99") == "webhook_p99"
    assert not bot_owns_alarm(given, "rtb-hub-webhook-p99")
    assert bot_owns_alarm(given, "rtb-hub-engine-errors")  # listed, but the bot still owns it

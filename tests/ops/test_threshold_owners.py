"""Who alerts on an indicator: the bot or the CloudWatch alarm the incident intake carries."""

from ops.config import Config
from ops.waiting_metric import bot_owns_alarm, indicator_of_alarm

BASE = {
    "environments": {"int": {"account_id": "111111111111"}},
    "hub": {"queues": ["jira-queue", "pr-review-queue"]},
}


def config(**threshold_alerts):
    return Config.model_validate({**BASE, "threshold_alerts": threshold_alerts})


def test_waiting_jobs_belong_to_the_runbooks_alarm_and_the_rest_to_the_bot_by_default():
    default = config()
    assert default.threshold_alerts.owner("waiting_jobs") == "cloudwatch"
    assert {default.threshold_alerts.owner(k) for k in ("error_rate", "webhook_p99")} == {"bot"}
    for name in ("rtb-hub-bullmq-queue-depth-jira-queue", "rtb-hub-bullmq-queue-depth"):
        assert indicator_of_alarm(default, name) == "waiting_jobs"
        assert not bot_owns_alarm(default, name)  # the intake cards it: the alarm alerts
    bot_owns_all = config(owners={})
    assert bot_owns_alarm(bot_owns_all, "rtb-hub-bullmq-queue-depth")  # the intake leaves it
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

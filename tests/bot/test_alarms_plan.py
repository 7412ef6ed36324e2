"""`rtb-bot alarms plan`: the runbook's queue-depth alarm for each configured queue."""

import json

import yaml

from bot.cli import main

CONFIG = """\
environments: {int: {account_id: '111111111111', region: ap-northeast-2}}
hub: {queues: [jira-queue, preview-queue]}
thresholds: {waiting_jobs: 40}
threshold_alerts: {consecutive: 3}
"""


def plan(tmp_path, capsys, *args, config=CONFIG):
    path = tmp_path / "config.yml"
    path.write_text(config, encoding="utf-8")
    status = main(["--config", str(path), "alarms", "plan", *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_one_alarm_per_configured_queue_as_put_metric_alarm_parameters(tmp_path, capsys):
    status, out, _ = plan(tmp_path, capsys)
    assert status == 0
    alarms = json.loads(out)["alarms"]
    assert [a["AlarmName"] for a in alarms] == [
        "rtb-hub-bullmq-queue-depth-jira-queue",
        "rtb-hub-bullmq-queue-depth-preview-queue",
    ]
    jira = alarms[0]
    assert (jira["Namespace"], jira["MetricName"]) == ("RTBHub/BullMQ", "WaitingJobs")
    assert jira["Dimensions"] == [{"Name": "QueueName", "Value": "jira-queue"}]
    assert (jira["Threshold"], jira["ComparisonOperator"]) == (40.0, "GreaterThanThreshold")
    assert (jira["Period"], jira["EvaluationPeriods"]) == (60, 3)
    topic = "arn:aws:sns:ap-northeast-2:111111111111:rtb-hub-alerts"
    assert jira["AlarmActions"] == [topic] and jira["OKActions"] == [topic]


def test_yaml_says_the_same_and_a_configured_topic_is_used(tmp_path, capsys):
    topic = "arn:aws:sns:ap-northeast-2:222222222222:ops-alerts"
    config = CONFIG.replace("{consecutive: 3}", f"{{consecutive: 3, alarm_topic_arn: '{topic}'}}")
    _, as_json, _ = plan(tmp_path, capsys, config=config)
    status, as_yaml, _ = plan(tmp_path, capsys, "--format", "yaml", config=config)
    assert status == 0
    assert yaml.safe_load(as_yaml) == json.loads(as_json)
    assert json.loads(as_json)["alarms"][0]["AlarmActions"] == [topic]


def test_an_invalid_config_is_explained_and_prints_no_plan(tmp_path, capsys):
    status, out, err = plan(
        tmp_path, capsys, config=CONFIG + "threshold_alerts: {consecutive: 0}\n"
    )
    assert status == 1 and out == ""
    assert "invalid configuration" in err

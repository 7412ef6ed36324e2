"""CloudWatch alarms from every account, against moto (through the fake's proxy for faults)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ops import alarms
from ops.backends.container import Backends, BackendUrls, build_backends
from ops.waiting_metric import planned_alarm_names, planned_alarms
from tests.fixtures.aws import SHORT
from tests.fixtures.bot import ACCOUNTS, make_config
from tests.words import user_error


@pytest.fixture
def backends(aws_backends: Backends) -> Backends:
    return aws_backends


def put_alarm(
    backends: Backends, env: str, name: str, state: str, reason: str = "", client: Any = None
) -> None:
    """Seed an alarm in `env`'s account with a client from the bot's own (assumed) session."""
    cloudwatch = client or backends.aws.client(env, "cloudwatch")  # type: ignore[arg-type]
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        AlarmDescription=f"{name} description",
        Namespace="RTBHub/BullMQ",
        MetricName="WaitingJobs",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=50,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason or state)


async def test_alarms_of_every_account_alarm_first_newest_first(backends):
    put_alarm(backends, "int", "int-old-alarm", "ALARM", "Threshold Crossed: [55.0] > 50")
    put_alarm(backends, "stg", "stg-no-data", "INSUFFICIENT_DATA")
    put_alarm(backends, "prd", "prd-new-alarm", "ALARM")
    put_alarm(backends, "prd", "prd-fine", "OK")

    report = await alarms.active_alarms(backends, ["int", "stg", "prd"])

    assert [(a.env, a.name, a.state) for a in report.alarms] == [
        ("prd", "prd-new-alarm", "ALARM"),
        ("int", "int-old-alarm", "ALARM"),
        ("stg", "stg-no-data", "INSUFFICIENT_DATA"),
    ]
    old = report.alarms[1]
    assert old.reason == "Threshold Crossed: [55.0] > 50"
    assert old.metric == "RTBHub/BullMQ/WaitingJobs"
    assert old.description == "int-old-alarm description"
    assert old.since is not None and old.since.tzinfo is not None
    assert report.failures == () and report.truncated == ()


async def test_one_env_only_sees_its_own_account(backends):
    put_alarm(backends, "int", "int-alarm", "ALARM")
    put_alarm(backends, "stg", "stg-alarm", "ALARM")
    report = await alarms.active_alarms(backends, ["stg"])
    assert [a.name for a in report.alarms] == ["stg-alarm"]
    assert report.envs == ("stg",)


async def test_no_alarms(backends):
    report = await alarms.active_alarms(backends, ["int", "stg", "prd"])
    assert report.alarms == () and report.failures == ()


async def test_a_refused_account_is_named_and_the_others_shown(backends, fake_aws):
    put_alarm(backends, "int", "int-alarm", "ALARM")
    put_alarm(backends, "prd", "prd-alarm", "ALARM")
    fake_aws.inject_fault(
        "DescribeAlarms", account=ACCOUNTS["prd"], error="AccessDeniedException", count=None
    )
    report = await alarms.active_alarms(backends, ["int", "stg", "prd"])
    assert [a.name for a in report.alarms] == ["int-alarm"]
    assert [(f.backend, f.reason) for f in report.failures] == [
        ("AWS prd cloudwatch", "AccessDeniedException (HTTP 400)")
    ]
    prd_calls = [c for c in fake_aws.calls("DescribeAlarms") if c.account == ACCOUNTS["prd"]]
    prd_key = backends.aws.session("prd").get_credentials().access_key
    assert prd_calls and {c.access_key_id for c in prd_calls} == {prd_key}


async def test_throttled_account(backends, fake_aws):
    fake_aws.inject_fault(
        "DescribeAlarms", account=ACCOUNTS["stg"], error="ThrottlingException", count=None
    )
    report = await alarms.active_alarms(backends, ["int", "stg"])
    assert [(f.backend, f.reason) for f in report.failures] == [
        ("AWS stg cloudwatch", "ThrottlingException (HTTP 400)")
    ]


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_a_slow_account_times_out_alone(backends, fake_aws):
    put_alarm(backends, "int", "int-alarm", "ALARM")
    await alarms.active_alarms(backends, ["int", "prd"])  # warm up: sessions, service models
    fake_aws.inject_fault("DescribeAlarms", account=ACCOUNTS["prd"], error=None, delay=4.0)
    report = await alarms.active_alarms(backends, ["int", "prd"])
    assert [a.name for a in report.alarms] == ["int-alarm"]
    assert [(f.backend, f.reason) for f in report.failures] == [
        ("AWS prd cloudwatch", "timed out after 2 s")
    ]


async def test_pages_are_followed(backends):
    client = backends.aws.client("int", "cloudwatch")
    for n in range(alarms.PAGE_SIZE + 5):
        put_alarm(backends, "int", f"alarm-{n:03d}", "ALARM", client=client)
    report = await alarms.active_alarms(backends, ["int"])
    assert len(report.alarms) == alarms.PAGE_SIZE + 5


def test_configured_envs(backends):
    assert alarms.configured_envs(backends, None) == ("int", "stg", "prd")
    assert alarms.configured_envs(backends, "prd") == ("prd",)


def test_unconfigured_env_is_a_user_error(aws_endpoint, aws_env):
    config = make_config(
        kube_urls=dict.fromkeys(ACCOUNTS, "http://127.0.0.1:9"),
        aws_endpoint=aws_endpoint,
        slack_api_url="http://127.0.0.1:9/api/",
        environments={"int": {"account_id": ACCOUNTS["int"]}},
    )
    unused = "postgresql://127.0.0.1:9/unused"
    built = build_backends(config, BackendUrls(unused, unused, "redis://127.0.0.1:9/0"))
    try:
        with user_error(match="`prd` is not configured"):
            alarms.configured_envs(built, "prd")
    finally:
        built.blocking.close()


def test_sorted_alarms_puts_unknown_times_last():
    at = datetime(2026, 3, 2, tzinfo=UTC)
    items = [
        alarms.Alarm("int", "a", "ALARM", "", None, "", ""),
        alarms.Alarm("int", "b", "INSUFFICIENT_DATA", "", at, "", ""),
        alarms.Alarm("int", "c", "ALARM", "", at, "", ""),
    ]
    assert [a.name for a in alarms.sorted_alarms(items)] == ["c", "a", "b"]


# -- the runbook's alarms (`rtb-bot alarms plan`) that do not exist ----------------------------


async def test_runbook_alarms_missing_in_int_are_named_in_the_plans_order(backends):
    report = await alarms.active_alarms(backends, ["int", "stg", "prd"])
    assert report.missing == (
        "rtb-hub-bullmq-queue-depth-jira-queue",
        "rtb-hub-bullmq-queue-depth-pr-review-queue",
    )
    put_alarm(backends, "stg", "rtb-hub-bullmq-queue-depth-jira-queue", "OK")  # wrong account
    put_alarm(backends, "int", "rtb-hub-bullmq-queue-depth-pr-review-queue", "OK")
    report = await alarms.active_alarms(backends, ["int", "stg", "prd"])
    assert report.missing == ("rtb-hub-bullmq-queue-depth-jira-queue",)
    assert report.alarms == ()  # an OK alarm still needs no look


async def test_the_planned_definitions_create_the_alarms_that_were_missing(backends):
    cloudwatch = backends.aws.client("int", "cloudwatch")
    for definition in planned_alarms(backends.config):
        cloudwatch.put_metric_alarm(**definition)  # botocore validates every parameter
    report = await alarms.active_alarms(backends, ["int"])
    assert report.missing == ()
    found = cloudwatch.describe_alarms(AlarmNames=list(planned_alarm_names(backends.config)))
    jira = found["MetricAlarms"][0]
    assert (jira["MetricName"], jira["Threshold"], jira["EvaluationPeriods"]) == (
        "WaitingJobs",
        50.0,
        2,
    )
    assert jira["Dimensions"] == [{"Name": "QueueName", "Value": "jira-queue"}]


async def test_missing_alarms_are_not_looked_for_outside_int(backends):
    report = await alarms.active_alarms(backends, ["stg"])
    assert report.missing == ()

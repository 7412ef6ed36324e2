"""`/rtb alarms | trail | search`: renderer goldens, then signed slash commands end to end
against moto (alarms) and the wire-level fake AWS (CloudTrail, Logs Insights, faults)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.render.cloud import (
    MAX_CHANGES_SHOWN,
    render_alarms,
    render_search,
    render_trail,
    render_trail_changes,
)
from ops.alarms import Alarm, AlarmReport
from ops.cloudtrail import MAX_EVENTS, TrailEvent, TrailReport
from ops.cloudtrail_changes import ChangesReport, DeployerWrite, ReadBack
from ops.config import Config
from ops.fanout import Failed
from ops.logs import LogFilters, LogLine, LogSearch
from sandbox.fake_aws import FakeAws
from sandbox.seed_trail_logs import deployer_write
from tests.fixtures.aws import SHORT
from tests.fixtures.bot import ACCOUNTS, answer_text
from tests.golden import assert_golden, korean, shown

TZ = "Asia/Seoul"
AT = datetime(2025, 3, 10, 5, 30, tzinfo=UTC)  # 14:30 in Seoul
DEPLOYER = "arn:aws:iam::{}:role/rtb-hub-deployer"
HUB_SA = f"arn:aws:sts::{ACCOUNTS['int']}:assumed-role/rtb-hub-sa/botocore-session-1741580000"


# -- renderer goldens -------------------------------------------------------------------------


def alarm(env, name, state, minutes_ago, reason="", description="", metric="") -> Alarm:
    since = AT - timedelta(minutes=minutes_ago)
    return Alarm(env, name, state, reason, since, description, metric)


ALARMS = (
    alarm(
        "prd",
        "rtb-hub-prd-5xx",
        "ALARM",
        7,
        "Threshold Crossed: 1 datapoint [12.0] > 5.0",
        "webhook-listener 5xx > 5/min",
        "RTBHub/WebhookListener/Errors5xx",
    ),
    alarm(
        "int",
        "rtb-hub-bullmq-queue-depth",
        "ALARM",
        190,
        "Threshold Crossed: 1 out of the last 1 datapoints [55.0] was greater than the "
        "threshold (50.0).",
        "BullMQ jira-queue waiting + prioritized jobs > 50",
        "RTBHub/BullMQ/WaitingJobs",
    ),
    alarm(
        "stg",
        "rtb-hub-stg-preview-pod-restarts",
        "INSUFFICIENT_DATA",
        60 * 26 + 5,
        "Insufficient Data: 3 datapoints were unknown.",
        "preview pods restarting in stg",
        "ContainerInsights/pod_number_of_container_restarts",
    ),
)


def test_render_alarms_golden():
    report = AlarmReport(("int", "stg", "prd"), AT, ALARMS, ())
    message = render_alarms(report, TZ)
    assert_golden("cloud_alarms", message)
    assert message.text == "2 in ALARM, 1 with insufficient data (int, stg, prd)"
    alarms = [line for line in shown(message).splitlines() if line.startswith(":")][1:]
    assert [line.split("*")[1] for line in alarms] == [  # newest state change first
        "rtb-hub-prd-5xx",
        "rtb-hub-bullmq-queue-depth",
        "rtb-hub-stg-preview-pod-restarts",
    ]
    assert "ALARM since 03-10 14:23 (7m ago)" in alarms[0]


def test_render_alarms_with_a_failed_account_golden():
    failure = Failed("AWS prd cloudwatch", "AccessDeniedException (HTTP 400)")
    report = AlarmReport(("int", "stg", "prd"), AT, ALARMS[1:2], (failure,))
    message = render_alarms(report, TZ)
    assert_golden("cloud_alarms_partial", message)
    assert message.text.startswith("1 in ALARM, 0 with insufficient data")
    assert "*AWS prd cloudwatch*: AccessDeniedException (HTTP 400)" in shown(message)


def test_render_no_alarms_golden():
    message = render_alarms(AlarmReport(("prd",), AT, (), ()), TZ)
    assert_golden("cloud_alarms_none", message)
    assert message.text == "No alarm in ALARM or INSUFFICIENT_DATA (prd)"


def test_render_names_the_runbook_alarms_that_do_not_exist_golden():
    missing = (
        "rtb-hub-bullmq-queue-depth-jira-queue",
        "rtb-hub-bullmq-queue-depth-pr-review-queue",
    )
    message = render_alarms(AlarmReport(("int",), AT, (), (), missing=missing), TZ)
    assert_golden("cloud_alarms_missing", message)
    assert message.text.endswith("; 2 runbook alarm(s) missing in int")
    text = shown(message)
    assert "*Runbook alarms missing in int*: `rtb-hub-bullmq-queue-depth-jira-queue`, " in text
    assert "`rtb-bot alarms plan` prints their definitions" in text


def test_render_alarms_keeps_to_slack_limits():
    many = tuple(alarm("int", f"a-{n}", "ALARM", n, "r" * 2000) for n in range(80))
    message = render_alarms(AlarmReport(("int",), AT, many, ()), TZ)
    assert len(message.blocks) <= 50
    assert "… and 50 more not shown." in str(message.to_json())


def trail_event(minutes_ago, env="int", error="", user="UOPERATOR1", target="stg") -> TrailEvent:
    return TrailEvent(
        env=env,
        time=AT - timedelta(minutes=minutes_ago),
        name="AssumeRole",
        source="sts.amazonaws.com",
        error_code=error,
        error_message=(
            f"User: {HUB_SA} is not authorized to perform: sts:AssumeRole on resource: "
            f"{DEPLOYER.format(ACCOUNTS[target])}"
            if error
            else ""
        ),
        source_ip="10.0.12.34",
        principal=HUB_SA
        if error
        else f"arn:aws:sts::{ACCOUNTS['int']}:assumed-role/rtb-bot/rtb-bot.{user}",
        source_identity="" if error else user,
        target_role=DEPLOYER.format(ACCOUNTS[target]),
        session_name=f"rtb-bot.{user}",
    )


def trail_report(events, **changes: Any) -> TrailReport:
    base: dict[str, Any] = dict(
        envs=("int",),
        event="AssumeRole",
        since=timedelta(hours=24),
        errors_only=False,
        checked_at=AT,
        events=tuple(events),
        read=len(events),
        failed=sum(1 for e in events if e.failed),
        capped=(),
        failures=(),
    )
    return TrailReport(**{**base, **changes})


def test_render_trail_golden():
    events = [
        trail_event(42, error="AccessDenied", target="prd"),
        trail_event(3, user="ULEAD1", target="prd"),
        trail_event(15),
        trail_event(60 * 5, user="UOPERATOR2"),
    ]
    message = render_trail(trail_report(events), TZ)
    assert_golden("cloud_trail", message)
    assert message.text == "CloudTrail AssumeRole in int, last 24h: 1 failed of 4"
    assert ":x: *AccessDenied* · `int` · AssumeRole · 03-10 13:48 (42m ago)" in shown(message)
    succeeded = shown(message).split("*Succeeded*", 1)[1]
    assert all(user in succeeded for user in ("(ULEAD1)", "(UOPERATOR1)", "(UOPERATOR2)"))
    assert succeeded.index("(ULEAD1)") < succeeded.index("(UOPERATOR2)")  # newest first


def test_render_trail_all_envs_with_a_failed_account_golden():
    events = [trail_event(5, env="stg"), trail_event(9, env="int")]
    failure = Failed("AWS prd cloudtrail", "AccessDeniedException (HTTP 400)")
    report = trail_report(events, envs=("int", "stg", "prd"), failures=(failure,), capped=("int",))
    message = render_trail(report, TZ)
    assert_golden("cloud_trail_partial", message)
    in_korean = korean("cloud_trail_partial", lambda: render_trail(report, TZ))
    assert (
        "*AWS prd cloudtrail*: AccessDeniedException (HTTP 400) — 이 계정의 이벤트는" in in_korean
    )
    assert message.text == "CloudTrail AssumeRole in int, stg, prd, last 24h: 0 failed of 2"
    assert "int: read the newest 200 events only" in shown(message)
    assert "*AWS prd cloudtrail*: AccessDeniedException (HTTP 400)" in shown(message)


def test_render_trail_no_errors_golden():
    report = trail_report([], errors_only=True, read=57, since=timedelta(days=7))
    message = render_trail(report, TZ)
    assert_golden("cloud_trail_no_errors", message)
    assert "No failed `AssumeRole` in int in the last 7d (57 read)" in shown(message)


def deployer_event(
    minutes_ago, env="prd", *, user="UOPERATOR1", session=None, error="", name="DeleteLogGroup"
) -> DeployerWrite:
    session = session or f"rtb-bot.{user}"
    account = ACCOUNTS[env]
    event = TrailEvent(
        env=env,
        time=AT - timedelta(minutes=minutes_ago),
        name=name,
        source="logs.amazonaws.com",
        error_code=error,
        error_message="not authorized" if error else "",
        source_ip="10.0.21.17",
        principal=f"arn:aws:sts::{account}:assumed-role/rtb-hub-deployer/{session}",
        source_identity=user,
        target_role="",
        session_name="",
        resources=(f"/rtb-ai-hub/preview/{env}/proj-{minutes_ago}",),
    )
    return DeployerWrite(event, session)


def changes_report(changes, **overrides: Any) -> ChangesReport:
    base: dict[str, Any] = dict(
        envs=("stg", "prd"),
        start=AT - timedelta(hours=24),
        end=AT,
        errors_only=False,
        changes=tuple(changes),
        found=len(changes),
        read=len(changes) + 3,
        capped=(),
        failures=(),
    )
    return ChangesReport(**{**base, **overrides})


def test_render_trail_changes_golden():
    changes = [
        deployer_event(5, session="rtb-bot.UOPERATOR2.by.ULEAD1", user="UOPERATOR2"),
        deployer_event(40, "stg", error="AccessDenied"),
        deployer_event(90, session="rtb-hub.preview-PROJ-109", user=""),
        deployer_event(300, user="rtb-bot"),
    ]
    message = render_trail_changes(changes_report(changes), TZ)
    assert_golden("cloud_trail_changes", message)
    text = shown(message)
    assert message.text == "4 changes through the deployer role in stg, prd, 1 failed"
    assert "*4 write calls*, 1 failed" in text
    assert "Window: 2025-03-09 14:30 KST – 2025-03-10 14:30 KST (last 24h)" in text
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert lines[0] == (
        "• 03-10 14:25 · *prd* · `logs:DeleteLogGroup` · `/rtb-ai-hub/preview/prd/proj-5` · "
        "<@UOPERATOR2>, approved by <@ULEAD1> → ok"
    )
    assert (
        lines[1].startswith("• 03-10 13:50 · *stg* ·")
        and "<@UOPERATOR1> → :x: AccessDenied" in lines[1]
    )
    assert "no Slack user (session `rtb-hub.preview-PROJ-109`) → ok" in lines[2]
    assert "`rtb-bot` → ok" in lines[3]
    assert "not shown" not in text


def test_render_trail_changes_caps_with_n_of_m_and_names_the_real_window():
    changes = [deployer_event(n) for n in range(MAX_CHANGES_SHOWN + 12)]
    oldest = AT - timedelta(hours=3)
    failure = Failed("AWS stg cloudtrail", "AccessDeniedException (HTTP 400)")
    report = changes_report(changes, capped=(ReadBack("prd", oldest),), failures=(failure,))
    message = render_trail_changes(report, TZ)
    text = shown(message)
    assert len([line for line in text.splitlines() if line.startswith("• ")]) == MAX_CHANGES_SHOWN
    assert f"{MAX_CHANGES_SHOWN} of {MAX_CHANGES_SHOWN + 12} shown, newest first" in text
    assert (
        f"prd: read back to 2025-03-10 11:30 KST only (its newest {MAX_EVENTS} write calls)" in text
    )
    assert (
        "*AWS stg cloudtrail*: AccessDeniedException (HTTP 400) — its changes are not shown" in text
    )
    assert len(message.blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks_json() if "text" in b)


def test_render_trail_changes_none_in_a_capped_read_says_so_in_its_headline():
    oldest = AT - timedelta(minutes=20)
    report = changes_report([], read=MAX_EVENTS, capped=(ReadBack("prd", oldest),))
    text = shown(render_trail_changes(report, TZ))
    assert (
        f"No change through the deployer role in stg, prd ({MAX_EVENTS} write calls read, none "
        f"by a deployer session); not the whole window: prd read back to its newest {MAX_EVENTS}"
        " (below)." in text
    )


def test_render_trail_changes_none_golden():
    message = render_trail_changes(changes_report([], read=7), TZ)
    assert_golden("cloud_trail_changes_none", message)
    assert (
        "No change through the deployer role in stg, prd (7 write calls read, none by a "
        "deployer session)." in shown(message)
    )


def log_line(
    seconds_ago, msg, level="error", issue="PROJ-123", duration=12400, group=""
) -> LogLine:
    return LogLine(
        AT - timedelta(seconds=seconds_ago),
        level,
        msg,
        issue,
        "jira-auto-dev",
        duration,
        "stg",
        service=group.rsplit("/", 1)[-1] if group else "",
        log_group=group,
    )


def search_result(lines, **changes: Any) -> LogSearch:
    base: dict[str, Any] = dict(
        service="workflow-engine",
        env="stg",
        log_groups=("/rtb-ai-hub/workflow-engine",),
        filters=LogFilters(text='timeout "Jira" <b>', level="error"),
        since=timedelta(hours=1),
        limit=50,
        lines=tuple(lines),
        complete=True,
        matched=len(lines),
        scanned=3400,
    )
    return LogSearch(**{**base, **changes})


def test_render_search_golden():
    lines = [
        log_line(30, "Workflow failed: timeout calling Jira <!channel> ```x```"),
        log_line(95, "Workflow failed: timeout calling Jira", issue="PROJ-7", duration=300),
        log_line(400, "Retrying Jira call", level="warn", issue="", duration=None),
    ]
    message = render_search(search_result(lines), TZ)
    assert message.files == ()
    assert "<!channel>" not in str(message.to_json())
    assert_golden("cloud_search", message)
    head = shown(message).splitlines()[1]
    assert "`/rtb-ai-hub/workflow-engine` of *stg*" in head
    assert 'matching `timeout "Jira" &lt;b&gt;` · level error · last 1h' in head
    assert "*3 lines* (3 matched, 3,400 scanned)" in head
    assert "over stg's log groups (CloudWatch OAM link)" in shown(message)


def test_render_search_all_groups_names_each_lines_group_golden():
    groups = tuple(f"/rtb-ai-hub/{g}" for g in ("webhook-listener", "workflow-engine"))
    lines = [
        log_line(
            30, "preview-deploy failed", issue="PROJ-300", group="/rtb-ai-hub/workflow-engine"
        ),
        log_line(90, "jira webhook received", issue="PROJ-300", group="/rtb-ai-hub/preview/prd"),
    ]
    filters = LogFilters(
        issue="PROJ-300",
        workflow_type="preview-deploy",
        service="workflow-engine",
        min_duration_ms=30_000,
    )
    result = search_result(
        lines,
        service="all",
        env="int",
        log_groups=(*groups, "/rtb-ai-hub/preview/int"),
        filters=filters,
        since=timedelta(hours=24),
    )
    message = render_search(result, TZ)
    assert_golden("cloud_search_all", message)
    in_korean = korean("cloud_search_all", lambda: render_search(result, TZ))
    assert "preview-deploy failed" in in_korean and "로그 그룹 3개 전체" in in_korean
    text = shown(message)
    assert "all 3 log groups of *int* (webhook-listener, workflow-engine, preview/int)" in text
    assert (
        "issue `PROJ-300` · type `preview-deploy` · service `workflow-engine` · took ≥ 30s · "
        "last 24h" in text
    )
    assert "workflow-engine stg PROJ-300 jira-auto-dev 12.4s preview-deploy failed" in text
    assert "preview/prd stg PROJ-300" in text
    assert "Logs Insights in int (central observability)" in text


def test_render_search_many_lines_go_up_as_a_file_golden():
    lines = [log_line(n * 10, f"timeout #{n}", duration=n) for n in range(50)]
    message = render_search(search_result(lines, complete=False, matched=50), TZ)
    assert_golden("cloud_search_file", message)
    [(name, content)] = message.files
    assert name == "search-workflow-engine.log"
    assert content.count("\n") == 50 and "timeout #49" in content


def test_render_search_nothing_found_golden():
    result = search_result(
        [],
        service="preview",
        log_groups=("/rtb-ai-hub/preview/prd",),
        env="prd",
        filters=LogFilters(text="OOMKilled", min_duration_ms=1500),
    )
    message = render_search(result, TZ)
    assert_golden("cloud_search_none", message)
    assert message.text == "0 log lines in /rtb-ai-hub/preview/prd of prd"
    text = shown(message)
    assert "matching `OOMKilled` · took ≥ 1500ms · last 1h (3,400 scanned)" in text
    assert (
        "Every line with the other filters: "
        "`/rtb search preview --env prd --min-duration 1500ms --since 1h`" in text
    )


# -- end to end -------------------------------------------------------------------------------


@pytest.fixture
def bot_config(config_through_fake_aws: Config) -> Config:
    return config_through_fake_aws


def put_alarm(runtime, env: str, name: str, state: str) -> None:
    cloudwatch = runtime.backends.aws.client(env, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="RTBHub/BullMQ",
        MetricName="WaitingJobs",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=50,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"{name} reason")


def assume_role(minutes_ago: float, target: str, error: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventName": "AssumeRole",
        "eventTime": datetime.now(UTC) - timedelta(minutes=minutes_ago),
        "sourceIPAddress": "10.0.12.34",
        "userIdentity": {"type": "AssumedRole", "arn": HUB_SA},
        "requestParameters": {
            "roleArn": DEPLOYER.format(ACCOUNTS[target]),
            "roleSessionName": "rtb-bot.UOPERATOR1",
            "sourceIdentity": "UOPERATOR1",
        },
    }
    if error:
        record.update(errorCode=error, errorMessage="not authorized to perform: sts:AssumeRole")
    return record


def pino(
    msg: str,
    *,
    level: str = "error",
    minutes_ago: float = 2,
    env: str = "int",
    issue: str = "PROJ-123",
    **fields: object,
) -> dict:
    """A Pino line; `fields` replace the defaults (None: the line has no such field)."""
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    line = {
        "level": level,
        "time": int(moment.timestamp() * 1000),
        "env": env,
        "service": "workflow-engine",
        "issueKey": issue,
        "workflowType": "jira-auto-dev",
        "durationMs": 12400,
        "msg": msg,
    } | fields
    return {k: v for k, v in line.items() if v is not None}


async def test_help_lists_the_investigate_commands(slack):
    text = answer_text(await slack.ask("help"))
    assert "*Investigate*" in text
    for verb in ("alarms", "trail", "search"):
        assert f"`/rtb {verb}`" in text
    usage = answer_text(await slack.ask("help search"))
    assert "/rtb search <group> [<text>…] [--env env] [--since 1h] [--level error]" in usage
    assert "--issue PROJ-300" in usage and "--min-duration 5s" in usage


async def test_alarms_end_to_end(slack, runtime, fake_aws):
    put_alarm(runtime, "int", "rtb-hub-bullmq-queue-depth", "ALARM")
    put_alarm(runtime, "stg", "rtb-hub-stg-preview-pod-restarts", "INSUFFICIENT_DATA")
    put_alarm(runtime, "prd", "rtb-hub-prd-fine", "OK")
    answer = await slack.ask("alarms")
    text = answer_text(answer)
    assert answer["response_type"] == "in_channel"
    assert "*1 in ALARM*, 1 with insufficient data — int, stg, prd" in text
    assert text.index("rtb-hub-bullmq-queue-depth") < text.index("rtb-hub-stg-preview")
    assert "rtb-hub-prd-fine" not in text
    assert "rtb-hub-bullmq-queue-depth reason" in text
    assert "Runbook alarms missing in int*: `rtb-hub-bullmq-queue-depth-jira-queue`" in text
    stg_key = runtime.backends.aws.session("stg").get_credentials().access_key
    stg_calls = [c for c in fake_aws.calls("DescribeAlarms") if c.account == ACCOUNTS["stg"]]
    assert stg_calls and {c.access_key_id for c in stg_calls} == {stg_key}


async def test_alarms_names_the_account_that_refused(slack, runtime, fake_aws):
    put_alarm(runtime, "int", "int-alarm", "ALARM")
    fake_aws.inject_fault(
        "DescribeAlarms", account=ACCOUNTS["prd"], error="AccessDeniedException", count=None
    )
    text = answer_text(await slack.ask("alarms"))
    assert "int-alarm" in text
    assert "*AWS prd cloudwatch*: AccessDeniedException (HTTP 400)" in text


async def test_alarms_bad_env_is_a_usage_error(slack):
    answer = await slack.ask("alarms qa")
    text = answer_text(answer)
    assert answer["response_type"] == "ephemeral"
    assert "`qa` is not a valid <env>: must be one of: int, stg, prd" in text
    assert "Usage: `/rtb alarms [<env>]`" in text


async def test_trail_end_to_end_errors_first(slack, fake_aws, runtime):
    int_account = ACCOUNTS["int"]
    fake_aws.add_trail_event(int_account, assume_role(3, "stg"))
    fake_aws.add_trail_event(int_account, assume_role(40, "prd", error="AccessDenied"))
    fake_aws.add_trail_event(int_account, assume_role(60 * 30, "prd", error="AccessDenied"))
    answer = await slack.ask("trail")
    text = answer_text(answer)
    assert answer["response_type"] == "in_channel"
    assert "*1 failed* of 2" in text and "last 24h" in text
    assert text.index("AccessDenied") < text.index("*Succeeded*")
    assert DEPLOYER.format(ACCOUNTS["prd"]) in text and "UOPERATOR1" in text
    [call] = fake_aws.calls("LookupEvents")
    assert call.account == int_account
    assert call.access_key_id == runtime.backends.aws.session("int").get_credentials().access_key


async def test_trail_all_names_the_account_that_refused(slack, fake_aws):
    for env in ("int", "stg", "prd"):
        fake_aws.add_trail_event(ACCOUNTS[env], assume_role(5, env, error="AccessDenied"))
    fake_aws.inject_fault(
        "LookupEvents", account=ACCOUNTS["prd"], error="AccessDeniedException", count=None
    )
    text = answer_text(await slack.ask("trail all --errors --since 1h"))
    assert "*AWS prd cloudtrail*: AccessDeniedException (HTTP 400)" in text
    assert "`int`" in text and "`stg`" in text
    assert "*2 failed* of 2" in text


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_trail_slow_account_times_out(slack, fake_aws):
    await slack.ask("trail stg")  # warm up: the stg session and the service model
    fake_aws.inject_fault("LookupEvents", account=ACCOUNTS["stg"], error=None, delay=4.0)
    text = answer_text(await slack.ask("trail stg"))
    assert "*AWS stg cloudtrail*: timed out after 2 s" in text


async def test_trail_changes_end_to_end(slack, fake_aws, runtime):
    prd = ACCOUNTS["prd"]
    change = deployer_write(
        prd,
        "eks",
        "UpdateNodegroupConfig",
        ("AWS::EKS::Nodegroup", "rtb-prd/ng"),
        "rtb-bot.UOPERATOR1.by.ULEAD1",
        "UOPERATOR1",
    )
    fake_aws.add_trail_event(prd, {**change, "eventTime": datetime.now(UTC) - timedelta(hours=2)})
    fake_aws.add_trail_event(prd, assume_role(3, "prd"))  # a read: not a change
    answer = await slack.ask("trail all --changes --since 6h")
    text = answer_text(answer)
    assert answer["response_type"] == "in_channel"
    assert "*1 write call*" in text and "in int, stg, prd" in text
    assert (
        "`eks:UpdateNodegroupConfig` · `rtb-prd/ng` · <@UOPERATOR1>, approved by <@ULEAD1>" in text
    )
    assert "(last 6h)" in text
    lookups = fake_aws.calls("LookupEvents")
    assert {c.account for c in lookups} == set(ACCOUNTS.values())
    assert all(c.body["LookupAttributes"][0]["AttributeKey"] == "ReadOnly" for c in lookups)
    prd_key = runtime.backends.aws.session("prd").get_credentials().access_key
    assert {c.access_key_id for c in lookups if c.account == prd} == {prd_key}


async def test_trail_changes_and_event_are_exclusive(slack, fake_aws):
    answer = await slack.ask("trail prd --changes --event AssumeRole")
    text = answer_text(answer)
    assert answer["response_type"] == "ephemeral"
    assert "give `--changes` or `--event`, not both" in text
    assert (
        "Usage: `/rtb trail [<env>] [--since 24h] [--event AssumeRole] [--errors] [--changes]`"
        in text
    )
    assert fake_aws.calls("LookupEvents") == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("trail --event Assume;Role", "not a valid --event: must be a CloudTrail event name"),
        ("trail --since 2y", "not a valid --since: must be a duration like 30m"),
        ("trail dev", "not a valid <env>: must be one of: int, stg, prd, all"),
        ("trail --errors=yes --event", "`--event` needs a value."),
    ],
)
async def test_trail_bad_input(slack, command, expected):
    answer = await slack.ask(command)
    assert expected in answer_text(answer) and answer["response_type"] == "ephemeral"


async def test_search_end_to_end(slack, fake_aws):
    group = "/rtb-ai-hub/workflow-engine"
    fake_aws.add_log_line(group, pino("Workflow failed: TIMEOUT calling Jira"))
    fake_aws.add_log_line(group, pino("Workflow failed: timeout calling Jira", level="info"))
    fake_aws.add_log_line(group, pino("timeout long ago", minutes_ago=120))
    answer = await slack.ask("search workflow-engine timeout calling --level error --env int")
    text = answer_text(answer)
    assert answer["response_type"] == "in_channel"
    assert "*1 line*" in text and "Workflow failed: TIMEOUT calling Jira" in text  # any case
    [start] = fake_aws.calls("StartQuery")
    assert start.account == ACCOUNTS["int"]
    assert (
        '| filter msg like /(?i)timeout calling/\n| filter level = "error"'
        in (start.body["queryString"])
    )


STG_ENGINE = ("/rtb-ai-hub/workflow-engine", ACCOUNTS["stg"])


def seed_fields(fake_aws: FakeAws) -> None:
    """int's workflow-engine and webhook-listener, and stg's own workflow-engine."""
    engine, hook = "/rtb-ai-hub/workflow-engine", "/rtb-ai-hub/webhook-listener"
    for group in (engine, hook):
        fake_aws.add_log_group(group, account=ACCOUNTS["int"])
    fake_aws.add_log_group("/rtb-ai-hub/auth-service", account=ACCOUNTS["int"])
    fake_aws.add_log_group("/rtb-ai-hub/preview/int", account=ACCOUNTS["int"])
    lines = (
        (engine, pino("preview-deploy failed", issue="PROJ-300", workflowType="preview-deploy")),
        (engine, pino("workflow started", issue="proj-300", level="info", durationMs=None)),
        (engine, pino("Claude API 529", issue="PROJ-3000", durationMs=45000)),
        (engine, pino("mentions PROJ-300 in text", issue="PROJ-1", durationMs=500)),
        (hook, pino("jira webhook received", issue="PROJ-300", service="webhook-listener")),
    )
    for group, line in lines:
        fake_aws.add_log_line(group, line, account=ACCOUNTS["int"])
    fake_aws.add_log_group(STG_ENGINE[0], account=STG_ENGINE[1])
    fake_aws.add_log_line(
        STG_ENGINE[0], pino("stg run failed", env="stg", issue="PROJ-300"), account=STG_ENGINE[1]
    )


async def test_search_a_bare_issue_key_finds_its_issuekey_lines(slack, fake_aws):
    seed_fields(fake_aws)
    text = answer_text(await slack.ask("search workflow-engine proj-300"))
    assert "*3 lines*" in text
    assert "preview-deploy failed" in text and "workflow started" in text
    assert "mentions PROJ-300 in text" in text  # the text is still looked for in msg
    assert "Claude API 529" not in text  # PROJ-3000 is another issue
    assert "stg run failed" not in text  # int's groups only


async def test_search_flags_filter_on_the_pino_fields(slack, fake_aws):
    seed_fields(fake_aws)
    issue = answer_text(await slack.ask("search workflow-engine --issue proj-300"))
    assert "*2 lines*" in issue and "mentions PROJ-300" not in issue and "3000" not in issue
    kind = answer_text(await slack.ask("search workflow-engine --type PREVIEW-DEPLOY"))
    assert "*1 line*" in kind and "preview-deploy failed" in kind
    slow = answer_text(await slack.ask("search workflow-engine --min-duration 30s"))
    assert "*1 line*" in slow and "Claude API 529" in slow and "took ≥ 30s" in slow
    fast = answer_text(await slack.ask("search workflow-engine --min-duration 500ms"))
    assert "*3 lines*" in fast and "workflow started" not in fast  # no durationMs: not ≥ 500
    service = answer_text(await slack.ask("search all --service Webhook-Listener"))
    assert "*1 line*" in service and "jira webhook received" in service
    starts = [c.body["queryString"] for c in fake_aws.calls("StartQuery")]
    assert "issueKey like /(?i)^PROJ-300$/" in starts[0]
    assert "durationMs >= 30000" in starts[2] and "durationMs >= 500" in starts[3]


async def test_search_all_is_one_query_over_every_group_of_the_env(slack, fake_aws):
    seed_fields(fake_aws)
    text = answer_text(await slack.ask("search all --issue PROJ-300 --since 24h"))
    assert "all 4 log groups of *int*" in text and "last 24h" in text
    assert "*3 lines*" in text
    assert "webhook-listener int PROJ-300" in text and "workflow-engine int PROJ-300" in text
    [start] = fake_aws.calls("StartQuery")
    assert start.account == ACCOUNTS["int"]
    assert start.body["logGroupIdentifiers"] == [
        f"arn:aws:logs:ap-northeast-2:{ACCOUNTS['int']}:log-group:/rtb-ai-hub/{group}"
        for group in ("webhook-listener", "workflow-engine", "auth-service", "preview/int")
    ]


async def test_search_another_env_reads_its_account_through_the_oam_link(slack, fake_aws):
    seed_fields(fake_aws)
    text = answer_text(await slack.ask("search workflow-engine --issue PROJ-300 --env stg"))
    assert "`/rtb-ai-hub/workflow-engine` of *stg*" in text
    assert "*1 line*" in text and "stg run failed" in text and "preview-deploy" not in text
    assert "over stg's log groups (CloudWatch OAM link)" in text
    [start] = fake_aws.calls("StartQuery")
    assert start.account == ACCOUNTS["int"]  # run in int, the group named in stg's account
    assert start.body["logGroupIdentifiers"] == [
        f"arn:aws:logs:ap-northeast-2:{ACCOUNTS['stg']}:log-group:/rtb-ai-hub/workflow-engine"
    ]


async def test_search_without_the_oam_link_says_the_logs_are_unreadable(slack, fake_aws):
    seed_fields(fake_aws)
    fake_aws.remove_oam_link(ACCOUNTS["int"], ACCOUNTS["stg"])
    answer = await slack.ask("search workflow-engine --env stg")
    text = answer_text(answer)
    assert "*AWS int logs* is not answering: ResourceNotFoundException (HTTP 400)" in text
    assert "stg run failed" not in text and "Traceback" not in text
    assert "stg's log groups are read from int through the CloudWatch OAM link" in text
    assert "`/rtb ping` says whether stg's link reaches int" in text
    assert answer["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    ("typed", "msg"),
    [
        ('"say \\"hi\\" now"', 'say "hi" now'),
        ("a/b/c", "path a/b/c missing"),
        ("back\\\\slash", "back\\slash here"),
        ("(x+1)*[y]?", "calc (x+1)*[y]? done"),
        ("^$.|", "odd ^$.| chars"),
        ('"/(?i)/ | stats count(*)"', "raw /(?i)/ | stats count(*) text"),
    ],
)
async def test_search_text_with_quotes_slashes_and_regex_characters_matches_itself(
    slack, fake_aws, typed, msg
):
    group = "/rtb-ai-hub/auth-service"
    fake_aws.add_log_line(group, pino(msg))
    fake_aws.add_log_line(group, pino("decoy line without it"))
    text = answer_text(await slack.ask(f"search auth-service {typed}"))
    assert "*1 line*" in text and "decoy" not in text, text
    [start] = fake_aws.calls("StartQuery")
    assert start.body["queryString"].count("\n| ") == 3  # fields, filter, sort, limit


async def test_search_hostile_text_is_matched_literally(slack, fake_aws):
    group = "/rtb-ai-hub/auth-service"
    fake_aws.add_log_line(group, pino('token "abc" | stats count(*) rejected'))
    fake_aws.add_log_line(group, pino("token rejected"))
    text = answer_text(await slack.ask('search auth-service "\\"abc\\" | stats"'))
    assert "*1 line*" in text and "count(*) rejected" in text
    assert "token rejected" not in text.replace("count(*) rejected", "")
    # Slack sends & < > as entities: the search is for the characters the user typed
    fake_aws.add_log_line(group, pino("header <x-api-key> & friends"))
    raw = json.dumps(await slack.ask("search auth-service &lt;x-api-key&gt; &amp;"))  # as sent
    assert "*1 line*" in raw and "header &lt;x-api-key&gt; &amp; friends" in raw


async def test_search_many_lines_are_uploaded_as_a_file(slack, fake_aws):
    group = "/rtb-ai-hub/webhook-listener"
    for n in range(30):
        fake_aws.add_log_line(group, pino(f"slow webhook #{n}", minutes_ago=n / 10))
    answer = await slack.ask("search webhook-listener slow --limit 30")
    assert "all of them are in the attached file" in answer_text(answer)
    slack.api.wait_for(lambda: any(u.content for u in slack.api.uploads))
    [upload] = slack.api.uploads
    assert upload.filename == "search-webhook-listener.log"
    assert upload.content is not None and upload.content.count(b"slow webhook #") == 30


async def test_search_preview_of_an_env(slack, fake_aws):
    fake_aws.add_log_line("/rtb-ai-hub/preview/prd", pino("OOMKilled", env="prd"))
    text = answer_text(await slack.ask("search preview OOMKilled --env prd --since 24h"))
    assert "/rtb-ai-hub/preview/prd" in text and "*1 line*" in text
    [start] = fake_aws.calls("StartQuery")
    assert start.body["logGroupIdentifiers"] == [
        f"arn:aws:logs:ap-northeast-2:{ACCOUNTS['prd']}:log-group:/rtb-ai-hub/preview/prd"
    ]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("search billing x", "not a valid <group>: must be one of: webhook-listener"),
        ("search all --issue PROJ_300", "not a valid --issue: must be a Jira issue key"),
        ("search all --min-duration 5", "not a valid --min-duration: must be a duration like"),
        ("search all --min-duration 2d", "not a valid --min-duration: must be a duration like"),
        ("search all --min-duration 25h", "not a valid --min-duration: must be at most 24h"),
        ("search all --type " + "t" * 101, "not a valid --type: must be at most 100"),
        ("search all --env dev", "not a valid --env: must be one of: int, stg, prd"),
        ("search workflow-engine " + "x" * 201, "must be at most 200 characters"),
        ("search workflow-engine x --limit 0", "not a valid --limit: must be between 1 and 200"),
        ("search workflow-engine x --level loud", "not a valid --level: must be one of: trace"),
        ("search workflow-engine x --since forever", "not a valid --since"),
        ("search workflow-engine " + "y" * 10_000, "too long"),
    ],
)
async def test_search_bad_input(slack, command, expected):
    answer = await slack.ask(command)
    assert expected in answer_text(answer) and answer["response_type"] == "ephemeral"


async def test_search_without_text_is_every_line_at_the_level(slack, fake_aws):
    """An incident's "recent error lines" (handlers.incident_playbooks): a level, no text."""
    fake_aws.add_log_line("/rtb-ai-hub/workflow-engine", pino("job exploded"))
    fake_aws.add_log_line("/rtb-ai-hub/workflow-engine", pino("job done", level="info"))
    text = answer_text(await slack.ask("search workflow-engine --level ERROR"))
    assert "*1 line*" in text and "job exploded" in text and "job done" not in text
    assert "matching" not in text and "level error" in text


async def test_search_throttled_names_the_backend(slack, fake_aws):
    fake_aws.add_log_group("/rtb-ai-hub/workflow-engine")
    fake_aws.inject_fault("StartQuery", error="ThrottlingException", count=None)
    answer = await slack.ask("search workflow-engine boom")
    text = answer_text(answer)
    assert "*AWS int logs* is not answering: ThrottlingException (HTTP 400)" in text


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_search_slow_backend_times_out_and_the_bot_keeps_answering(slack, fake_aws):
    fake_aws.add_log_group("/rtb-ai-hub/workflow-engine")
    fake_aws.inject_fault("GetQueryResults", error=None, delay=4.0)
    text = answer_text(await slack.ask("search workflow-engine boom"))
    assert "*AWS int logs* is not answering: timed out after 2 s" in text
    assert "/rtb ping" in answer_text(await slack.ask("help"))

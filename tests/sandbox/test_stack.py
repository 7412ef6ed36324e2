"""SandboxStack starts every server, seeds the runbook's world and writes a valid config."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import boto3
import psycopg
import pytest
from bullmq import Queue
from kubernetes import client as k8s

from approvals.gate import Requester
from approvals.outcomes import ApprovalRequested, Decided
from approvals.workload_mutations import ScaleDeployment
from bot.app import create_runtime
from bot.audit_cli import verify_audit_log
from bot.settings import load_config, load_settings
from sandbox.servers import free_port
from sandbox.slack_payloads import form_body, signed_headers, slash_command
from sandbox.stack import ACCOUNTS, FAKED_AWS, HUB_ONLY_PREVIEW, SandboxStack
from sandbox.users import CONSOLE_USERS_VARIABLE, parse_users

STATES = (
    "waiting",
    "active",
    "delayed",
    "failed",
    "completed",
    "paused",
    "prioritized",
    "waiting-children",
)
EXPECTED_QUEUES = {
    "jira-queue": {"waiting": 38, "prioritized": 17, "delayed": 4, "failed": 6, "completed": 24},
    "pr-review-queue": {"waiting": 3, "prioritized": 0, "delayed": 0, "failed": 1, "completed": 10},
    "preview-queue": {"waiting": 0, "prioritized": 0, "delayed": 0, "failed": 0, "completed": 5},
}
EXPECTED_PREVIEWS = {
    "int": {"preview-proj-123", "preview-proj-130", "preview-proj-141"},
    "stg": {"preview-proj-118", "preview-proj-125"},
    "prd": {"preview-proj-101", "preview-proj-109"},
}
SA = "system:serviceaccount:rtb-ai-hub:rtb-hub-sa"
ROOT = Path(__file__).resolve().parents[2]


def kube_api(stack: SandboxStack, env: str) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    configuration.host = stack.kube[env].url
    configuration.retries = 0
    return k8s.ApiClient(configuration)


def aws_session(stack: SandboxStack, env: str) -> boto3.Session:
    sts = boto3.client(
        "sts",
        endpoint_url=stack.moto.url,
        region_name="ap-northeast-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    role = f"arn:aws:iam::{ACCOUNTS[env]}:role/rtb-hub-deployer"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="test-stack")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="ap-northeast-2",
    )


# -- PostgreSQL ------------------------------------------------------------------------------


def test_hub_tables_have_a_week_and_today_is_over_budget(stack: SandboxStack) -> None:
    with psycopg.connect(stack.environ["HUB_DATABASE_URL"]) as conn:
        costs, runs = conn.execute(
            "select (select count(*) from ai_costs), (select count(*) from workflow_executions)"
        ).fetchone()
        today = conn.execute(
            "select sum(total_cost_usd) from ai_costs where created_at >= "
            "date_trunc('day', %s at time zone 'Asia/Seoul') at time zone 'Asia/Seoul'",
            (stack.now,),
        ).fetchone()[0]
        failed, finished = conn.execute(
            "select count(*) filter (where status = 'failed'), count(*) from workflow_executions "
            "where status <> 'running' and started_at >= %s - interval '15 minutes'",
            (stack.now,),
        ).fetchone()
    assert costs > 2000 and runs > 1900
    assert today > 100
    assert (failed, finished) == (6, 50)


def test_bot_database_exists_and_is_empty(stack: SandboxStack) -> None:
    with psycopg.connect(stack.environ["DATABASE_URL"]) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)


# -- Redis / BullMQ --------------------------------------------------------------------------


async def test_queue_counts_match_the_seed(stack: SandboxStack) -> None:
    for name, expected in EXPECTED_QUEUES.items():
        queue = Queue(name, {"connection": stack.environ["REDIS_URL"], "prefix": "bull"})
        try:
            counts = await queue.getJobCounts(*STATES)
        finally:
            await queue.close()
        assert {k: counts[k] for k in expected} == expected, name
        assert counts == stack.queue_counts[name]


# -- Kubernetes ------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["int", "stg", "prd"])
def test_each_cluster_has_its_previews_and_the_hub(stack: SandboxStack, env: str) -> None:
    with kube_api(stack, env) as api:
        namespaces = k8s.CoreV1Api(api).list_namespace(label_selector="rtb.io/preview=true")
        deployments = k8s.AppsV1Api(api).list_namespaced_deployment("rtb-ai-hub")
    assert {ns.metadata.name for ns in namespaces.items} == EXPECTED_PREVIEWS[env]
    assert {d.metadata.name: d.spec.replicas for d in deployments.items} == {
        "webhook-listener": 2,
        "workflow-engine": 1,
        "auth-service": 1,
    }


def test_workflow_engine_has_three_revisions_and_pino_logs(stack: SandboxStack) -> None:
    with kube_api(stack, "int") as api:
        core = k8s.CoreV1Api(api)
        sets = k8s.AppsV1Api(api).list_namespaced_replica_set("rtb-ai-hub")
        pod = core.list_namespaced_pod("rtb-ai-hub", label_selector="app=workflow-engine").items[0]
        log = core.read_namespaced_pod_log(pod.metadata.name, "rtb-ai-hub", tail_lines=50)
    revisions = sorted(
        int(rs.metadata.annotations["deployment.kubernetes.io/revision"])
        for rs in sets.items
        if rs.metadata.name.startswith("workflow-engine-")
    )
    assert revisions == [1, 2, 3]
    assert pod.spec.containers[0].image.endswith("rtb-hub:v1.42.0")
    assert '"msg":"Claude API 529 overloaded"' in log
    assert stack.kube["int"].get("scaledobjects.keda.sh", "rtb-ai-hub", "workflow-engine")


def test_expired_preview_oomkilled_pod_and_slow_start(stack: SandboxStack) -> None:
    expired = stack.kube["int"].get("namespaces", None, "preview-proj-130")
    expires = datetime.fromisoformat(expired["metadata"]["annotations"]["rtb.io/expires-at"])
    assert expires < stack.now
    with kube_api(stack, "stg") as api:
        worker = k8s.CoreV1Api(api).read_namespaced_pod("worker", "preview-proj-118")
    status = worker.status.container_statuses[0]
    assert status.last_state.terminated.reason == "OOMKilled"
    assert (status.restart_count, status.state.waiting.reason) == (3, "CrashLoopBackOff")
    with kube_api(stack, "prd") as api:
        app = k8s.CoreV1Api(api).list_namespaced_pod("preview-proj-101").items[0]
    ready = next(c for c in app.status.conditions if c.type == "Ready")
    assert (ready.last_transition_time - app.metadata.creation_timestamp).total_seconds() == 95


@pytest.mark.parametrize(("env", "allowed"), [("int", True), ("stg", True), ("prd", False)])
def test_service_account_may_create_namespaces_except_in_prd(
    stack: SandboxStack, env: str, allowed: bool
) -> None:
    review = k8s.V1SubjectAccessReview(
        spec=k8s.V1SubjectAccessReviewSpec(
            user=SA,
            resource_attributes=k8s.V1ResourceAttributes(verb="create", resource="namespaces"),
        )
    )
    with kube_api(stack, env) as api:
        answer = k8s.AuthorizationV1Api(api).create_subject_access_review(review)
    assert answer.status.allowed is allowed


# -- AWS (moto) ------------------------------------------------------------------------------


def test_int_account_has_images_alarms_and_latency(stack: SandboxStack) -> None:
    session = aws_session(stack, "int")
    ecr = session.client("ecr", endpoint_url=stack.moto.url)
    images = ecr.describe_images(repositoryName="rtb-hub")["imageDetails"]
    assert sorted(t for image in images for t in image["imageTags"]) == [
        "v1.40.0",
        "v1.41.0",
        "v1.41.1",
        "v1.42.0",
    ]
    cloudwatch = session.client("cloudwatch", endpoint_url=stack.moto.url)
    alarms = {a["AlarmName"]: a["StateValue"] for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert alarms == {"rtb-hub-bullmq-queue-depth": "ALARM", "rtb-hub-webhook-p99": "OK"}
    metrics = cloudwatch.list_metrics(Namespace="RTBHub/WebhookListener")["Metrics"]
    assert [m["MetricName"] for m in metrics] == ["Latency"]


def test_accounts_are_apart_and_reached_through_assume_role(stack: SandboxStack) -> None:
    stg = aws_session(stack, "stg")
    identity = stg.client("sts", endpoint_url=stack.moto.url).get_caller_identity()
    assert identity["Account"] == "222222222222"
    alarms = stg.client("cloudwatch", endpoint_url=stack.moto.url).describe_alarms()
    assert [a["StateValue"] for a in alarms["MetricAlarms"]] == ["INSUFFICIENT_DATA"]
    prd_ecr = aws_session(stack, "prd").client("ecr", endpoint_url=stack.moto.url)
    assert prd_ecr.describe_repositories()["repositories"] == []


def test_cost_explorer_answers_per_account(stack: SandboxStack) -> None:
    ce = aws_session(stack, "prd").client(
        "ce", endpoint_url=stack.moto.url, region_name="us-east-1"
    )
    result = ce.get_cost_and_usage(
        TimePeriod={"Start": "2026-01-01", "End": "2026-01-08"},
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
    )
    assert len(result["ResultsByTime"]) == 21  # the weekly digest compares two weeks
    assert all(
        float(day["Total"]["UnblendedCost"]["Amount"]) > 0 for day in result["ResultsByTime"]
    )


# -- the fake AWS (what moto cannot do) -----------------------------------------------------


def test_fake_aws_has_the_trail_the_logs_and_a_p99(stack: SandboxStack) -> None:
    import json  # local: this block is the fake AWS's alone
    from datetime import timedelta

    assert stack.fake_aws is not None
    session, url = aws_session(stack, "int"), stack.fake_aws.url
    events = session.client("cloudtrail", endpoint_url=url).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}],
        StartTime=stack.now - timedelta(days=30),
        EndTime=stack.now + timedelta(minutes=1),
    )["Events"]
    denied = [
        json.loads(e["CloudTrailEvent"])
        for e in events
        if "errorCode" in json.loads(e["CloudTrailEvent"])
    ]
    assert [d["errorCode"] for d in denied] == ["AccessDenied", "AccessDenied"]
    assert all("assumed-role/rtb-hub-sa/" in d["userIdentity"]["arn"] for d in denied)
    assert all(
        d["requestParameters"]["roleArn"].startswith("arn:aws:iam::333333333333:") for d in denied
    )
    logs = session.client("logs", endpoint_url=url)
    now = stack.now
    query = logs.start_query(
        logGroupName="/rtb-ai-hub/workflow-engine",
        startTime=int((now - timedelta(hours=4)).timestamp()),
        endTime=int(now.timestamp()) + 60,
        queryString='fields @timestamp, msg | filter msg like "529"',
    )
    assert len(logs.get_query_results(queryId=query["queryId"])["results"]) >= 3
    cloudwatch = session.client("cloudwatch", endpoint_url=url)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "p99",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "RTBHub/WebhookListener",
                        "MetricName": "Latency",
                        "Dimensions": [{"Name": "Service", "Value": "webhook-listener"}],
                    },
                    "Period": 300,
                    "Stat": "p99",
                },
            }
        ],
        StartTime=now - timedelta(minutes=15),
        EndTime=now + timedelta(minutes=1),
    )
    assert answer["MetricDataResults"][0]["Values"][0] > 3900  # the last 12 minutes are slow
    config = load_config(stack.environ["RTB_CONFIG"])
    assert config.aws.service_endpoints == dict.fromkeys(FAKED_AWS, url)
    assert set(FAKED_AWS) == {"cloudtrail", "logs", "cloudwatch", "oam"}


# -- configuration ---------------------------------------------------------------------------


def test_config_file_validates_and_points_at_the_servers(stack: SandboxStack) -> None:
    config = load_config(stack.environ["RTB_CONFIG"])
    assert config.aws.endpoint_url == stack.moto.url
    for env, server in stack.kube.items():
        environment = config.environments[env]
        assert environment.kube_server == server.url
        assert environment.role_arn == f"arn:aws:iam::{ACCOUNTS[env]}:role/rtb-hub-deployer"
    assert config.roles.leads.users == ("ULEAD1", "ULEAD2")
    assert config.hub.queues == ("jira-queue", "pr-review-queue", "preview-queue")
    assert set(stack.users.values()) == {"UVIEWER1", "UOPERATOR1", "UOPERATOR2", "ULEAD1", "ULEAD2"}
    assert "config file" in stack.describe()


def test_the_export_lines_give_another_shell_the_sandbox_and_its_users(stack: SandboxStack) -> None:
    exported = {}
    for line in stack.export_lines():
        assert line.startswith("export ")
        key, _, value = line.removeprefix("export ").partition("=")
        (exported[key],) = shlex.split(value)  # one shell word, whatever the value holds
    assert {k: v for k, v in exported.items() if k != CONSOLE_USERS_VARIABLE} == stack.environ
    assert parse_users(exported[CONSOLE_USERS_VARIABLE]) == stack.users
    assert "\n    export RTB_CONFIG=" in stack.describe()


def test_the_hub_api_lists_each_envs_previews_as_the_runbooks_curl_reads_them(
    stack: SandboxStack,
) -> None:
    config = load_config(stack.environ["RTB_CONFIG"])
    for env, namespaces in EXPECTED_PREVIEWS.items():
        url = f"{config.environments[env].hub_api_url}/api/previews"
        with urllib.request.urlopen(url, timeout=5) as answer:
            previews = json.load(answer)
        hub_only = {f"preview-{HUB_ONLY_PREVIEW.lower()}"} if env == "stg" else set()
        assert {f"preview-{p['id'].lower()}" for p in previews} == namespaces | hub_only
        assert all(p["env"] == env and p["createdAt"] and p["status"] for p in previews)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{stack.hub_api.url}/qa/api/previews", timeout=5)
    assert missing.value.code == 404


# -- Slack -----------------------------------------------------------------------------------


def test_the_bot_is_pointed_at_the_sandboxs_fake_slack(stack: SandboxStack) -> None:
    config = load_config(stack.environ["RTB_CONFIG"])
    assert str(config.slack_api_url) == stack.slack.base_url
    assert stack.slack.base_url.startswith("http://127.0.0.1:")
    assert f"Slack (fake)  {stack.slack.base_url}" in stack.describe()
    assert "slack.com" not in stack.describe()


def test_serve_http_against_the_sandbox_talks_to_its_fake_slack_only(
    stack: SandboxStack, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "bot.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port)],
            env=os.environ | stack.environ,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: _status(f"http://127.0.0.1:{port}/readyz") == 200, log)
        fields = slash_command(
            "help",
            user_id="UOPERATOR1",
            response_url=stack.slack.response_url(),
            trigger_id=stack.slack.trigger_id(),
        )
        body = form_body(fields)
        secret = stack.environ["SLACK_SIGNING_SECRET"]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers=signed_headers(body, secret),
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200
        stack.slack.wait_for(lambda: stack.slack.responses, timeout=20)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "rtb-ops-bot commands" in str(stack.slack.responses[-1].body)
    [asked] = stack.slack.calls_to("auth.test")  # Bolt's check of its token, at the fake
    assert asked.token == "xoxb-sandbox"


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def wait_until(condition: Callable[[], bool], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready within {timeout} s; log:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


# -- README "Security": two roles, a key, the anchor stream -----------------------------------
# (in this module's stack: moto's state is per process, so a second stack would collide)


def test_an_approved_change_in_the_sandbox_verifies_with_its_anchor(stack, capsys, monkeypatch):
    for name, value in stack.environ.items():  # boto3 reads the sandbox's fake credentials
        monkeypatch.setenv(name, value)
    asyncio.run(_approved_change(stack))
    capsys.readouterr()
    environ = stack.environ
    code = verify_audit_log(
        environ["DATABASE_URL"], environ["AUDIT_HMAC_KEYS"], str(stack.config_path)
    )
    out = capsys.readouterr()
    assert (code, out.out.strip(), out.err) == (
        0,
        "audit log intact: 4 events, anchored up to #4",
        "",
    )


async def _approved_change(stack: SandboxStack) -> None:
    settings = load_settings(stack.config_path, stack.environ)
    runtime = create_runtime(settings, retries=0)
    await runtime.start()
    try:
        assert runtime.anchor is not None
        gate = runtime.deps.gate
        spec = ScaleDeployment.build(settings.config, "prd", "preview-proj-101", "app", 0)
        asked = await gate.submit(spec, Requester("UOPERATOR1", "C_OPS", "t1"), "INC-42")
        assert isinstance(asked, ApprovalRequested)
        done = await gate.approve(asked.request.id, "ULEAD1", "t2")
        assert isinstance(done, Decided) and done.request.status == "succeeded"
    finally:
        await runtime.stop()  # anchors the last rows


def test_the_bot_role_of_the_sandbox_cannot_rewrite_its_audit_log(stack):
    with psycopg.connect(stack.environ["DATABASE_MIGRATION_URL"], autocommit=True) as owner:
        owner.execute("CREATE SCHEMA IF NOT EXISTS rtb_bot")  # the owner may create it
    with (
        psycopg.connect(stack.environ["DATABASE_URL"], autocommit=True) as bot,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        bot.execute("CREATE TABLE rtb_bot.shadow (id int)")


def test_stop_is_idempotent_and_safe_before_start() -> None:
    never_started = SandboxStack()
    never_started.stop()
    never_started.stop()

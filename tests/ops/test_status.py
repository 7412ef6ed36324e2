"""`/rtb status`'s five indicators against real Redis, PostgreSQL, moto and the fake clusters.

moto 5.2 answers a p99 GetMetricData over existing datapoints with HTTP 500, so with moto the
latency indicator is unknown and names CloudWatch while the four others are shown: the partial
answer the issue asks for. A small wire-level CloudWatch (aiohttp, AWS JSON 1.0) shows the P99
itself.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestServer
from bullmq import Queue
from structlog.testing import capture_logs

from ops.backends.container import BackendUrls, build_backends
from ops.errors import Details, Symptom
from ops.status import CLOUDWATCH, status, webhook_p99
from tests.fixtures.bot import ACCOUNTS
from tests.ops.test_executions import ago, create_hub_tables, insert_costs, insert_executions

# -- the world a status check looks at --------------------------------------------------------


async def seed_queues(redis_url):
    """jira-queue: 38 waiting + 17 prioritized = 55 (red); pr-review-queue: 3, paused."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        jira = Queue("jira-queue", {"connection": client, "prefix": "bull"})
        plans = [{}] * 38 + [{"priority": 2}] * 17 + [{"delay": 600_000}] * 4
        await jira.addBulk([{"name": "jira-auto-dev", "data": {}, "opts": p} for p in plans])
        review = Queue("pr-review-queue", {"connection": client, "prefix": "bull"})
        await review.addBulk([{"name": "pr-review", "data": {}, "opts": {}}] * 3)
        await review.pause()
    finally:
        await client.aclose()


async def seed_hub_rows(pg_url):
    """Error rate 6 of 50 = 12 % (red); AI cost today $120 (red)."""
    await create_hub_tables(pg_url)
    runs = [("jira-auto-dev", "failed", ago(minutes=10), 5_000, "Claude API 529 overloaded")] * 6
    runs += [("pr-review", "completed", ago(minutes=12), 3_000, None)] * 44
    runs += [("jira-auto-dev", "running", ago(seconds=40), None, None)]
    await insert_executions(pg_url, runs)
    await insert_costs(pg_url, [("claude-sonnet-4", "int", Decimal(30), ago(minutes=1))] * 4)


def seed_previews(kube):
    """int 2, stg 1, prd 1 active; one more in prd being deleted (not counted)."""
    previews = {"int": ["PROJ-1", "PROJ-2"], "stg": ["PROJ-3"], "prd": ["PROJ-4", "PROJ-5"]}
    for env, issues in previews.items():
        for issue in issues:
            namespace = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": f"preview-{issue.lower()}",
                    "labels": {"rtb.io/preview": "true", "rtb.io/issue-key": issue},
                },
            }
            if issue == "PROJ-5":
                namespace["status"] = {"phase": "Terminating"}
            kube[env].apply(namespace)
    kube["int"].apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rtb-ai-hub"}})


def seed_latency(aws_endpoint, values_ms=(420.0, 4_300.0)):
    """Datapoints of the latency metric in int's account (moto cannot compute their p99)."""
    sts = boto3.client("sts", region_name="ap-northeast-2", endpoint_url=aws_endpoint)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNTS['int']}:role/rtb-hub-deployer", RoleSessionName="test"
    )["Credentials"]
    cloudwatch = boto3.client(
        "cloudwatch",
        region_name="ap-northeast-2",
        endpoint_url=aws_endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    data = [
        {
            "MetricName": "Latency",
            "Dimensions": [{"Name": "Service", "Value": "webhook-listener"}],
            "Timestamp": ago(minutes=n + 1),
            "Value": value,
            "Unit": "Milliseconds",
        }
        for n, value in enumerate(values_ms)
    ]
    cloudwatch.put_metric_data(Namespace="RTBHub/WebhookListener", MetricData=data)


async def seed_world(redis_url, pg_url, kube, aws_endpoint):
    await seed_queues(redis_url)
    await seed_hub_rows(pg_url)
    seed_previews(kube)
    seed_latency(aws_endpoint)


@pytest.fixture
async def world(redis_url, pg_url, kube, aws_endpoint, aws_env):
    await seed_world(redis_url, pg_url, kube, aws_endpoint)


@pytest.fixture
async def backends_factory(bot_config, pg_url, redis_url):
    """Backends like the bot's, optionally with a broken hub database or Redis URL."""
    made = []

    async def make(config=bot_config, *, hub=pg_url, redis=redis_url):
        backends = build_backends(config, BackendUrls(pg_url, hub, redis), retries=0)
        await backends.open()
        made.append(backends)
        return backends

    yield make
    for backends in made:
        await backends.close()


def by_key(report):
    return {indicator.key: indicator for indicator in report.indicators}


# -- a wire-level CloudWatch (AWS JSON 1.0, the protocol botocore picks for CloudWatch) --------


class FakeCloudWatch:
    """Answers GetMetricData with the given points (newest first); records the requests."""

    def __init__(self, points):
        self.points = points
        self.requests = []
        self.authorizations = []
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        self.server = TestServer(app)

    async def handle(self, request):
        target = request.headers.get("X-Amz-Target", "")
        self.requests.append((target, json.loads(await request.read())))
        self.authorizations.append(request.headers.get("Authorization", ""))
        if target != "GraniteServiceVersion20100801.GetMetricData":
            return web.json_response({"__type": "UnknownOperationException"}, status=400)
        result = {
            "Id": "p99",
            "Label": "Latency",
            "Timestamps": [at.timestamp() for at, _ in self.points],
            "Values": [value for _, value in self.points],
            "StatusCode": "Complete",
        }
        return web.json_response(
            {"MetricDataResults": [result], "Messages": []},
            content_type="application/x-amz-json-1.0",
        )

    @property
    def url(self):
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def fake_cloudwatch():
    fake = FakeCloudWatch([])
    await fake.server.start_server()
    try:
        yield fake
    finally:
        await fake.server.close()


def with_cloudwatch_at(config, url):
    """CloudWatch sent to `url`; everything else (STS AssumeRole into int) still to moto."""
    aws = config.aws.model_copy(update={"service_endpoints": {"cloudwatch": url}})
    return config.model_copy(update={"aws": aws})


# -- tests ------------------------------------------------------------------------------------


async def test_four_indicators_are_shown_when_cloudwatch_cannot_answer_p99(world, backends_factory):
    report = await status(await backends_factory())
    indicators = by_key(report)

    latency = indicators["webhook_p99"]
    assert latency.state == "unknown" and latency.value is None
    assert [(f.backend, f.reason) for f in latency.failures] == [(CLOUDWATCH, "500 (HTTP 500)")]

    waiting = indicators["waiting_jobs"]
    assert (waiting.value, waiting.threshold, waiting.state) == (55, 50, "red")  # jira-queue
    assert report.queues.pending == 58  # the total, shown beside
    assert report.queues.paused == ("pr-review-queue",)
    rate = indicators["error_rate"]
    assert (rate.value, rate.state) == (pytest.approx(12.0), "red")
    assert (report.error_rate.finished, report.error_rate.failed) == (50, 6)
    cost = indicators["ai_cost_today"]
    assert (cost.value, cost.threshold, cost.state) == (120.0, 100.0, "red")
    previews = indicators["active_previews"]
    assert (previews.value, previews.state) == (4, "green")
    assert report.previews.per_env == (("int", 2), ("stg", 1), ("prd", 1))


async def test_env_narrows_only_the_previews(world, backends_factory):
    report = await status(await backends_factory(), "prd")
    indicators = by_key(report)
    assert report.previews.per_env == (("prd", 1),)
    assert indicators["active_previews"].value == 1
    assert indicators["waiting_jobs"].value == 55  # the hub's own services are int's


async def test_p99_from_a_wire_level_cloudwatch(
    world, bot_config, backends_factory, fake_cloudwatch
):
    now = datetime.now(UTC).replace(microsecond=0)
    fake_cloudwatch.points = [
        (now - timedelta(minutes=5), 4210.0),
        (now - timedelta(minutes=10), 800.0),
    ]
    backends = await backends_factory(config=with_cloudwatch_at(bot_config, fake_cloudwatch.url))

    report = await status(backends)

    latency = by_key(report)["webhook_p99"]
    assert (latency.value, latency.state) == (pytest.approx(4.21), "red")
    assert report.latency.at == now - timedelta(minutes=5)
    ((target, body),) = fake_cloudwatch.requests
    assert target == "GraniteServiceVersion20100801.GetMetricData"
    # signed with the credentials of the role assumed in int, not the bot's own
    assert "Credential=" in fake_cloudwatch.authorizations[0]
    assert "Credential=testing/" not in fake_cloudwatch.authorizations[0]
    stat = body["MetricDataQueries"][0]["MetricStat"]
    assert stat["Stat"] == "p99" and stat["Period"] == 300
    assert stat["Metric"] == {
        "Namespace": "RTBHub/WebhookListener",
        "MetricName": "Latency",
        "Dimensions": [{"Name": "Service", "Value": "webhook-listener"}],
    }
    assert body["EndTime"] - body["StartTime"] == 900
    assert all(i.state != "unknown" for i in report.indicators)


async def test_no_recent_datapoint_is_unknown_with_the_reason(
    bot_config, backends_factory, fake_cloudwatch
):
    backends = await backends_factory(config=with_cloudwatch_at(bot_config, fake_cloudwatch.url))
    with pytest.raises(Exception) as error:
        await webhook_p99(backends)
    assert error.value.backend == CLOUDWATCH
    assert error.value.reason == "no datapoints in the last 15 min"
    assert error.value.details == Details(Symptom.NO_DATAPOINTS, seconds=15 * 60)


async def test_redis_down_leaves_only_the_queue_indicator_unknown(world, backends_factory):
    report = await status(await backends_factory(redis="redis://127.0.0.1:1/0"))
    indicators = by_key(report)
    waiting = indicators["waiting_jobs"]
    assert waiting.state == "unknown"
    assert [(f.backend, f.reason) for f in waiting.failures] == [("Redis", "cannot connect")]
    assert indicators["error_rate"].state == "red" and indicators["active_previews"].value == 4


async def test_hub_database_down_leaves_its_two_indicators_unknown(world, backends_factory):
    report = await status(await backends_factory(hub="postgresql://postgres@127.0.0.1:1/hub"))
    indicators = by_key(report)
    for key in ("error_rate", "ai_cost_today"):
        assert indicators[key].state == "unknown"
        assert indicators[key].failures[0].backend == "PostgreSQL (hub)"
    assert indicators["waiting_jobs"].value == 55


async def test_a_hub_database_without_its_tables_is_a_backend_failure_not_a_traceback(
    world, backends_factory, postgres_server
):
    """A hub whose tables are missing (or not granted) answered: its two indicators are
    unknown with a backend's failure, and no traceback is logged on every threshold pass."""
    empty_hub = postgres_server.create_database(f"hub_without_tables_{uuid.uuid4().hex[:8]}")
    with capture_logs() as logs:
        report = await status(await backends_factory(hub=empty_hub))
    indicators = by_key(report)
    for key in ("error_rate", "ai_cost_today"):
        failure = indicators[key].failures[0]
        assert indicators[key].state == "unknown" and failure.backend == "PostgreSQL (hub)"
        assert failure.details.symptom is not Symptom.UNEXPECTED
    assert [entry for entry in logs if entry["log_level"] == "error"] == []
    assert indicators["waiting_jobs"].value == 55


async def test_one_cluster_failing_gives_a_partial_preview_count(world, kube, backends_factory):
    kube["prd"].inject_fault(
        method="GET", path_regex="^/api/v1/namespaces$", status=500, count=None
    )
    report = await status(await backends_factory())
    previews = by_key(report)["active_previews"]
    assert previews.value == 3 and previews.state == "unknown"  # 3 ≤ 15, but prd is missing
    assert [(f.backend, f.reason) for f in previews.failures] == [
        ("Kubernetes prd", "HTTP 500 Internal Server Error")
    ]


async def test_a_hung_cluster_costs_its_timeout_not_the_answer(world, kube, backends_factory):
    """Generous timeouts: only the held cluster may time out, not a healthy one slowed by a
    loaded machine (a short timeout made all three fail under load)."""
    backends = await backends_factory()
    await status(backends)  # warm: clients built, roles assumed
    kube["stg"].inject_fault(method="GET", status=None, hold=True, count=None)
    report = await status(backends)
    assert kube["stg"].held_requests >= 1  # answered while stg still held its request
    kube["stg"].release_held()
    previews = by_key(report)["active_previews"]
    assert previews.value == 3
    assert previews.failures[0].backend == "Kubernetes stg"
    assert f"{backends.config.timeouts.backend_seconds:g} s" in previews.failures[0].reason


async def test_waiting_jobs_are_judged_per_queue_like_the_runbook_alarm(
    redis_url, backends_factory
):
    """30 + 30 in two queues: 60 together, but no queue is over 50, so no alarm would fire
    (`WaitingJobs` per QueueName); /rtb status used to compare the sum and say red."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        for name in ("jira-queue", "pr-review-queue"):
            queue = Queue(name, {"connection": client, "prefix": "bull"})
            await queue.addBulk([{"name": "job", "data": {}, "opts": {}}] * 30)
    finally:
        await client.aclose()
    report = await status(await backends_factory())
    waiting = by_key(report)["waiting_jobs"]
    assert (waiting.value, waiting.state) == (30, "green")
    assert report.queues.pending == 60

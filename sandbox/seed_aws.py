"""AWS state of the three accounts, seeded into one moto server.

Every account is reached as the bot reaches it: STS AssumeRole into
`arn:aws:iam::<account>:role/rtb-hub-deployer` (moto keeps accounts apart by the assumed
credentials). Region ap-northeast-2.

* int: metric `RTBHub/WebhookListener` `Latency` (Service=webhook-listener, ms, one point a
  minute for 3 hours; 350–900 ms, then ~4,200 ms in the last 12 minutes); alarms
  `rtb-hub-bullmq-queue-depth` (ALARM) and `rtb-hub-webhook-p99` (OK), both notifying the SNS
  topic `rtb-hub-alerts`; ECR repository `rtb-hub` with v1.40.0, v1.41.0, v1.41.1, v1.42.0.
* stg: alarm `rtb-hub-stg-preview-pod-restarts` (INSUFFICIENT_DATA).
* every account: Cost Explorer answers with 21 days of daily Fargate preview cost (by usage
  type); stg's weeks before the last were ~30 % cheaper.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3

REGION = "ap-northeast-2"
ROLE_NAME = "rtb-hub-deployer"
SESSION_NAME = "rtb-sandbox-seed"
BASE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

LATENCY_NAMESPACE = "RTBHub/WebhookListener"
LATENCY_METRIC = "Latency"
LATENCY_DIMENSIONS = {"Service": "webhook-listener"}
LATENCY_HOURS = 3
LATENCY_NORMAL_MS = (350.0, 900.0)
LATENCY_SLOW_MS = (3_900.0, 4_500.0)
LATENCY_SLOW_MINUTES = 12
METRIC_BATCH = 500

TOPIC_NAME = "rtb-hub-alerts"
ECR_REPOSITORY = "rtb-hub"
ECR_TAGS = ("v1.40.0", "v1.41.0", "v1.41.1", "v1.42.0")
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"

# Daily Fargate cost of the preview namespaces (tag env: preview), USD, per env.
FARGATE_DAILY_USD = {"int": 7.80, "stg": 5.10, "prd": 6.40}
FARGATE_DAY_FACTORS = (0.92, 1.05, 0.98, 1.10, 0.87, 1.02, 1.06)  # the last 7 days, oldest first
# The 7 days before those (the weekly digest compares the weeks): stg's previews grew by ~40 %.
FARGATE_WEEK_BEFORE = {"int": 1.0, "stg": 0.7, "prd": 1.05}
FARGATE_USAGE_SHARES = (("APN2-Fargate-vCPU-Hours:perCPU", 0.8), ("APN2-Fargate-GB-Hours", 0.2))
CE_RESULT_COPIES = 4  # moto answers each distinct request with the next queued result
CE_METRICS = ("UnblendedCost", "BlendedCost", "AmortizedCost")


@dataclass(frozen=True)
class Alarm:
    name: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    threshold: float
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str = ""
    statistic: str = "Maximum"  # or an extended statistic such as "p99"
    notify: bool = True
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


ALARMS: dict[str, tuple[Alarm, ...]] = {
    "int": (
        Alarm(
            "rtb-hub-bullmq-queue-depth",
            "RTBHub/BullMQ",
            "WaitingJobs",
            {"Queue": "jira-queue"},
            50,
            "ALARM",
            "Threshold Crossed: 1 out of the last 1 datapoints [55.0] was greater than the "
            "threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).",
            description="BullMQ jira-queue waiting + prioritized jobs > 50",
        ),
        Alarm(
            "rtb-hub-webhook-p99",
            LATENCY_NAMESPACE,
            LATENCY_METRIC,
            LATENCY_DIMENSIONS,
            3000,
            "OK",
            "Threshold Crossed: 3 out of the last 3 datapoints were not greater than the "
            "threshold (3000.0).",
            statistic="p99",
            description="webhook-listener P99 latency > 3 s",
        ),
    ),
    "stg": (
        Alarm(
            "rtb-hub-stg-preview-pod-restarts",
            "ContainerInsights",
            "pod_number_of_container_restarts",
            {"ClusterName": "rtb-stg"},
            3,
            "INSUFFICIENT_DATA",
            "Insufficient Data: 3 datapoints were unknown.",
            notify=False,
            description="preview pods restarting in stg",
        ),
    ),
}


ANCHOR_LOG_GROUP = "/rtb-ops-bot/audit-anchor"
ANCHOR_LOG_STREAM = "audit-chain-head"


def seed_aws(endpoint_url: str, accounts: dict[str, str], *, now: datetime) -> None:
    """Seed every env's account; `accounts` maps env name (int/stg/prd) to account id."""
    now = now.astimezone(UTC)
    for env, account in accounts.items():
        session = assumed_session(endpoint_url, account)
        topic_arn = seed_topic(session, endpoint_url) if env == "int" else None
        seed_alarms(session, endpoint_url, ALARMS.get(env, ()), topic_arn)
        if env == "int":
            seed_latency(session, endpoint_url, now)
            seed_ecr(session, endpoint_url)
            seed_anchor_stream(session, endpoint_url)
        daily = FARGATE_DAILY_USD.get(env, 5.0)
        before = FARGATE_WEEK_BEFORE.get(env, 1.0)
        seed_cost_explorer(endpoint_url, account, daily, now, before)


def seed_anchor_stream(session: boto3.Session, endpoint_url: str) -> None:
    """The audit chain's anchor stream (README: Security), in int as an operator makes it."""
    logs = session.client("logs", endpoint_url=endpoint_url)
    logs.create_log_group(logGroupName=ANCHOR_LOG_GROUP)
    logs.create_log_stream(logGroupName=ANCHOR_LOG_GROUP, logStreamName=ANCHOR_LOG_STREAM)


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ROLE_NAME}"


def assumed_session(endpoint_url: str, account: str) -> boto3.Session:
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint_url, **BASE_CREDENTIALS)
    creds = sts.assume_role(RoleArn=role_arn(account), RoleSessionName=SESSION_NAME)
    c = creds["Credentials"]
    return boto3.Session(
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
        region_name=REGION,
    )


def seed_topic(session: boto3.Session, endpoint_url: str) -> str:
    sns = session.client("sns", endpoint_url=endpoint_url)
    return str(sns.create_topic(Name=TOPIC_NAME)["TopicArn"])


def seed_alarms(
    session: boto3.Session, endpoint_url: str, alarms: Sequence[Alarm], topic_arn: str | None
) -> None:
    cloudwatch = session.client("cloudwatch", endpoint_url=endpoint_url)
    for alarm in alarms:
        cloudwatch.put_metric_alarm(**alarm_args(alarm, topic_arn))
        cloudwatch.set_alarm_state(
            AlarmName=alarm.name, StateValue=alarm.state, StateReason=alarm.reason
        )


def alarm_args(alarm: Alarm, topic_arn: str | None) -> dict[str, Any]:
    stat = (
        {"Statistic": alarm.statistic}
        if not alarm.statistic.startswith("p")
        else {"ExtendedStatistic": alarm.statistic}
    )
    actions = [topic_arn] if alarm.notify and topic_arn else []
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "Namespace": alarm.namespace,
        "MetricName": alarm.metric,
        "Dimensions": [{"Name": k, "Value": v} for k, v in alarm.dimensions.items()],
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 1,
        "Threshold": alarm.threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "missing",
        "AlarmActions": actions,
        "OKActions": actions,
        **stat,
        **alarm.extra,
    }


def latency_points(now: datetime, rng: random.Random) -> list[tuple[datetime, float]]:
    """One value a minute for the last 3 hours; the last 12 minutes are slow (~4.2 s)."""
    minutes = LATENCY_HOURS * 60
    points = []
    for ago in range(minutes, 0, -1):
        bounds = LATENCY_SLOW_MS if ago <= LATENCY_SLOW_MINUTES else LATENCY_NORMAL_MS
        points.append((now - timedelta(minutes=ago), round(rng.uniform(*bounds), 1)))
    return points


def seed_latency(session: boto3.Session, endpoint_url: str, now: datetime) -> None:
    cloudwatch = session.client("cloudwatch", endpoint_url=endpoint_url)
    dims = [{"Name": k, "Value": v} for k, v in LATENCY_DIMENSIONS.items()]
    rng = random.Random(11)  # noqa: S311 (deterministic fixture data)
    data = [
        {
            "MetricName": LATENCY_METRIC,
            "Dimensions": dims,
            "Timestamp": at,
            "Value": value,
            "Unit": "Milliseconds",
        }
        for at, value in latency_points(now, rng)
    ]
    for start in range(0, len(data), METRIC_BATCH):
        cloudwatch.put_metric_data(
            Namespace=LATENCY_NAMESPACE, MetricData=data[start : start + METRIC_BATCH]
        )


def manifest(tag: str) -> str:
    def digest(kind: str) -> str:
        return "sha256:" + hashlib.sha256(f"rtb-hub:{tag}:{kind}".encode()).hexdigest()

    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": digest("config"),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32_654_321,
                    "digest": digest("layer"),
                }
            ],
        }
    )


def seed_ecr(session: boto3.Session, endpoint_url: str) -> None:
    ecr = session.client("ecr", endpoint_url=endpoint_url)
    ecr.create_repository(repositoryName=ECR_REPOSITORY)
    for tag in ECR_TAGS:
        ecr.put_image(
            repositoryName=ECR_REPOSITORY,
            imageManifest=manifest(tag),
            imageTag=tag,
            imageManifestMediaType=MANIFEST_TYPE,
        )


def cost_result(daily_usd: float, now: datetime, week_before: float = 1.0) -> dict[str, Any]:
    """A GetCostAndUsage result: the 21 full UTC days before `now` (the weekly digest of last
    Monday compares two weeks that end up to 6 days ago), each with its total and its Fargate
    usage types (the weekly digest groups by USAGE_TYPE; `/rtb costs` reads the total)."""
    today = now.date()
    older = [f * week_before for f in FARGATE_DAY_FACTORS]
    factors = older + older + list(FARGATE_DAY_FACTORS)
    days = [today - timedelta(days=n) for n in range(len(factors), 0, -1)]
    by_time = []
    for day, factor in zip(days, factors, strict=True):
        amount = round(daily_usd * factor, 4)
        groups = [
            {
                "Keys": [usage],
                "Metrics": {
                    m: {"Amount": f"{amount * share:.4f}", "Unit": "USD"} for m in CE_METRICS
                },
            }
            for usage, share in FARGATE_USAGE_SHARES
        ]
        by_time.append(
            {
                "TimePeriod": {
                    "Start": day.isoformat(),
                    "End": (day + timedelta(days=1)).isoformat(),
                },
                "Total": {
                    metric: {"Amount": f"{amount:.4f}", "Unit": "USD"} for metric in CE_METRICS
                },
                "Groups": groups,
                "Estimated": False,
            }
        )
    return {"ResultsByTime": by_time, "DimensionValueAttributes": []}


def seed_cost_explorer(
    endpoint_url: str, account: str, daily_usd: float, now: datetime, week_before: float = 1.0
) -> None:
    result = cost_result(daily_usd, now, week_before)
    body = {"account_id": account, "results": [result] * CE_RESULT_COPIES}
    url = urlsplit(endpoint_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        conn.request(
            "POST",
            "/moto-api/static/ce/cost-and-usage-results",
            json.dumps(body),
            {"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    if response.status != 201:
        raise RuntimeError(f"moto refused the Cost Explorer seed: HTTP {response.status}")

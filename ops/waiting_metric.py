"""`RTBHub/BullMQ` `WaitingJobs`: published every minute for the runbook's queue-depth alarm,
and the alarm definitions that read it (`rtb-bot alarms plan`).

"Waiting" is what an operator means by it, BullMQ's `wait` + `prioritized` (`QueueCounts.pending`;
`LLEN …:wait` misses prioritized jobs). One datapoint per configured queue (dimension
`QueueName`) and one without dimensions for every queue together (the runbook's example alarm
names no dimension: it reads the total). The alarms the plan prints are per queue, like the
bot's own judgement: 30 + 30 in two queues is no backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.backends.container import Backends
from ops.config import Config, IndicatorName
from ops.queues import QueuesOverview, all_queue_counts, bull_queues

METRIC = "WaitingJobs"
QUEUE_DIMENSION = "QueueName"
ALARM_PREFIX = "rtb-hub-bullmq-queue-depth"
PERIOD_SECONDS = 60
CLOUDWATCH = "AWS int CloudWatch"  # a name


@dataclass(frozen=True)
class PublishedWaitingJobs:
    at: datetime
    per_queue: tuple[tuple[str, int], ...]
    total: int


async def publish_waiting_jobs(backends: Backends, at: datetime) -> PublishedWaitingJobs:
    """Count every configured queue (Redis), then one PutMetricData in the int account."""
    overview = await all_queue_counts(bull_queues(backends), backends.config.hub.queues)
    data = metric_data(overview, at)
    namespace = backends.config.threshold_alerts.metric_namespace
    timeout = backends.config.timeouts.backend_seconds
    await backends.blocking.run(CLOUDWATCH, timeout, _put, backends, namespace, data)
    per_queue = tuple((q.name, q.pending) for q in overview.queues)
    return PublishedWaitingJobs(at, per_queue, overview.pending)


def metric_data(overview: QueuesOverview, at: datetime) -> list[dict[str, Any]]:
    """PutMetricData's MetricData: every queue, then the total (at most 1000 a call: the
    configured queues are a handful)."""
    data = [
        _datum(q.pending, at, [{"Name": QUEUE_DIMENSION, "Value": q.name}]) for q in overview.queues
    ]
    data.append(_datum(overview.pending, at, []))
    return data


def _datum(value: int, at: datetime, dimensions: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "MetricName": METRIC,
        "Dimensions": dimensions,
        "Timestamp": at,
        "Value": float(value),
        "Unit": "Count",
    }


def _put(backends: Backends, namespace: str, data: list[dict[str, Any]]) -> None:
    client = backends.aws.client("int", "cloudwatch")
    client.put_metric_data(Namespace=namespace, MetricData=data)


def planned_alarms(config: Config) -> list[dict[str, Any]]:
    """The runbook §3.1 queue-depth alarm, one per configured queue, as PutMetricAlarm's
    parameters (what infrastructure code declares): WaitingJobs > thresholds.waiting_jobs for
    threshold_alerts.consecutive periods of 60 s, to the alerts topic."""
    topic = config.threshold_alerts.alarm_topic_arn or _default_topic(config)
    return [_queue_alarm(config, queue, topic) for queue in config.hub.queues]


def planned_alarm_names(config: Config) -> tuple[str, ...]:
    return tuple(alarm_name(queue) for queue in config.hub.queues)


def alarm_name(queue: str) -> str:
    return f"{ALARM_PREFIX}-{queue}"


def indicator_of_alarm(config: Config, name: str) -> IndicatorName | None:
    """The §3.1 indicator a CloudWatch alarm watches: one listed in `threshold_alerts.alarms`,
    a planned queue-depth alarm, or the runbook's own (dimensionless) queue-depth alarm."""
    for indicator, names in config.threshold_alerts.alarms.items():
        if name in names:
            return indicator
    if name == ALARM_PREFIX or name in planned_alarm_names(config):
        return "waiting_jobs"
    return None


def bot_owns_alarm(config: Config, name: str) -> bool:
    """True when the bot itself alerts on what this alarm watches: the incident intake then
    leaves the alarm's notification alone, so the two never both alert."""
    indicator = indicator_of_alarm(config, name)
    return indicator is not None and config.threshold_alerts.owner(indicator) == "bot"


def _description(queue: str, limit: int) -> str:
    """Read in the AWS console, in English like the alarm's name."""
    return f"BullMQ {queue}: more than {limit} waiting jobs (runbook §3.1)"  # internal: AWS's


def _queue_alarm(config: Config, queue: str, topic: str) -> dict[str, Any]:
    limit = config.thresholds.waiting_jobs
    return {
        "AlarmName": alarm_name(queue),
        "AlarmDescription": _description(queue, limit),
        "Namespace": config.threshold_alerts.metric_namespace,
        "MetricName": METRIC,
        "Dimensions": [{"Name": QUEUE_DIMENSION, "Value": queue}],
        "Statistic": "Maximum",
        "Period": PERIOD_SECONDS,
        "EvaluationPeriods": config.threshold_alerts.consecutive,
        "Threshold": float(limit),
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "missing",
        "AlarmActions": [topic],
        "OKActions": [topic],
    }


def _default_topic(config: Config) -> str:
    env = config.environments["int"]
    return f"arn:aws:sns:{env.region}:{env.account_id}:rtb-hub-alerts"

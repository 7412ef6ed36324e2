"""`/rtb status`: the five indicators of runbook §3.1, every source asked at once.

webhook-listener P99 latency (int CloudWatch), BullMQ waiting jobs (Redis), workflow-engine
error rate and AI cost today (hub PostgreSQL), active previews (each env's cluster). Each
source has its own timeout; one that fails leaves its indicator unknown, with the reason,
and never the whole answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.config import EnvName, IndicatorName
from ops.costs import HUB_DB, DailyCost, ai_cost_today
from ops.errors import BackendError, Details, Symptom
from ops.executions import ErrorRate, error_rate
from ops.fanout import Failed, Part, gather_parts
from ops.previews import preview_namespaces
from ops.queues import QueuesOverview, all_queue_counts, bull_queues

IndicatorKey = IndicatorName
State = Literal["green", "red", "unknown"]
CLOUDWATCH = "AWS int CloudWatch"  # a name: the central observability account (runbook §2)
REDIS = "Redis"
LATENCY_PERIODS = 3  # look back this many periods for the newest P99 datapoint


@dataclass(frozen=True)
class Indicator:
    key: IndicatorKey
    threshold: float
    value: float | None = None  # None: no source answered
    failures: tuple[Failed, ...] = ()  # with a value: part of it is missing (some envs)

    @property
    def state(self) -> State:
        if self.value is None:
            return "unknown"
        if self.value > self.threshold:
            return "red"
        return "unknown" if self.failures else "green"


@dataclass(frozen=True)
class LatencyP99:
    seconds: float
    at: datetime
    period_seconds: int


@dataclass(frozen=True)
class PreviewCounts:
    per_env: tuple[tuple[EnvName, int], ...]  # the envs that answered

    @property
    def total(self) -> int:
        return sum(count for _, count in self.per_env)


@dataclass(frozen=True)
class StatusReport:
    env: EnvName | None  # filters the previews indicator only
    checked_at: datetime
    indicators: tuple[Indicator, ...]
    latency: LatencyP99 | None
    queues: QueuesOverview | None
    error_rate: ErrorRate | None
    cost_today: DailyCost | None
    previews: PreviewCounts


async def status(
    backends: Backends, env: EnvName | None = None, *, actor: Actor = BOT
) -> StatusReport:
    config = backends.config
    timeout = config.timeouts.backend_seconds
    envs = (env,) if env else tuple(config.environments)
    calls: dict[str, Awaitable[Any]] = {
        CLOUDWATCH: webhook_p99(backends, actor=actor),
        REDIS: all_queue_counts(bull_queues(backends), config.hub.queues),
        HUB_DB: _hub_numbers(backends),
    }
    for name in envs:
        calls[_kube_name(name)] = count_preview_namespaces(backends, name, actor=actor)
    parts = await gather_parts(calls, timeout)
    return _report(backends, env, envs, parts)


def _report(
    backends: Backends,
    env: EnvName | None,
    envs: tuple[EnvName, ...],
    parts: dict[str, Part[Any]],
) -> StatusReport:
    limits = backends.config.thresholds
    latency: LatencyP99 | None = parts[CLOUDWATCH].value
    queues: QueuesOverview | None = parts[REDIS].value
    hub: tuple[ErrorRate, DailyCost] | None = parts[HUB_DB].value
    rate, cost = hub if hub is not None else (None, None)
    previews, previews_indicator = _previews(limits.active_previews, envs, parts)
    indicators = (
        _indicator(
            "webhook_p99",
            limits.webhook_p99_seconds,
            parts[CLOUDWATCH],
            None if latency is None else latency.seconds,
        ),
        _indicator(
            "waiting_jobs",
            limits.waiting_jobs,
            parts[REDIS],
            _busiest_pending(queues),
        ),
        _indicator(
            "error_rate",
            limits.error_rate_percent,
            parts[HUB_DB],
            None if rate is None else rate.percent,
        ),
        _indicator(
            "ai_cost_today",
            limits.ai_cost_daily_usd,
            parts[HUB_DB],
            None if cost is None else float(cost.total_usd),
        ),
        previews_indicator,
    )
    return StatusReport(env, datetime.now(UTC), indicators, latency, queues, rate, cost, previews)


def _busiest_pending(queues: QueuesOverview | None) -> int | None:
    """Judged per queue, like the runbook's alarm; no queue configured is 0 waiting."""
    if queues is None:
        return None
    busiest = queues.busiest
    return 0 if busiest is None else busiest.pending


def _previews(
    threshold: float, envs: tuple[EnvName, ...], parts: dict[str, Part[Any]]
) -> tuple[PreviewCounts, Indicator]:
    """Counted in the envs that answered; the others are named (a partial count)."""
    counted = tuple((e, int(parts[_kube_name(e)].value or 0)) for e in envs if _ok(parts, e))
    failures = tuple(_kube_failure(parts, e) for e in envs if not _ok(parts, e))
    counts = PreviewCounts(counted)
    value = float(counts.total) if counted else None
    return counts, Indicator("active_previews", threshold, value, failures)


def _indicator(
    key: IndicatorKey, threshold: float, part: Part[Any], value: float | None
) -> Indicator:
    if part.failure is not None:
        return Indicator(key, threshold, None, (part.failure,))
    return Indicator(key, threshold, None if value is None else float(value))


def _ok(parts: dict[str, Part[Any]], env: EnvName) -> bool:
    return parts[_kube_name(env)].ok


def _kube_failure(parts: dict[str, Part[Any]], env: EnvName) -> Failed:
    """One spelling of the cluster's name, whether it failed itself or timed out here."""
    failure = parts[_kube_name(env)].failure
    assert failure is not None
    return replace(failure, backend=_kube_name(env))


def _kube_name(env: EnvName) -> str:
    return f"Kubernetes {env}"


async def _hub_numbers(backends: Backends) -> tuple[ErrorRate, DailyCost]:
    db = backends.hub_db
    window = timedelta(minutes=backends.config.hub.error_rate_window_minutes)
    rate, cost = await asyncio.gather(
        error_rate(db, window), ai_cost_today(db, backends.config.timezone)
    )
    return rate, cost


async def count_preview_namespaces(backends: Backends, env: EnvName, *, actor: Actor = BOT) -> int:
    """Preview namespaces in `env` that are not being deleted: one call per env.

    `ops.previews.list_previews` would also list every preview's pods (a second round trip),
    which /rtb status does not need.
    """
    namespaces = await preview_namespaces(backends, env, actor=actor)
    return sum(1 for ns in namespaces if not _terminating(ns))


def _terminating(namespace: Mapping[str, Any]) -> bool:
    deleting = (namespace.get("metadata") or {}).get("deletionTimestamp")
    return bool(deleting) or (namespace.get("status") or {}).get("phase") == "Terminating"


async def webhook_p99(
    backends: Backends, *, actor: Actor = BOT, now: datetime | None = None
) -> LatencyP99:
    """The newest P99 datapoint of the configured latency metric (milliseconds → seconds)."""
    metric = backends.config.latency_metric
    end = now or datetime.now(UTC)
    start = end - timedelta(seconds=metric.period_seconds * LATENCY_PERIODS)
    answer = await backends.blocking.run(
        CLOUDWATCH,
        backends.config.timeouts.backend_seconds,
        _get_p99,
        backends,
        actor,
        start,
        end,
    )
    points = sorted(zip(answer["Timestamps"], answer["Values"], strict=True), reverse=True)
    if not points:
        minutes = metric.period_seconds * LATENCY_PERIODS // 60
        reason = f"no datapoints in the last {minutes} min"  # internal: the log's reason
        told = Details(Symptom.NO_DATAPOINTS, seconds=minutes * 60)
        raise BackendError(CLOUDWATCH, reason, details=told)
    at, milliseconds = points[0]
    return LatencyP99(float(milliseconds) / 1000.0, at, metric.period_seconds)


def _get_p99(backends: Backends, actor: Actor, start: datetime, end: datetime) -> dict[str, Any]:
    metric = backends.config.latency_metric
    dimensions = [{"Name": k, "Value": v} for k, v in metric.dimensions.items()]
    answer = backends.aws.client("int", "cloudwatch", actor).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "p99",
                "MetricStat": {
                    "Metric": {
                        "Namespace": metric.namespace,
                        "MetricName": metric.metric,
                        "Dimensions": dimensions,
                    },
                    "Period": metric.period_seconds,
                    "Stat": "p99",
                },
                "ReturnData": True,
            }
        ],
        StartTime=start,
        EndTime=end,
        ScanBy="TimestampDescending",
    )
    results = answer.get("MetricDataResults") or [{}]
    return {"Timestamps": results[0].get("Timestamps", []), "Values": results[0].get("Values", [])}

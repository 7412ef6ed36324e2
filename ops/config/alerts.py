"""What alerts without being asked: the preview pod watcher and the §3.1 indicator watch."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ops.config.shapes import Strict


class PodWatch(Strict):
    """The preview pod watcher (runbook §3.1/§3.2): one Kubernetes watch per env, in `serve`.
    The slow-start threshold is `thresholds.pod_start_seconds`."""

    enabled: bool = Field(True, description="Watch preview pods in every configured env.")
    fold_minutes: int = Field(
        10,
        ge=1,
        le=24 * 60,
        description="OOMKilled restarts of the same container within this many minutes of its "
        "first alert are folded into that alert (its count goes up) instead of a new one.",
    )
    recent_minutes: int = Field(
        10,
        ge=1,
        le=24 * 60,
        description="A pod found by a (re-)list, not by a watch event, alerts only when its "
        "OOMKill or its Ready came this recently (a bot start does not replay old news).",
    )
    watch_seconds: int = Field(
        300,
        ge=10,
        le=3600,
        description="One watch request's server-side timeout; the watch then resumes from "
        "the last resourceVersion seen.",
    )
    max_backoff_seconds: float = Field(
        30.0, gt=0, le=600, description="Longest wait between retries of a failing watch."
    )


IndicatorName = Literal[
    "webhook_p99", "waiting_jobs", "error_rate", "ai_cost_today", "active_previews"
]
IndicatorOwner = Literal["bot", "cloudwatch"]


def _default_owners() -> dict[IndicatorName, IndicatorOwner]:
    return {"waiting_jobs": "cloudwatch"}


class ThresholdAlerts(Strict):
    """The bot watching the five §3.1 indicators (`handlers/threshold_jobs.py`) and the
    `RTBHub/BullMQ` `WaitingJobs` metric it publishes for the runbook's alarm."""

    every_minutes: int = Field(
        1,
        ge=1,
        le=30,
        description="How often one replica evaluates the indicators (cron */N: a divisor of "
        "60 keeps the spacing even).",
    )
    consecutive: int = Field(
        2,
        ge=1,
        le=10,
        description="Evaluations in a row over a threshold before it alerts, and under it "
        "before the recovery (like the runbook alarm's EvaluationPeriods: 2).",
    )
    reminder_hours: float = Field(
        24.0, gt=0, le=24 * 7, description="Still over after this long: one reminder a period."
    )
    owners: dict[IndicatorName, IndicatorOwner] = Field(
        default_factory=_default_owners,
        description="Who alerts for an indicator: bot (for any not listed) or cloudwatch (a "
        "CloudWatch alarm reaching the bot through the incident intake owns it; the evaluator "
        "stays silent on it), so the two never both alert. Default: waiting jobs belong to the "
        "runbook's own alarm (rtb-hub-bullmq-queue-depth → SNS → an incident card, where the "
        "backlog is worked; the bot publishes the WaitingJobs metric it needs), the other four "
        "to the bot.",
    )
    alarms: dict[IndicatorName, tuple[str, ...]] = Field(
        default_factory=dict,
        description="CloudWatch alarms that watch an indicator, by name (the queue-depth "
        "alarms of `rtb-bot alarms plan` are known without it): the incident intake leaves "
        "them to the bot while the bot owns the indicator.",
    )
    publish_waiting_jobs: bool = Field(
        True, description="Publish RTBHub/BullMQ WaitingJobs every minute (int account)."
    )
    metric_namespace: str = Field("RTBHub/BullMQ", description="Namespace of WaitingJobs.")
    alarm_topic_arn: str | None = Field(
        None,
        pattern=r"^arn:aws:sns:[a-z0-9-]+:\d{12}:[\w-]+$",
        description="SNS topic of the planned alarms (`rtb-bot alarms plan`); unset: "
        "rtb-hub-alerts in the int account and region.",
    )

    def owner(self, indicator: IndicatorName) -> IndicatorOwner:
        return self.owners.get(indicator, "bot")

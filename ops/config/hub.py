"""The rtb-ai-hub the bot operates, and the runbook's thresholds it is judged by."""

from __future__ import annotations

from pydantic import Field

from ops.config.shapes import HttpUrl, Strict


class Thresholds(Strict):
    """Runbook §3.1 / §3.2 thresholds. A value above its threshold is red."""

    webhook_p99_seconds: float = Field(3.0, gt=0, description="webhook-listener P99 latency.")
    waiting_jobs: int = Field(
        50,
        ge=0,
        description="BullMQ waiting + prioritized jobs in any one queue (judged per queue, as "
        "the runbook's queue-depth alarm is; the total is shown beside).",
    )
    error_rate_percent: float = Field(5.0, ge=0, le=100, description="workflow-engine error rate.")
    ai_cost_daily_usd: float = Field(100.0, ge=0, description="AI token cost since local midnight.")
    active_previews: int = Field(15, ge=0, description="Active preview environments, all envs.")
    pod_start_seconds: float = Field(60.0, gt=0, description="Fargate cold start, creation→Ready.")
    preview_expiry_notice_hours: float = Field(2.0, gt=0, description="Notice before TTL expiry.")


class LatencyMetric(Strict):
    """The CloudWatch metric behind the webhook-listener P99 indicator."""

    namespace: str = Field("RTBHub/WebhookListener", description="CloudWatch namespace.")
    metric: str = Field("Latency", description="Metric name (milliseconds).")
    dimensions: dict[str, str] = Field(
        default_factory=lambda: {"Service": "webhook-listener"}, description="Metric dimensions."
    )
    period_seconds: int = Field(300, ge=60, description="Statistic period.")


class Hub(Strict):
    """The rtb-ai-hub application the bot operates."""

    namespace: str = Field("rtb-ai-hub", description="Namespace of the hub's deployments.")
    deployments: tuple[str, ...] = Field(
        ("webhook-listener", "workflow-engine", "auth-service"), description="Hub deployments."
    )
    queue_prefix: str = Field("bull", description="BullMQ key prefix.")
    queues: tuple[str, ...] = Field(("jira-queue",), description="BullMQ queues to watch.")
    ecr_repository: str = Field("rtb-hub", description="int ECR repository of the hub's images.")
    max_replicas: int = Field(
        10,
        ge=1,
        le=50,
        description="Scaling above this many replicas (or to 0) asks the requester to confirm "
        "first, even where the policy allows it at once.",
    )
    dashboard_url: HttpUrl | None = Field(None, description="Hub dashboard, for links.")
    error_rate_window_minutes: int = Field(15, ge=1, description="Window of the error rate.")
    service_account: str = Field(
        "system:serviceaccount:rtb-ai-hub:rtb-hub-sa", description="Default subject of can-i."
    )
    cleanup_path: str | None = Field(
        None,
        pattern=r"^/[A-Za-z0-9._~/-]*$",
        description="The hub's cleanupExpired() endpoint (runbook §5.1 step 4), e.g. "
        '/api/previews/cleanup: `/rtb preview cleanup <env>` POSTs `{"env": "<env>"}` to it '
        "at int's hub_api_url (the hub runs in int; no hub outside int is ever changed), "
        'answered JSON `{"removed": [ids]}` or a count, so the hub\'s own records follow. '
        "None, no hub_api_url in int, or an HTTP 404 there: the expired namespaces are "
        "deleted directly, and the hub's records are not updated.",
    )

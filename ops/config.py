"""The bot's configuration schema: one YAML file, validated at start (`rtb-bot check-config`).

It lives in `ops/` rather than `bot/` because every layer reads its own group of it (handlers
read channels, approvals the policy, ops the thresholds) and layers may only import downwards.
Loading the file and the secrets from the environment is `bot.settings`' job.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

EnvName = Literal["int", "stg", "prd"]
ENV_NAMES: tuple[EnvName, ...] = ("int", "stg", "prd")


def _http_url(value: str) -> str:
    url = urlsplit(value)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ValueError("expected an http(s) URL, e.g. https://slack.com/api/")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]  # checked here, not when a call fails
_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/[\w+=,.@/-]+$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SLACK_USERGROUP = re.compile(r"^S[A-Z0-9]+$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
# The MISSION: stg and prd are reached only through STS AssumeRole (never the bot's own role).
ASSUMED_ROLE_ENVS: tuple[EnvName, ...] = ("stg", "prd")

PolicyOutcome = Literal["allow", "approval", "deny"]
# The actions a config's `policy:` and `channels_only:` may name. What each may do where, and
# the rule no config can change, are the policy's: approvals/access_matrix.py.
MUTATION_ACTIONS: tuple[str, ...] = (
    "hub.scale",
    "hub.rollback",
    "hub.set-image",
    "hub.queue",
    "preview.create",
    "preview.delete",
    "preview.workload",
    "preview.extend",
)


def _problem(
    loc: tuple[str | int, ...], message: str, value: Any, kind: str = "config"
) -> InitErrorDetails:
    """One named mistake at `loc` below the field being validated."""
    error = PydanticCustomError(kind, "{problem}", {"problem": message})
    return InitErrorDetails(type=error, loc=loc, input=value)


def _raise_all(problems: list[InitErrorDetails]) -> None:
    """Report every mistake a validator found, each at its own field path (pydantic nests a
    ValidationError raised in a validator under the validated field's location)."""
    if problems:
        raise ValidationError.from_exception_data("Config", problems)


def _validate_also(
    handler: ValidatorFunctionWrapHandler, value: Any, problems: list[InitErrorDetails]
) -> Any:
    """pydantic's own validation of `value`, its mistakes named together with `problems` (found
    on the raw value), so that one run of check-config names every mistake."""
    try:
        validated = handler(value)
    except ValidationError as exc:
        own = [_problem(e["loc"], e["msg"], e["input"], e["type"]) for e in exc.errors()]
        problems, validated = own + problems, None
    _raise_all(problems)
    return validated


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    """The raw mapping a wrap validator is given (a model instance counts by its fields)."""
    if isinstance(value, BaseModel):
        return dict(value)
    return value if isinstance(value, Mapping) else None


def _unknown_actions(names: Mapping[str, Any]) -> list[InitErrorDetails]:
    problems = []
    for name in names:
        if isinstance(name, str) and name not in MUTATION_ACTIONS:  # else pydantic names it
            close = difflib.get_close_matches(name, MUTATION_ACTIONS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            known = ", ".join(MUTATION_ACTIONS)
            message = f"unknown action {name!r} ({hint}known actions: {known})"
            problems.append(_problem((name,), message, name))
    return problems


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Environment(Strict):
    """One AWS account / EKS cluster."""

    account_id: str = Field(pattern=r"^\d{12}$", description="12-digit AWS account id.")
    region: str = Field("ap-northeast-2", description="AWS region of the account and cluster.")
    role_arn: str | None = Field(
        None,
        description="Role assumed for this env (rtb-hub-deployer). None: the bot's own "
        "credentials (int, where the bot runs).",
    )
    eks_cluster: str | None = Field(
        None, description="EKS cluster name (describe_cluster + token)."
    )
    kube_context: str | None = Field(
        None, description="Local development alternative to eks_cluster: a kubeconfig context."
    )
    kube_server: HttpUrl | None = Field(
        None, description="Direct API server URL without auth (sandbox and tests only)."
    )
    hub_api_url: HttpUrl | None = Field(
        None, description="rtb-ai-hub API base, e.g. http://rtb-hub.internal"
    )

    @field_validator("region")
    @classmethod
    def _region_shape(cls, value: str) -> str:
        if not _AWS_REGION.match(value):
            raise ValueError("not an AWS region (expected e.g. ap-northeast-2)")
        return value

    @field_validator("role_arn")
    @classmethod
    def _arn_shape(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        shape = _ROLE_ARN.match(value)
        if not shape:
            raise ValueError("expected arn:aws:iam::<12 digits>:role/<name>")
        account = info.data.get("account_id")  # absent when account_id itself is wrong
        if account and shape[1] != account:
            raise ValueError(
                f"the role is in account {shape[1]} but account_id is {account} "
                "(expected the role in this environment's own account)"
            )
        return value

    @model_validator(mode="after")
    def _one_cluster_source(self) -> Environment:
        sources = [s for s in (self.eks_cluster, self.kube_context, self.kube_server) if s]
        if len(sources) > 1:
            raise ValueError("set only one of eks_cluster, kube_context, kube_server")
        return self


class Channels(Strict):
    """Where the bot posts. Channel names (#rtb-alerts) or ids (C0123)."""

    alerts: str = Field("#rtb-alerts", description="Alerts and the daily/weekly digests.")
    costs: str = Field("#rtb-costs", description="Cost alerts (AI cost over the daily threshold).")
    incidents: str = Field("#rtb-incidents", description="CloudWatch alarms arriving over SNS.")
    approvals: str = Field(
        "#rtb-approvals",
        description="Where approval cards go: a channel, or 'dm' to send each team lead a DM.",
    )

    @field_validator("alerts", "costs", "incidents", "approvals")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty (expected a channel name like #rtb-alerts or an id like C0123)")
        return value


LanguageCode = Literal["en", "ko"]
CHANNEL_ALIASES = ("alerts", "costs", "incidents", "approvals")  # the fields of `channels`


class Language(Strict):
    """Who reads in which language (README: Languages). A user's `/rtb lang` wins for what
    they ask; what the bot posts on its own is in its channel's language."""

    default: LanguageCode = Field(
        "en",
        description="For a user who never ran `/rtb lang` and a channel not listed below "
        "(the example config says ko: the team's runbook is Korean).",
    )
    channels: dict[str, LanguageCode] = Field(
        default_factory=dict,
        description="Per channel, for digests, alerts, incident and approval cards and TTL "
        "notices: a channel id (C0123), a name (#rtb-alerts) or an alias of `channels` "
        "(alerts, costs, incidents, approvals).",
    )


class Members(Strict):
    """A set of Slack users: explicit ids and/or a user group (resolved with a short TTL)."""

    users: tuple[str, ...] = Field((), description="Slack user ids (U0123ABC).")
    usergroup: str | None = Field(None, description="Slack user group id (S0123ABC).")

    @field_validator("users")
    @classmethod
    def _user_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [u for u in value if not _SLACK_USER.match(u)]
        if bad:
            raise ValueError(f"not Slack user ids: {', '.join(bad)} (expected e.g. U0123ABC)")
        return value

    @field_validator("usergroup")
    @classmethod
    def _usergroup_id(cls, value: str | None) -> str | None:
        if value is not None and not _SLACK_USERGROUP.match(value):
            raise ValueError("expected a user group id like S0123ABCD (not the @handle)")
        return value


class Roles(Strict):
    """Who is who. Anyone not listed is a viewer when `everyone_can_view` is true."""

    leads: Members = Field(default_factory=Members, description="Team leads: approve prd changes.")
    operators: Members = Field(default_factory=Members, description="May request mutations.")
    viewers: Members = Field(default_factory=Members, description="Read-only users.")
    everyone_can_view: bool = Field(True, description="Unlisted workspace members are viewers.")
    usergroup_cache_seconds: int = Field(300, ge=0, description="TTL of user group memberships.")


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


class Approvals(Strict):
    """The team-lead approval flow."""

    expiry_minutes: int = Field(30, ge=1, le=24 * 60, description="A pending request expires.")
    required: int = Field(1, ge=1, le=3, description="Distinct leads needed to approve.")
    housekeeping_seconds: int = Field(
        30,
        ge=5,
        le=3600,
        description="How often expired requests are closed (and their cards updated), and "
        "requests orphaned by a stopped replica are surfaced.",
    )
    spool_file: Path = Field(
        Path("/var/lib/rtb-bot/unrecorded-results.jsonl"),
        description="Results of changes that ran while the bot's PostgreSQL stopped answering, "
        "kept here (append-only JSON lines, fsynced) until they are recorded. One file per "
        "replica, on a volume that outlives the container.",
    )


class Schedules(Strict):
    """Digests, as cron expressions in `timezone` (checked by `Config._cron_expressions`)."""

    daily_digest: str = Field("0 9 * * *", description="Daily checklist (§6.1).")
    weekly_digest: str = Field("0 9 * * mon", description="Weekly checklist (§6.2).")
    daily_reminder: str = Field(
        "0 14 * * *",
        description="When items of today's daily digest still unchecked get one reminder in "
        "its thread.",
    )
    daily_grace_minutes: int = Field(
        120,
        ge=0,
        le=24 * 60,
        description="A replica that was down at the daily digest's (or reminder's) time still "
        "posts it when it starts within this many minutes; later, that day is skipped.",
    )
    weekly_grace_minutes: int = Field(
        12 * 60,
        ge=0,
        le=7 * 24 * 60,
        description="The same for the weekly digest.",
    )


class Weekly(Strict):
    """The weekly digest's own sources (§6.2): the workflow-engine sampler, its Fargate price."""

    engine_deployment: str = Field(
        "workflow-engine",
        description="The KEDA-driven deployment sampled every minute (int, hub.namespace).",
    )
    replica_hour_usd: float = Field(
        0.0568,
        ge=0,
        description="What one replica of engine_deployment costs per hour on Fargate "
        "(vCPU x the vCPU-hour rate + GB x the GB-hour rate; default 1 vCPU, 2 GB in "
        "ap-northeast-2): prices the idle replica-hours.",
    )
    sample_retention_days: int = Field(
        35, ge=15, le=400, description="Samples older than this are pruned (~5 weeks)."
    )
    source_seconds: float = Field(
        30.0,
        gt=0,
        le=300,
        description="Each weekly source (Cost Explorer, the samples, CloudTrail, Logs "
        "Insights) gets this long; one that takes longer is an item saying so.",
    )


class Retention(Strict):
    """Housekeeping of the bot's own push state (ops/retention.py): delivered outbox rows, their
    digest ticks and old job claims are deleted once a day, by a claimed job like the others."""

    housekeeping: str = Field(
        "30 4 * * *",
        description="When the housekeeping job runs, a cron expression in `timezone` "
        "(04:30: after the night, before anyone reads the digests).",
    )
    keep_days: int = Field(
        30,
        ge=8,
        le=3650,
        description="Delivered outbox rows (and their ticks) and job claims older than this "
        "are deleted. Never a row not yet sent, never a claim whose period its job could "
        "still catch up.",
    )

    @field_validator("housekeeping")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(
                f"{exc} (expected a 5-field cron expression, e.g. '30 4 * * *')"
            ) from None
        return value


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


_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)


class Jira(Strict):
    """Jira Cloud: a TTL notice also comments on the preview's issue (REST v3). The account's
    email and API token come from the environment (JIRA_EMAIL, JIRA_API_TOKEN), never this file;
    without them the comment is not attempted and the notice says Jira is not set up."""

    url: HttpUrl = Field(description="The Jira Cloud site, e.g. https://your-team.atlassian.net.")
    timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="One comment's whole request; slower counts as failed."
    )


class TtlNotice(Strict):
    """The notice before a preview's TTL ends (runbook §3.2: "TTL 2시간 전, Jira/Slack으로
    안내"). How far ahead is `thresholds.preview_expiry_notice_hours`."""

    cron: str = Field(
        "*/5 * * * *",
        description="How often previews are looked at (a cron expression in `timezone`); one "
        "replica per run, one notice per preview and expiry time.",
    )
    extend_hours: int = Field(
        4,
        ge=1,
        le=7 * 24,
        description="What the notice's Extend TTL button adds to the preview's expiry (never "
        "past 7 days from now).",
    )
    owner_label: str = Field(
        "rtb.io/owner",
        description="Namespace label holding the preview owner's Slack member id (U0123ABC): "
        "the notice goes to them by DM; without it, or for an id Slack does not know, to "
        "channels.alerts.",
    )
    jira: Jira | None = Field(None, description="Unset: no Jira comment.")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            example = "expected a 5-field cron expression, e.g. '*/5 * * * *'"
            raise ValueError(f"{exc} ({example})") from None
        return value

    @field_validator("owner_label")
    @classmethod
    def _label_key(cls, value: str) -> str:
        if not _LABEL_KEY.match(value):
            raise ValueError("not a Kubernetes label key (expected e.g. rtb.io/owner)")
        return value


class Timeouts(Strict):
    """Every backend call has one; a fan-out answers with what arrived in time."""

    backend_seconds: float = Field(5.0, gt=0, le=60, description="Per backend call.")
    fanout_seconds: float = Field(
        8.0, gt=0, le=60, description="A whole fan-out (status, digests)."
    )
    rollout_seconds: float = Field(
        300.0,
        gt=0,
        le=3600,
        description="How long the bot follows a rollout after a change (scale, rollback, set "
        "image) before it reports a timeout.",
    )
    rollout_poll_seconds: float = Field(
        2.0, gt=0, le=60, description="How often a followed rollout is looked at."
    )
    rollout_progress_seconds: float = Field(
        10.0,
        ge=0,
        le=600,
        description="At most one progress message per this many seconds while following a "
        "rollout (Slack allows about one message per second per channel).",
    )


class Aws(Strict):
    """How the bot reaches AWS."""

    endpoint_url: HttpUrl | None = Field(
        None, description="Override endpoint (sandbox/tests: moto)."
    )
    session_seconds: int = Field(3600, ge=900, le=43200, description="AssumeRole duration.")
    service_endpoints: dict[str, str] = Field(
        default_factory=dict,
        description="Per-service endpoint overrides (e.g. VPC endpoints; tests: a wire-level "
        "fake for cloudtrail/logs).",
    )


class AuditAnchor(Strict):
    """Where the audit chain's head is copied, outside the database (CloudWatch Logs)."""

    env: EnvName = Field("int", description="The account whose Logs hold the stream.")
    log_group: str = Field(
        min_length=1, max_length=512, description="An existing log group (README: Security)."
    )
    log_stream: str = Field(
        "audit-chain-head", min_length=1, max_length=512, description="An existing stream in it."
    )
    interval_seconds: int = Field(
        10,
        ge=1,
        le=3600,
        description="How often the head is copied when it moved (rows newer than the last "
        "copy are not anchored yet).",
    )


class Audit(Strict):
    """The audit log."""

    anchor: AuditAnchor | None = Field(
        None,
        description="Copy the chain's head to CloudWatch Logs, so `rtb-bot audit verify` "
        "finds rows cut from the end and a rebuilt chain. Unset: `serve` warns at start.",
    )


class PagerDuty(Strict):
    """PagerDuty Events API v2 (README: Paging and escalation). The routing key (the service's
    integration key) is a secret: `PAGERDUTY_ROUTING_KEY` in the environment; unset, nothing is
    paged (Slack alone)."""

    events_url: HttpUrl = Field(
        "https://events.pagerduty.com/v2/enqueue", description="The Events API v2 endpoint."
    )
    page_alarms: tuple[str, ...] = Field(
        ("rtb-hub-workflow-engine-error-rate",),
        description="CloudWatch alarm names that page (runbook §3.1: workflow-engine error rate).",
    )
    page_indicators: tuple[IndicatorName, ...] = Field(
        ("error_rate",),
        description="Status indicators whose threshold pages when crossed (§3.1: error_rate).",
    )
    oncall_lead: str | None = Field(
        None,
        pattern=r"^[UW][A-Z0-9]{2,}$",
        description="Slack user id of the on-call lead the routing key's service pages; named in "
        "the page and on the escalated card (unset: 'the on-call lead').",
    )
    attempts: int = Field(3, ge=1, le=10, description="Tries per event (429, 5xx, timeouts).")
    retry_seconds: float = Field(
        1.0, ge=0, le=30, description="Wait before the 2nd try; doubled for each next one."
    )
    timeout_seconds: float = Field(5.0, gt=0, le=60, description="Per try.")


class Escalation(Strict):
    """A prd approval no lead has acted on is escalated once: a DM to each lead, then (with
    PagerDuty configured) a page to the on-call lead with a link to the card."""

    after_minutes: int = Field(
        10,
        ge=0,
        le=24 * 60,
        description="Pending this long without a lead's vote (0: at the next run; drills only).",
    )
    scope: Literal["prd", "incidents"] = Field(
        "prd",
        description="prd: every prd approval; incidents: only those whose reason names an "
        "incident (INC-…).",
    )
    schedule: str = Field("* * * * *", description="How often stale requests are looked for.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"{exc} (expected a 5-field cron expression)") from None
        return value


class IncidentRoute(Strict):
    """Alarms whose name matches `alarms` (shell-style patterns) post their card to `channel`."""

    alarms: tuple[str, ...] = Field(
        min_length=1, description="Alarm name patterns, e.g. rtb-hub-*."
    )
    channel: str = Field(min_length=1, description="Channel name (#…) or id for their cards.")


class Incidents(Strict):
    """CloudWatch alarms → incident cards (README: Incidents). The alarm topics deliver into
    one SQS queue in `queue_env`'s account; every replica long-polls it."""

    queue_url: str | None = Field(
        None, description="The SQS queue the alarm topics deliver to. Unset: no intake."
    )
    queue_env: EnvName = Field("int", description="The account whose credentials read the queue.")
    dead_letter_queue_url: str | None = Field(
        None,
        description="Where unreadable messages are moved after max_receives (unset: they stay "
        "for the queue's own redrive policy).",
    )
    max_receives: int = Field(
        3, ge=1, le=100, description="Receives of an unreadable message before it is moved."
    )
    wait_seconds: int = Field(20, ge=0, le=20, description="SQS long-poll wait per receive.")
    visibility_seconds: int = Field(
        60, ge=0, le=43200, description="A received message is retried after this if not deleted."
    )
    routes: tuple[IncidentRoute, ...] = Field(
        (), description="First match wins; anything else goes to channels.incidents."
    )


class Config(Strict):
    """The whole configuration file."""

    timezone: str = Field("Asia/Seoul", description="IANA time zone of schedules and times shown.")
    environments: dict[EnvName, Environment] = Field(description="int, stg, prd.")
    channels: Channels = Field(default_factory=Channels)
    language: Language = Field(default_factory=Language)
    roles: Roles = Field(default_factory=Roles)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    latency_metric: LatencyMetric = Field(default_factory=LatencyMetric)
    hub: Hub = Field(default_factory=Hub)
    approvals: Approvals = Field(default_factory=Approvals)
    audit: Audit = Field(default_factory=Audit)
    schedules: Schedules = Field(default_factory=Schedules)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    weekly: Weekly = Field(default_factory=Weekly)
    retention: Retention = Field(default_factory=Retention)
    pod_watch: PodWatch = Field(default_factory=PodWatch)
    threshold_alerts: ThresholdAlerts = Field(default_factory=ThresholdAlerts)
    ttl_notice: TtlNotice = Field(default_factory=TtlNotice)
    aws: Aws = Field(default_factory=Aws)
    pagerduty: PagerDuty = Field(default_factory=PagerDuty)
    escalation: Escalation = Field(default_factory=Escalation)
    incidents: Incidents = Field(default_factory=Incidents)
    slack_api_url: HttpUrl = Field(
        "https://slack.com/api/", description="Slack Web API base (GovSlack: slack-gov.com)."
    )
    policy: dict[str, dict[EnvName, PolicyOutcome]] = Field(
        default_factory=dict,
        description="The access matrix: action -> env -> allow | approval | deny. Cells given "
        "here replace the runbook §8 default's; anything not listed is denied.",
    )
    channels_only: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Actions that may only be requested from these channel ids, e.g. "
        "{preview.create: [C0123OPS]}.",
    )

    @field_validator("policy", mode="wrap")
    @classmethod
    def _known_policy_actions(
        cls, value: Any, handler: ValidatorFunctionWrapHandler
    ) -> dict[str, dict[EnvName, PolicyOutcome]]:
        """The cells as written (approvals/access_matrix.py lays them over the default)."""
        problems = _unknown_actions(_as_mapping(value) or {})
        validated: dict[str, dict[EnvName, PolicyOutcome]] = _validate_also(
            handler, value, problems
        )
        return validated

    @field_validator("channels_only", mode="wrap")
    @classmethod
    def _restricted_actions(
        cls, value: Any, handler: ValidatorFunctionWrapHandler
    ) -> dict[str, tuple[str, ...]]:
        problems = _unknown_actions(_as_mapping(value) or {})
        validated: dict[str, tuple[str, ...]] = _validate_also(handler, value, problems)
        return validated

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone (expected an IANA name like Asia/Seoul)") from None
        return value

    @field_validator("environments", mode="wrap")
    @classmethod
    def _int_and_assumed_roles(
        cls, value: Any, handler: ValidatorFunctionWrapHandler
    ) -> dict[EnvName, Environment]:
        raw = _as_mapping(value)
        problems = []
        if raw is not None and "int" not in raw:
            message = "the int environment is required (the bot runs there)"
            problems.append(_problem((), message, value))
        for env in ASSUMED_ROLE_ENVS:
            entry = _as_mapping(raw.get(env)) if raw is not None else None
            if entry is not None and entry.get("role_arn") is None:
                message = (
                    f"{env} is reached only through STS AssumeRole (expected the role to assume, "
                    "e.g. arn:aws:iam::<account_id>:role/rtb-hub-deployer)"
                )
                problems.append(_problem((env, "role_arn"), message, None))
        validated: dict[EnvName, Environment] = _validate_also(handler, value, problems)
        return validated

    @field_validator("audit")
    @classmethod
    def _anchor_in_a_configured_env(cls, value: Audit, info: ValidationInfo) -> Audit:
        environments = info.data.get("environments")  # absent when wrong (named there)
        anchor = value.anchor
        if anchor is not None and environments is not None and anchor.env not in environments:
            raise ValueError(
                f"audit.anchor.env {anchor.env} is not in environments "
                "(the stream's account is reached like that env's)"
            )
        return value

    @field_validator("schedules", mode="wrap")
    @classmethod
    def _cron_expressions(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Schedules:
        timezone = info.data.get("timezone", "UTC")  # absent when it is wrong (named there)
        problems = []
        for name, expression in (_as_mapping(value) or {}).items():
            if name not in Schedules.model_fields or not isinstance(expression, str):
                continue  # pydantic's own validation names it
            try:
                CronTrigger.from_crontab(expression, timezone=timezone)
            except ValueError as exc:
                message = f"{exc} (expected a 5-field cron expression, e.g. '0 9 * * mon')"
                problems.append(_problem((name,), message, expression))
                continue
            fields = expression.split()
            if len(fields) == 5 and any(c.isdigit() for c in fields[4]):
                message = (
                    "a weekday given as a number (expected a name, mon..sun: the scheduler "
                    "counts 0 as Monday, cron as Sunday, so a number would run on another day)"
                )
                problems.append(_problem((name,), message, expression))
        validated: Schedules = _validate_also(handler, value, problems)
        return validated

"""What the bot does on its own clock: the digests, its housekeeping, the preview TTL notice."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from ops.config.shapes import HttpUrl, Strict, cron_expression

_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
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
        return cron_expression(value, "expected a 5-field cron expression, e.g. '30 4 * * *'")


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
        return cron_expression(value, "expected a 5-field cron expression, e.g. '*/5 * * * *'")

    @field_validator("owner_label")
    @classmethod
    def _label_key(cls, value: str) -> str:
        if not _LABEL_KEY.match(value):
            raise ValueError("not a Kubernetes label key (expected e.g. rtb.io/owner)")
        return value

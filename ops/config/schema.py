"""The whole configuration file: its sections, and the rules that span more than one."""

from __future__ import annotations

from typing import Any

from pydantic import (
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import InitErrorDetails

from ops.config.actions import PolicyOutcome, unknown_actions
from ops.config.alerts import PodWatch, ThresholdAlerts
from ops.config.approval_flow import Approvals, Audit, Escalation
from ops.config.environments import Aws, Environment, Timeouts
from ops.config.hub import Hub, LatencyMetric, Thresholds
from ops.config.incidents import Incidents, PagerDuty
from ops.config.mistakes import as_mapping, problem, validate_also
from ops.config.schedules import Retention, Schedules, TtlNotice, Weekly
from ops.config.shapes import ASSUMED_ROLE_ENVS, EnvName, HttpUrl, Strict, cron_expression
from ops.config.slack import Channels, Language, Roles

_WEEKDAY_AS_NUMBER = (
    "a weekday given as a number (expected a name, mon..sun: the scheduler "
    "counts 0 as Monday, cron as Sunday, so a number would run on another day)"
)


def _environment_mistakes(value: Any) -> list[InitErrorDetails]:
    """int is required (the bot runs there), and stg and prd name the role to assume: found on
    the raw mapping, so that they are named together with pydantic's own mistakes."""
    raw = as_mapping(value)
    if raw is None:
        return []
    problems = []
    if "int" not in raw:
        message = "the int environment is required (the bot runs there)"
        problems.append(problem((), message, value))
    for env in ASSUMED_ROLE_ENVS:
        entry = as_mapping(raw.get(env))
        if entry is not None and entry.get("role_arn") is None:
            message = (
                f"{env} is reached only through STS AssumeRole (expected the role to assume, "
                "e.g. arn:aws:iam::<account_id>:role/rtb-hub-deployer)"
            )
            problems.append(problem((env, "role_arn"), message, None))
    return problems


def _schedule_mistake(expression: str, timezone: str) -> str | None:
    """What is wrong with one digest's cron expression in `timezone`, if anything."""
    expected = "expected a 5-field cron expression, e.g. '0 9 * * mon'"
    try:
        cron_expression(expression, expected, timezone)
    except ValueError as exc:
        return str(exc)
    fields = expression.split()
    if len(fields) == 5 and any(c.isdigit() for c in fields[4]):
        return _WEEKDAY_AS_NUMBER
    return None


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
        problems = unknown_actions(as_mapping(value) or {})
        validated: dict[str, dict[EnvName, PolicyOutcome]] = validate_also(handler, value, problems)
        return validated

    @field_validator("channels_only", mode="wrap")
    @classmethod
    def _restricted_actions(
        cls, value: Any, handler: ValidatorFunctionWrapHandler
    ) -> dict[str, tuple[str, ...]]:
        problems = unknown_actions(as_mapping(value) or {})
        validated: dict[str, tuple[str, ...]] = validate_also(handler, value, problems)
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
        problems = _environment_mistakes(value)
        validated: dict[EnvName, Environment] = validate_also(handler, value, problems)
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
        problems = [
            problem((name,), mistake, expression)
            for name, expression in (as_mapping(value) or {}).items()
            # anything else: pydantic's own validation names it
            if name in Schedules.model_fields and isinstance(expression, str)
            if (mistake := _schedule_mistake(expression, timezone))
        ]
        validated: Schedules = validate_also(handler, value, problems)
        return validated

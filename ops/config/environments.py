"""How the bot reaches each env: its AWS account and cluster, AWS itself, and the timeouts."""

from __future__ import annotations

import re

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ops.config.shapes import HttpUrl, Strict

_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/[\w+=,.@/-]+$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


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

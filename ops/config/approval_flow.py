"""The team-lead approval flow: its requests, their escalation, and the audit log they leave."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ops.config.shapes import EnvName, Strict, cron_expression


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
        return cron_expression(value, "expected a 5-field cron expression", timezone="UTC")


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

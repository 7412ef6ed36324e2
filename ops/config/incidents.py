"""CloudWatch alarms becoming incident cards, and who is paged for them."""

from __future__ import annotations

from pydantic import Field

from ops.config.alerts import IndicatorName
from ops.config.shapes import EnvName, HttpUrl, Strict


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

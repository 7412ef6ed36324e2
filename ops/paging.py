"""Paging the on-call through PagerDuty: one function for every caller, a typed result back.

`page(deps, …)` is what the incident intake, the thresholds evaluator and the escalation of
stale approvals call. It never raises: PagerDuty unconfigured, refusing the event or not
answering is a `PageResult` whose `outcome` says which, so a caller's own work (a card, a DM)
never fails because of a page. Retries (429, 5xx, timeouts) happen inside, a bounded number of
times (`ops/backends/pagerduty.py`); a retry is safe because PagerDuty deduplicates on the
`dedup_key`, so one key per alarm (or per escalated request) is one PagerDuty incident, however
many times it is triggered, and acknowledge/resolve with that key close that incident.

What pages is configuration (`pagerduty.page_alarms`, `pagerduty.page_indicators`):
`pages_for(config, alarm=…)` tells a caller whether its alarm or indicator is one the runbook
pages on (§3.1: the workflow-engine error rate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import structlog

from ops.backends.container import Backends
from ops.backends.pagerduty import EventsAnswer, PagerDutyEvents
from ops.config import Config

log = structlog.get_logger(__name__)
PageAction = Literal["trigger", "acknowledge", "resolve"]
Severity = Literal["critical", "error", "warning", "info"]
PageOutcome = Literal["sent", "not configured", "refused", "unavailable"]  # internal: keys
SUMMARY_CHARS = 1024  # PagerDuty refuses a longer payload.summary
DEDUP_KEY_CHARS = 255
SOURCE = "rtb-ops-bot"


@dataclass(frozen=True)
class PageLink:
    href: str
    text: str


@dataclass(frozen=True)
class PageResult:
    """What became of one page. `sent`: PagerDuty accepted it (202). `not configured`: no
    routing key, nothing was sent. `refused`: PagerDuty called the event invalid (`errors`),
    a retry would not help. `unavailable`: no acceptance after `attempts` tries."""

    outcome: PageOutcome
    action: PageAction
    dedup_key: str
    attempts: int = 0
    status: int | None = None
    errors: tuple[str, ...] = ()

    @property
    def sent(self) -> bool:
        return self.outcome == "sent"


class HasBackends(Protocol):
    """What `page` needs of the handlers' Deps (ops does not import handlers)."""

    @property
    def backends(self) -> Backends: ...


@dataclass(frozen=True)
class PageRequest:
    dedup_key: str
    action: PageAction
    summary: str
    source: str = SOURCE
    severity: Severity = "critical"
    links: Sequence[PageLink] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


async def page(
    deps: HasBackends,
    *,
    dedup_key: str,
    action: PageAction,
    summary: str = "",
    source: str = SOURCE,
    severity: Severity = "critical",
    links: Sequence[PageLink] = (),
    details: Mapping[str, Any] | None = None,
) -> PageResult:
    """Trigger, acknowledge or resolve the PagerDuty alert `dedup_key`; never raises.

    Only a trigger uses `summary` (PagerDuty's one line, plain text, cut to 1,024 characters;
    empty: the dedup key), `source`, `severity`, `links` (e.g. the Slack card) and `details`;
    acknowledge and resolve name the alert by its key alone."""
    request = PageRequest(dedup_key, action, summary, source, severity, links, details or {})
    return await send_page(deps.backends.pagerduty, request)


async def send_page(pager: PagerDutyEvents | None, request: PageRequest) -> PageResult:
    key = request.dedup_key[:DEDUP_KEY_CHARS]
    if pager is None:
        return PageResult("not configured", request.action, key)  # internal: a key
    try:
        answer = await pager.send(events_api_body(request))
    except Exception:  # a bug here must not take the caller's card or DM down with it
        log.exception("paging failed unexpectedly", dedup_key=key, action=request.action)
        return PageResult("unavailable", request.action, key)
    result = _result(request.action, key, answer)
    log.info(
        "page sent" if result.sent else "page not sent",
        outcome=result.outcome,
        action=result.action,
        dedup_key=key,
        attempts=result.attempts,
        status=result.status,
    )
    return result


def events_api_body(request: PageRequest) -> dict[str, Any]:
    """The Events API v2 event, without the routing key (the backend adds it). acknowledge and
    resolve carry only the dedup key: PagerDuty ignores a payload there."""
    body: dict[str, Any] = {
        "event_action": request.action,
        "dedup_key": request.dedup_key[:DEDUP_KEY_CHARS],
        "client": SOURCE,
    }
    if request.action != "trigger":
        return body
    body["payload"] = {
        "summary": request.summary[:SUMMARY_CHARS] or request.dedup_key,
        "source": request.source or SOURCE,
        "severity": request.severity,
        "custom_details": dict(request.details),
    }
    body["links"] = [{"href": link.href, "text": link.text} for link in request.links]
    return body


def pages_for(config: Config, *, alarm: str | None = None, indicator: str | None = None) -> bool:
    """Whether the runbook pages on this alarm (by name) or status indicator (by key)."""
    settings = config.pagerduty
    return (alarm is not None and alarm in settings.page_alarms) or (
        indicator is not None and indicator in settings.page_indicators
    )


def _result(action: PageAction, key: str, answer: EventsAnswer) -> PageResult:
    outcome: PageOutcome = "sent" if answer.outcome == "accepted" else answer.outcome
    return PageResult(
        outcome, action, answer.dedup_key or key, answer.attempts, answer.status, answer.errors
    )

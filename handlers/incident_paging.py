"""The incident hook that pages (runbook §3.1: the workflow-engine error rate pages the on-call).

An incident of an alarm `pagerduty.page_alarms` names is one PagerDuty alert, keyed by the
incident's id: opened → trigger, acknowledged in Slack → acknowledge, resolved (by the alarm's
OK or by hand) → resolve. Repeats and INSUFFICIENT_DATA send nothing (the alert is already
open, and a missing metric is not a recovery). `ops.paging.page` never raises and retries a
PagerDuty that does not answer; a page that still fails is logged, the card is not held back.
"""

from __future__ import annotations

from handlers.context import Deps
from ops.incidents import Incident, IncidentHook, Transition
from ops.paging import PageAction, page, pages_for

ACTIONS: dict[Transition, PageAction] = {
    "opened": "trigger",
    "acknowledged": "acknowledge",
    "resolved": "resolve",
}


def dedup_key(incident: Incident) -> str:
    return f"rtb-incident-{incident.id}"


def pagerduty_hook(deps: Deps) -> IncidentHook:
    async def hook(incident: Incident, transition: Transition) -> None:
        action = ACTIONS.get(transition)
        if action is None or not pages_for(deps.config, alarm=incident.alarm_name):
            return
        where = incident.env or f"account {incident.account}"
        # PagerDuty's own words are English; the summary is ids and CloudWatch's state
        summary = f"{incident.id}: {incident.alarm_name} in ALARM ({where})"  # a name
        await page(deps, dedup_key=dedup_key(incident), action=action, summary=summary)

    return hook

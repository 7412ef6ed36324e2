"""Nobody left waiting at 3 a.m.: the scheduled job that escalates stale prd approvals.

Every `escalation.schedule` (each minute by default) one replica wins the run's claim
(handlers.scheduled.fire_job) and, in this order:
1. retries the pages PagerDuty has not taken yet (for requests still pending);
2. finishes escalations whose replica stopped between the claim and the DMs;
3. escalates each stale request (approvals/escalation.py) it wins the claim of — once per
   request, whatever the replicas: a DM to each lead but the requester (through the outbox, one
   key per lead, so a second enqueue sends nothing), then, when PagerDuty is configured, a
   trigger for the on-call lead with a link to the card (dedup key `rtb-approval-<id>`: a retry
   is the same PagerDuty incident), then the card is redrawn with who it was escalated to;
4. resolves the pages of requests a lead has decided since (or that expired).

The DMs go through the outbox like everything the bot posts on its own. The card's new line is
an edit of the approval card, made the way every decision edits it (the notifier's
`update_card`); when Slack refuses that edit the card shows the line at its next update.
A PagerDuty outage never stops the DMs: the page is tried after they are enqueued and its
failure is recorded for the next run to retry (at most MAX_PAGE_RUNS runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from approvals.escalation import Claimed, Escalations
from approvals.requests import ApprovalRequest
from handlers.context import Deps
from handlers.incident_followups import request_escalated
from handlers.render.escalation import page_summary, render_escalation_dm
from handlers.render.i18n import N_, Locale, _, current_locale, use_locale
from handlers.render.message import Message
from handlers.scheduled import JobContext, JobResult, ScheduledJob
from ops.outbox import Outbox
from ops.paging import PageLink, PageResult, page

log = structlog.get_logger(__name__)
ESCALATION_JOB = "approval-escalation"


def dm_key(request_id: str, lead: str) -> str:
    return f"{ESCALATION_JOB}:{request_id}:dm:{lead}"


def page_dedup_key(request_id: str) -> str:
    return f"rtb-approval-{request_id}"


async def run_escalation(ctx: JobContext) -> JobResult:
    deps = ctx.deps
    escalations = Escalations(deps.backends.db, deps.gate.audit)
    retried = [await _retry_page(ctx, escalations, c) for c in await escalations.pages_to_retry()]
    keys: list[str] = []
    for unfinished in await escalations.unfinished(ctx.now):
        keys += await _finish(ctx, escalations, unfinished)
    escalated = []
    for request in await _stale(deps, escalations, ctx.now):
        claimed = await _claim(ctx, escalations, request)
        if claimed is not None:
            keys += await _finish(ctx, escalations, claimed)
            escalated.append(request.id)
    resolved = await _resolve_decided(ctx, escalations)
    detail = {
        "escalated": escalated,
        "pages_retried": [r.outcome for r in retried],
        "pages_resolved": resolved,
    }
    return JobResult(tuple(keys), detail)


async def _stale(deps: Deps, escalations: Escalations, now: datetime) -> list[ApprovalRequest]:
    settings = deps.config.escalation
    return await escalations.stale(now, timedelta(minutes=settings.after_minutes), settings.scope)


async def _claim(
    ctx: JobContext, escalations: Escalations, request: ApprovalRequest
) -> Claimed | None:
    deps = ctx.deps
    leads = [lead for lead in await deps.gate.roles.leads() if lead != request.requester]
    return await escalations.claim(
        request,
        replica=deps.require_push().replica,
        now=ctx.now,
        leads=tuple(leads),
        oncall=deps.config.pagerduty.oncall_lead,
        paging=deps.backends.pagerduty is not None,
    )


async def _finish(ctx: JobContext, escalations: Escalations, claimed: Claimed) -> list[str]:
    """The DMs, then the page, then the card (redrawn once); returns the outbox keys."""
    request = claimed.request
    link = await card_link(ctx.deps, request)
    locales = await ctx.deps.languages.locales_for_users(claimed.leads)
    tz = ZoneInfo(ctx.deps.config.timezone)
    keys = await enqueue_dms(ctx.outbox, claimed, DmContext(ctx.now, link, tz, locales))
    await escalations.mark_notified(request.id, ctx.now)
    log.info("approval escalated", approval_id=request.id, leads=list(claimed.leads))
    if claimed.paging:
        await _page(ctx, escalations, claimed, link)
    await redraw_card(ctx.deps, escalations, request.id)
    await request_escalated(
        ctx.deps, request, claimed.leads
    )  # asked from an incident: its timeline
    return keys


@dataclass(frozen=True)
class DmContext:
    """What each lead's DM is rendered with; `locales` is each lead's `/rtb lang` (a lead
    missing from it reads the job's language: the default)."""

    now: datetime
    link: str | None
    tz: ZoneInfo
    locales: Mapping[str, Locale]


async def enqueue_dms(outbox: Outbox, claimed: Claimed, dm: DmContext) -> list[str]:
    """A DM to each lead in their own language (rendered once per language)."""
    rendered: dict[Locale, Message] = {}
    keys = []
    for lead in claimed.leads:  # posting to a user's id is the bot's DM with them
        locale = dm.locales.get(lead, current_locale())
        if locale not in rendered:
            with use_locale(locale):
                rendered[locale] = render_escalation_dm(claimed.request, dm.now, dm.link, dm.tz)
        message = rendered[locale]
        key = dm_key(claimed.request.id, lead)
        await outbox.enqueue(lead, message.blocks_json(), message.text, key)
        keys.append(key)
    return keys


async def _page(
    ctx: JobContext, escalations: Escalations, claimed: Claimed, link: str | None = None
) -> PageResult:
    request = claimed.request
    link = link or await card_link(ctx.deps, request)
    links = [PageLink(link, _("Approval card {id}", id=request.id))] if link else []
    details = {"approval_id": request.id, "requester": request.requester}
    if claimed.oncall:
        details["oncall_lead"] = claimed.oncall
    result = await page(
        ctx.deps,
        dedup_key=page_dedup_key(request.id),
        action="trigger",
        summary=page_summary(request, ctx.now),
        severity="critical",
        links=links,
        details=details,
    )
    await escalations.record_page(request.id, result, ctx.now)
    return result


async def _retry_page(ctx: JobContext, escalations: Escalations, claimed: Claimed) -> PageResult:
    result = await _page(ctx, escalations, claimed)
    await redraw_card(ctx.deps, escalations, claimed.request.id)
    return result


async def _resolve_decided(ctx: JobContext, escalations: Escalations) -> list[str]:
    resolved = []
    for request_id in await escalations.pages_to_resolve():
        result = await page(
            ctx.deps,
            dedup_key=page_dedup_key(request_id),
            action="resolve",
        )
        if result.sent:
            await escalations.record_resolved(request_id, ctx.now)
            resolved.append(request_id)
    return resolved


async def card_link(deps: Deps, request: ApprovalRequest) -> str | None:
    """The first card's permalink (None: no card, or Slack did not say)."""
    if not request.cards:
        return None
    ref = request.cards[0]
    try:
        answer = await deps.require_push().sender.client.chat_getPermalink(
            channel=ref.channel, message_ts=ref.ts
        )
    except Exception:
        log.warning("no permalink for the approval card", approval_id=request.id)
        return None
    permalink = answer.get("permalink")
    return str(permalink) if permalink else None


async def redraw_card(deps: Deps, escalations: Escalations, request_id: str) -> None:
    current = await escalations.request(request_id)
    if current is not None:
        await deps.gate.services.notifier.update_card(current)


ESCALATION_JOBS = (
    ScheduledJob(
        ESCALATION_JOB,
        N_("prd approvals no lead acted on: a DM to each lead, a page to the on-call lead."),
        cron=lambda c: c.escalation.schedule,
        grace=lambda c: timedelta(minutes=5),
        channel=lambda c: "DMs to the leads",  # internal: where it posts, for a reader of the table
        run=run_escalation,
    ),
)

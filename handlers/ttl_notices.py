"""The preview TTL notice's scheduled job: every `ttl_notice.cron`, one pass (ops/ttl_notice.py).

For each preview claimed by this pass: the Jira comment first (when configured; a failure is
named, never fatal), then the Slack notice through the outbox, to the owner by DM when the
namespace's owner label names a Slack member (in the owner's `/rtb lang`), else to
`channels.alerts` (in its language, saying why not the owner when the label names someone Slack
does not know). The job's own (job, period) claim saves a second replica the work; the
per-preview claim is what makes the notice once, so the console's `/sandbox expire-soon` may run
a pass outside the schedule.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps
from handlers.render.i18n import N_, use_locale
from handlers.render.message import Message
from handlers.render.ttl_notice import (
    Delivery,
    TtlNoticeView,
    render_jira_comment,
    render_ttl_notice,
)
from handlers.scheduled import JobContext, JobResult, ScheduledJob
from ops.outbox import Outbox
from ops.ttl_notice import (
    ExpiringPreview,
    claim_notice,
    comment_on_issue,
    envs_unread,
    find_expiring,
    notice_key,
    record_notice,
)

log = structlog.get_logger(__name__)
TTL_NOTICE_JOB = "ttl-notice"
_SLACK_MEMBER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
# Slack's answers that mean "no such person here" (anything else: asking failed).
_UNKNOWN_USER = frozenset({"user_not_found", "user_not_visible", "users_not_found"})


async def run_ttl_notices(ctx: JobContext) -> JobResult:
    return await notice_pass(ctx.deps, ctx.outbox, ctx.now)


async def notice_pass(deps: Deps, outbox: Outbox, now: datetime) -> JobResult:
    """One look at every env; a notice for each expiring preview no pass has claimed yet."""
    push = deps.require_push()
    found = await find_expiring(deps.backends, now)
    keys = []
    for preview in found.previews:
        if await claim_notice(deps.backends, preview, push.replica, now):
            keys.append(await send_notice(deps, outbox, preview, now))
    unread = envs_unread(found.failures)
    if unread:
        log.warning("ttl notice: clusters not read", unread=unread)
    return JobResult(tuple(keys), {"expiring": len(found.previews), "unread": unread})


async def send_notice(deps: Deps, outbox: Outbox, preview: ExpiringPreview, now: datetime) -> str:
    config = deps.config
    comment = render_jira_comment(preview, now, config.timezone)
    jira = await comment_on_issue(deps.backends, preview.issue_key, comment)
    if jira.failure is not None:
        reason = jira.failure.reason
        log.warning("ttl notice: jira comment failed", issue=preview.issue_key, reason=reason)
    client = deps.require_push().sender.client
    delivery = await delivery_for(client, preview, config.channels.alerts)
    view = TtlNoticeView(
        preview, now, config.timezone, config.ttl_notice.extend_hours, jira, delivery
    )
    message = await _rendered_for(deps, view)
    key = notice_key(preview)
    await outbox.enqueue(delivery.channel, message.blocks_json(), message.text, key)
    await record_notice(deps.backends, preview, key, jira.status)
    deps.require_push().sender.nudge()
    log.info("ttl notice enqueued", key=key, to=delivery.channel, jira=jira.status)
    return key


async def _rendered_for(deps: Deps, view: TtlNoticeView) -> Message:
    """In the owner's language when it goes to their DM, else the channel's (the job's)."""
    owner = view.delivery.owner
    if owner is None:
        return render_ttl_notice(view)
    with use_locale(await deps.languages.locale_for_user(owner)):
        return render_ttl_notice(view)


async def delivery_for(client: AsyncWebClient, preview: ExpiringPreview, alerts: str) -> Delivery:
    """The owner's DM when the label names a Slack member Slack knows, else the channel."""
    owner = preview.owner
    if owner is None:
        return Delivery(alerts)
    if not _SLACK_MEMBER.match(owner):
        return Delivery(alerts, owner_not_found=owner[:63])
    try:
        answer = await client.users_info(user=owner)
    except SlackApiError as exc:
        error = str(exc.response.get("error", ""))
        if error in _UNKNOWN_USER:
            return Delivery(alerts, owner_not_found=owner)
        log.warning("ttl notice: could not look the owner up", error=error)
        return Delivery(alerts)
    except Exception:  # Slack unreachable: the notice must not be lost, so the channel
        log.warning("ttl notice: could not look the owner up", error="no answer")
        return Delivery(alerts)
    user = answer.get("user") or {}
    if user.get("deleted") or user.get("is_bot"):
        return Delivery(alerts, owner_not_found=owner)
    return Delivery(owner, owner=owner)


TTL_JOBS = (
    ScheduledJob(
        TTL_NOTICE_JOB,
        N_(
            "Previews whose TTL ends within the notice window: one notice each "
            "(and a Jira comment)."
        ),
        cron=lambda c: c.ttl_notice.cron,
        grace=lambda c: timedelta(minutes=5),
        channel=lambda c: c.channels.alerts,
        run=run_ttl_notices,
    ),
)

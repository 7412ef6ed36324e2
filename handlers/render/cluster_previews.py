"""`/rtb previews`: the preview namespaces of each env, what is wrong with them first, and
where the hub's own list disagrees with the clusters."""

from __future__ import annotations

from datetime import datetime, tzinfo

from slack_sdk.models.blocks import Block

from handlers.render.answer_buttons import preview_oom_log_buttons
from handlers.render.cluster_format import age, code, local, span, table, table_sections, zone_name
from handlers.render.failure_words import details_text
from handlers.render.i18n import _
from handlers.render.message import Message, clip, context, escape, section
from ops.preview_hub import HubJoin
from ops.previews import Preview, PreviewReport

_COLUMNS = ("ISSUE", "ENV", "AGE", "EXPIRES", "PODS")


def render_previews(report: PreviewReport, zone: tzinfo, hub: HubJoin | None = None) -> Message:
    """`hub`: the hub's own list beside the clusters (a HUB column, and where they disagree);
    left out when no env has a hub API configured."""
    hub = hub if hub is not None and hub.consulted else None
    envs = ", ".join(report.envs)
    blocks: list[Block] = [section(_title(report, envs))]
    alerts = [line for p in report.previews for line in _preview_alerts(p, report, zone)]
    if hub is not None:
        alerts += _hub_disagreements(hub)
    if alerts:
        blocks.append(section("\n".join(alerts[:40])))
    blocks += preview_oom_log_buttons(report.previews)
    if report.previews:
        rows = [_preview_row(p, report.checked_at, hub) for p in report.previews]
        header = (*_COLUMNS, *(("HUB",) if hub else ()))
        blocks += table_sections(table(header, rows, {2, 4}))
    elif not report.failures:
        blocks.append(section(_(":sparkles: No preview environments in {envs}.", envs=envs)))
    for failure in report.failures:
        blocks.append(
            section(
                _(
                    ":warning: *{env}* did not answer ({backend}: {reason}): its previews are "
                    "not shown.",
                    env=failure.env,
                    backend=escape(failure.backend),
                    reason=escape(details_text(failure.details, failure.reason)),
                )
            )
        )
    blocks.append(context(_footer(report, zone, hub is not None)))
    text = _("Previews: {active} active in {envs}", active=report.active, envs=envs)
    if report.failures:
        down = ", ".join(f.env for f in report.failures)
        text = _("{text} (not answering: {envs})", text=text, envs=down)
    return Message(text=text, blocks=tuple(blocks[:50]))


def _title(report: PreviewReport, envs: str) -> str:
    if report.cleanup_failures:
        return _(
            "*Preview environments* in {envs}: {active} active, {expired} expired but still "
            "present",
            envs=envs,
            active=report.active,
            expired=len(report.cleanup_failures),
        )
    return _("*Preview environments* in {envs}: {active} active", envs=envs, active=report.active)


def _footer(report: PreviewReport, zone: tzinfo, with_hub: bool) -> str:
    words = {
        "hours": f"{report.notice_hours:g}",
        "checked": f"{local(report.checked_at, zone, '%H:%M')} "
        f"{zone_name(report.checked_at, zone)}",
    }
    if with_hub:
        return _(
            "PODS: ready / total · HUB: the hub's own status (`GET /api/previews`) · expiry "
            "notice {hours}h before the TTL (`rtb.io/expires-at`) · checked {checked}",
            **words,
        )
    return _(
        "PODS: ready / total · expiry notice {hours}h before the TTL (`rtb.io/expires-at`) · "
        "checked {checked}",
        **words,
    )


def _hub_disagreements(hub: HubJoin) -> list[str]:
    lines = [
        _(
            ":ghost: {issue} ({env}): the namespace is there, but the hub does not list it — "
            "nobody will clean it up (`/rtb preview delete` removes it)",
            issue=code(p.issue_key),
            env=p.env,
        )
        for p in hub.cluster_only
    ]
    lines += [
        _(
            ":grey_question: {issue} ({env}): the hub lists it (`{status}`) but there is no "
            "namespace — deleted by hand, or never created",
            issue=code(h.issue_key),
            env=h.env,
            status=escape(h.status),
        )
        for h in hub.hub_only
    ]
    lines += [
        _(
            ":warning: *{env}*: the hub's list was not read ({reason}), so its previews were "
            "not compared",
            env=li.env,
            reason=escape(li.failure or "?"),
        )
        for li in hub.unread
    ]
    return lines


def _preview_row(preview: Preview, now: datetime, hub: HubJoin | None = None) -> list[str]:
    pods = f"{preview.pods_ready}/{len(preview.pods)}"
    if preview.oom_killed or preview.crash_looping:
        pods += " !"
    expires = _expires_cell(preview, now)
    row = [preview.issue_key, preview.env, age(preview.created_at, now), expires, pods]
    if hub is not None:
        row.append(_hub_cell(hub, preview))
    return row


def _expires_cell(preview: Preview, now: datetime) -> str:
    if preview.terminating:
        return _("deleting")
    if preview.expires_at is None:
        return _("unreadable") if preview.expiry_unreadable else _("no TTL")
    if preview.expired:
        return _("{span} ago!", span=span((now - preview.expires_at).total_seconds()))
    return _("in {span}", span=span((preview.expires_at - now).total_seconds()))


def _hub_cell(hub: HubJoin, preview: Preview) -> str:
    if preview in hub.cluster_only:
        return _("not listed!")
    return clip(hub.status_of(preview) or "?", 12)


def _preview_alerts(preview: Preview, report: PreviewReport, zone: tzinfo) -> list[str]:
    """What is wrong with one preview: its expiry first, then its pods."""
    who = f"{code(preview.issue_key)} ({preview.env})"
    return [*_expiry_alerts(preview, who, report.checked_at, zone), *_pod_alerts(preview, who)]


def _expiry_alerts(preview: Preview, who: str, now: datetime, zone: tzinfo) -> list[str]:
    lines, expires = [], preview.expires_at
    at = f"{local(expires, zone)} {zone_name(expires, zone)}" if expires else ""
    if preview.expired and expires:
        lines.append(
            _(
                ":rotating_light: {who} expired {span} ago ({at}) but namespace {namespace} is "
                "still there: `cleanupExpired()` failed?",
                who=who,
                span=span((now - expires).total_seconds()),
                at=at,
                namespace=code(preview.namespace),
            )
        )
    if preview.expiring_soon and expires:
        left = span((expires - now).total_seconds())
        lines.append(_(":hourglass: {who} expires in {span} ({at})", who=who, span=left, at=at))
    if preview.expiry_unreadable:
        lines.append(_(":warning: {who} has an unreadable `rtb.io/expires-at` annotation", who=who))
    return lines


def _pod_alerts(preview: Preview, who: str) -> list[str]:
    lines = []
    if preview.oom_killed:
        pods = ", ".join(code(p) for p in preview.oom_killed)
        lines.append(_(":rotating_light: {who} *OOMKilled*: {pods}", who=who, pods=pods))
    crash = [p for p in preview.crash_looping if p not in preview.oom_killed]
    if crash:
        pods = ", ".join(code(p) for p in crash)
        lines.append(f":repeat: {who} CrashLoopBackOff: {pods}")
    return lines + [
        _(
            ":snail: {who} slow start: {pod} took {seconds}s to Ready (Fargate cold start)",
            who=who,
            pod=code(pod.name),
            seconds=f"{pod.start_seconds or 0:.0f}",
        )
        for pod in preview.slow_starts
    ]

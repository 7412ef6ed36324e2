"""Pods, logs, rollout history and status, can-i and previews: results → Slack messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from slack_sdk.models.blocks import Block

from handlers.render.answer_buttons import oom_log_buttons, preview_oom_log_buttons
from handlers.render.message import (
    MAX_SECTION_TEXT,
    Message,
    clip,
    code_block,
    context,
    escape,
    section,
)
from ops.access_reviews import AccessReview
from ops.pino import LogLine
from ops.pod_logs import PodLogs
from ops.pods import PodList, PodSummary
from ops.preview_hub import HubJoin
from ops.previews import Preview, PreviewReport
from ops.rollouts.history import RolloutHistory
from ops.rollouts.status import RolloutStatus

_CHUNK = MAX_SECTION_TEXT - 100  # room for the ``` fences and a header line
_MAX_TABLE_SECTIONS = 20
_INLINE_LOG_LINES = 40


# -- formatting helpers ------------------------------------------------------------------------


def span(seconds: float) -> str:
    """A compact duration: 45s, 12m, 1h30m, 20h, 2d4h, 9d."""
    total = int(max(0, seconds))
    if total < 60:
        return f"{total}s"
    minutes, hours, days = total // 60, total // 3600, total // 86400
    if total < 3600:
        return f"{minutes}m"
    if total < 86400:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest and hours < 10 else f"{hours}h"
    rest = hours % 24
    return f"{days}d{rest}h" if rest and days < 3 else f"{days}d"


def _age(moment: datetime | None, now: datetime) -> str:
    return span((now - moment).total_seconds()) if moment else "?"


def _local(moment: datetime, zone: tzinfo, fmt: str = "%m-%d %H:%M") -> str:
    return moment.astimezone(zone).strftime(fmt)


def _zone_name(now: datetime, zone: tzinfo) -> str:
    return now.astimezone(zone).strftime("%Z")


def _code(text: str) -> str:
    """Backend or user text as inline code (no backticks, mrkdwn control characters escaped)."""
    cleaned = escape(text).replace("`", "'")
    return f"`{cleaned}`"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ]
        return "  ".join(padded).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _table_sections(lines: list[str]) -> list[Block]:
    """Table lines as code-block sections that each fit, the header repeated in each."""
    header, rows = escape(lines[0]), [escape(line) for line in lines[1:]]
    chunks: list[list[str]] = [[]]
    for row in rows:
        if sum(len(r) + 1 for r in chunks[-1]) + len(row) + len(header) > _CHUNK:
            chunks.append([])
        chunks[-1].append(row)
    blocks: list[Block] = [section(code_block([header, *c])) for c in chunks]
    if len(blocks) > _MAX_TABLE_SECTIONS:
        left = sum(len(c) for c in chunks[_MAX_TABLE_SECTIONS:])
        blocks = [*blocks[:_MAX_TABLE_SECTIONS], context(f"… and {left} more rows not shown")]
    return blocks


# -- pods --------------------------------------------------------------------------------------


def render_pods(pods: PodList, zone: tzinfo) -> Message:
    where = f"`{escape(pods.namespace)}` ({pods.env})"
    selector = f" matching {_code(pods.selector)}" if pods.selector else ""
    footer = context(
        f"READY: ready containers / containers · START: creation → Ready, flagged over "
        f"{pods.slow_start_seconds:g}s (Fargate cold start) · checked "
        f"{_local(pods.checked_at, zone, '%H:%M')} {_zone_name(pods.checked_at, zone)}"
    )
    if not pods.pods:
        text = f"No pods in {where}{selector}."
        return Message(text=text, blocks=(section(f":mag: {text}"), footer))
    healthy = sum(1 for p in pods.pods if p.healthy)
    count = f"{len(pods.pods)} pod{'s' if len(pods.pods) != 1 else ''}"
    title = f"*Pods in {where}*{selector}: {count}, {healthy} healthy"
    blocks: list[Block] = [section(title)]
    loud_first = sorted(pods.pods, key=lambda p: not (p.oom_killed or p.crash_looping))
    alerts = [line for p in loud_first if (line := _pod_alert(p, pods.slow_start_seconds))]
    if alerts:
        blocks.append(section("\n".join(alerts[:30])))
    blocks += oom_log_buttons(pods)
    rows = [_pod_row(p, pods.checked_at) for p in pods.pods]
    header = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "START")
    blocks += [*_table_sections(_table(header, rows, {1, 3, 4, 5})), footer]
    summary = f"Pods in {pods.namespace} ({pods.env}): {count}, {healthy} healthy"
    if any(p.oom_killed for p in pods.pods):
        summary += " — OOMKilled!"
    return Message(text=summary, blocks=tuple(blocks[:50]))


def _pod_row(pod: PodSummary, now: datetime) -> list[str]:
    start = "-" if pod.start_seconds is None else f"{pod.start_seconds:.0f}s"
    return [
        pod.name,
        f"{pod.ready}/{pod.containers}",
        pod.waiting_reason or pod.phase,
        str(pod.restarts),
        _age(pod.created_at, now),
        start + ("!" if pod.slow_start else ""),
    ]


def _pod_alert(pod: PodSummary, slow_after: float) -> str | None:
    problems: list[str] = []
    ended = pod.last_termination
    if ended and pod.oom_killed:
        problems.append(f"*OOMKilled* (container {_code(ended.container)}{_exit(ended.exit_code)})")
    if pod.crash_looping:
        problems.append("*CrashLoopBackOff*")
    elif pod.waiting_reason and pod.waiting_reason != "ContainerCreating":
        problems.append(f"waiting: {escape(pod.waiting_reason)}")
    if ended and not pod.oom_killed and ended.reason != "Completed":
        problems.append(f"last terminated: {escape(ended.reason)}{_exit(ended.exit_code)}")
    if pod.restarts and problems:
        problems.append(f"{pod.restarts} restarts")
    if pod.slow_start and pod.start_seconds is not None:
        problems.append(
            f"slow start: {pod.start_seconds:.0f}s to Ready (> {slow_after:g}s, Fargate cold start)"
        )
    if not problems:
        return None
    loud = pod.oom_killed or pod.crash_looping
    mark = ":rotating_light:" if loud else ":snail:" if pod.slow_start else ":warning:"
    return f"{mark} {_code(pod.name)} — " + " · ".join(problems)


def _exit(code: int | None) -> str:
    return f", exit {code}" if code is not None else ""


# -- logs --------------------------------------------------------------------------------------


def render_logs(logs: PodLogs, zone: tzinfo) -> Message:
    source = f"`{escape(logs.pod)}`"
    if logs.deployment:
        source = f"`{escape(logs.deployment)}` (newest pod {source})"
    window = f"last {logs.tail} lines" + (
        f" of the last {span(logs.since.total_seconds())}" if logs.since else ""
    )
    run = " (previous run, before its last restart)" if logs.previous else ""
    title = (
        f"*Logs of {source}* in `{escape(logs.namespace)}` ({logs.env}), "
        f"container `{escape(logs.container)}`{run}, {window}"
    )
    plain = f"Logs of {logs.pod} ({logs.env}): {len(logs.lines)} lines"
    if not logs.lines:
        return Message(text=plain, blocks=(section(title), section(":zzz: No log lines.")))
    shown = [_log_line(line, zone) for line in logs.lines]
    inline = code_block([escape(s) for s in shown])
    if len(shown) <= _INLINE_LOG_LINES and not inline.endswith("… (cut)\n```"):
        return Message(text=plain, blocks=(section(title), section(inline)))
    filename = f"{logs.pod}.log"
    lines = [f"{len(logs.lines)} lines, attached as `{escape(filename)}`."]
    if logs.level_counts:
        counts = " · ".join(f"{level} {n}" for level, n in logs.level_counts.items())
        lines.append(f"Levels: {counts}")
    errors = [line for line in logs.lines if line.level in ("error", "fatal")]
    if errors:
        lines.append(f"Newest error: {escape(_log_line(errors[-1], zone))}")
    return Message(
        text=plain,
        blocks=(section(title), section("\n".join(lines))),
        files=((filename, logs.text),),
    )


def _log_line(line: LogLine, zone: tzinfo) -> str:
    """Pino JSON compacted to `14:02:11 ERROR PROJ-123 jira-auto-dev 12.4s message`."""
    if line.level is None:
        return line.text
    parts = [_local(line.time, zone, "%H:%M:%S") if line.time else "", line.level.upper()]
    parts += [line.issue_key or "", line.workflow_type or ""]
    if line.duration_ms is not None:
        parts.append(f"{line.duration_ms / 1000:.1f}s")
    parts.append(line.msg if line.msg is not None else line.text)
    return " ".join(p for p in parts if p)


# -- rollout history and status ----------------------------------------------------------------


def render_history(history: RolloutHistory, zone: tzinfo) -> Message:
    where = f"`{escape(history.deployment)}` in `{escape(history.namespace)}` ({history.env})"
    text = f"Rollout history of {history.deployment} ({history.env})"
    if not history.revisions:
        return Message(text=text, blocks=(section(f":mag: No ReplicaSets found for {where}."),))
    created = [r.created_at for r in history.revisions if r.created_at]
    zone_name = _zone_name(created[0], zone) if created else ""
    rows = [
        [
            ("*" if r.current else " ") + str(r.number),
            _local(r.created_at, zone) if r.created_at else "?",
            ", ".join(_short_image(i) for i in r.images) or "?",
            r.change_cause or "",
        ]
        for r in history.revisions
    ]
    header = ("REV", f"CREATED ({zone_name})", "IMAGE", "CHANGE CAUSE")
    current = next((r for r in history.revisions if r.current), None)
    now = f"current: revision {current.number}, " if current else ""
    note = context(
        f"`*` marks the current revision · {now}images shown as repository:tag · "
        "`/rtb rollout-status` shows whether it is rolled out"
    )
    blocks: list[Block] = [section(f"*Rollout history of {where}*")]
    blocks += [*_table_sections(_table(header, rows, set())), note]
    return Message(text=text, blocks=tuple(blocks))


def _short_image(image: str) -> str:
    return image.rsplit("/", 1)[-1]


_VERDICT_MARK = {
    "complete": ":white_check_mark:",
    "progressing": ":hourglass_flowing_sand:",
    "failed": ":x:",
    "paused": ":double_vertical_bar:",
    "unobserved": ":eyes:",
}


def render_rollout_status(status: RolloutStatus) -> Message:
    where = f"`{escape(status.deployment)}` in `{escape(status.namespace)}` ({status.env})"
    verdict = f"{_VERDICT_MARK[status.state]} {where}: {_verdict(status)}"
    fields = [
        f"*Generation*\n{status.generation} (observed {status.observed_generation})",
        f"*Desired*\n{status.desired}",
        f"*Updated*\n{status.updated}",
        f"*Ready*\n{status.ready}",
        f"*Available*\n{status.available}",
        f"*Pods (old + new)*\n{status.total}",
    ]
    blocks: list[Block] = [section(verdict), section("", fields=fields)]
    if status.progressing_reason:
        detail = status.progressing_message
        message = f": {escape(detail)}" if detail and detail != status.progressing_reason else ""
        blocks.append(
            context(f"Progressing condition: *{escape(status.progressing_reason)}*{message}")
        )
    text = f"{status.deployment} ({status.env}): {status.state}"
    return Message(text=text, blocks=tuple(blocks))


def _verdict(s: RolloutStatus) -> str:
    if s.state == "unobserved":
        return (
            f"waiting for the controller to observe generation {s.generation} "
            f"(it has seen {s.observed_generation})."
        )
    if s.state == "failed":
        return "*rollout failed*: progress deadline exceeded."
    if s.state == "paused":
        return "rollout is *paused*."
    if s.state == "complete":
        return f"successfully rolled out, {s.available}/{s.desired} available."
    if s.updated < s.desired:
        return f"rolling out: {s.updated} of {s.desired} new replicas updated."
    if s.total > s.updated:
        return f"rolling out: {s.total - s.updated} old replicas pending termination."
    return f"rolling out: {s.available} of {s.updated} updated replicas available."


# -- can-i -------------------------------------------------------------------------------------


def render_can_i(review: AccessReview) -> Message:
    scope = f"in `{escape(review.namespace)}`" if review.namespace else "cluster-wide"
    action = f"`{escape(review.verb)}` {_code(str(review.resource))} {scope} ({review.env})"
    who = _code(review.subject.user)
    if review.allowed:
        verdict = f":white_check_mark: *yes* — {who} can {action}."
    else:
        how = " (explicitly denied)" if review.denied else ""
        verdict = f":no_entry: *no* — {who} cannot {action}{how}."
    notes = []
    if review.reason:
        notes.append(f"Reason: {escape(review.reason)}")
    if review.evaluation_error:
        notes.append(f":warning: Evaluation error: {escape(review.evaluation_error)}")
    if review.subject.groups:
        notes.append("Groups: " + ", ".join(_code(g) for g in review.subject.groups))
    blocks: list[Block] = [section(verdict)]
    if notes:
        blocks.append(context(*notes))
    answer = "yes" if review.allowed else "no"
    return Message(
        text=f"can-i {review.verb} {review.resource} ({review.env}): {answer}",
        blocks=tuple(blocks),
    )


# -- previews ----------------------------------------------------------------------------------


def render_previews(report: PreviewReport, zone: tzinfo, hub: HubJoin | None = None) -> Message:
    """`hub`: the hub's own list beside the clusters (a HUB column, and where they disagree);
    left out when no env has a hub API configured."""
    hub = hub if hub is not None and hub.consulted else None
    envs = ", ".join(report.envs)
    checked = f"{_local(report.checked_at, zone, '%H:%M')} {_zone_name(report.checked_at, zone)}"
    title = f"*Preview environments* in {envs}: {report.active} active"
    if report.cleanup_failures:
        title += f", {len(report.cleanup_failures)} expired but still present"
    blocks: list[Block] = [section(title)]
    alerts = [line for p in report.previews for line in _preview_alerts(p, report, zone)]
    if hub is not None:
        alerts += _hub_disagreements(hub)
    if alerts:
        blocks.append(section("\n".join(alerts[:40])))
    blocks += preview_oom_log_buttons(report.previews)
    if report.previews:
        rows = [_preview_row(p, report.checked_at, hub) for p in report.previews]
        header = ("ISSUE", "ENV", "AGE", "EXPIRES", "PODS", *(("HUB",) if hub else ()))
        blocks += _table_sections(_table(header, rows, {2, 4}))
    elif not report.failures:
        blocks.append(section(f":sparkles: No preview environments in {envs}."))
    for failure in report.failures:
        blocks.append(
            section(
                f":warning: *{failure.env}* did not answer ({escape(failure.backend)}: "
                f"{escape(failure.reason)}): its previews are not shown."
            )
        )
    hub_note = " · HUB: the hub's own status (`GET /api/previews`)" if hub else ""
    blocks.append(
        context(
            f"PODS: ready / total{hub_note} · expiry notice {report.notice_hours:g}h before "
            f"the TTL (`rtb.io/expires-at`) · checked {checked}"
        )
    )
    text = f"Previews: {report.active} active in {envs}"
    if report.failures:
        text += " (not answering: " + ", ".join(f.env for f in report.failures) + ")"
    return Message(text=text, blocks=tuple(blocks[:50]))


def _hub_disagreements(hub: HubJoin) -> list[str]:
    lines = [
        f":ghost: {_code(p.issue_key)} ({p.env}): the namespace is there, but the hub does not "
        "list it — nobody will clean it up (`/rtb preview delete` removes it)"
        for p in hub.cluster_only
    ]
    lines += [
        f":grey_question: {_code(h.issue_key)} ({h.env}): the hub lists it "
        f"(`{escape(h.status)}`) but there is no namespace — deleted by hand, or never created"
        for h in hub.hub_only
    ]
    lines += [
        f":warning: *{li.env}*: the hub's list was not read ({escape(li.failure or '?')}), "
        "so its previews were not compared"
        for li in hub.unread
    ]
    return lines


def _preview_row(preview: Preview, now: datetime, hub: HubJoin | None = None) -> list[str]:
    if preview.terminating:
        expires = "deleting"
    elif preview.expires_at is None:
        expires = "unreadable" if preview.expiry_unreadable else "no TTL"
    elif preview.expired:
        expires = f"{span((now - preview.expires_at).total_seconds())} ago!"
    else:
        expires = f"in {span((preview.expires_at - now).total_seconds())}"
    pods = f"{preview.pods_ready}/{len(preview.pods)}"
    if preview.oom_killed or preview.crash_looping:
        pods += " !"
    row = [preview.issue_key, preview.env, _age(preview.created_at, now), expires, pods]
    if hub is not None:
        row.append(_hub_cell(hub, preview))
    return row


def _hub_cell(hub: HubJoin, preview: Preview) -> str:
    if preview in hub.cluster_only:
        return "not listed!"
    return clip(hub.status_of(preview) or "?", 12)


def _preview_alerts(preview: Preview, report: PreviewReport, zone: tzinfo) -> list[str]:
    who = f"{_code(preview.issue_key)} ({preview.env})"
    now, lines = report.checked_at, []
    if preview.expired and preview.expires_at:
        ago = span((now - preview.expires_at).total_seconds())
        lines.append(
            f":rotating_light: {who} expired {ago} ago ({_local(preview.expires_at, zone)} "
            f"{_zone_name(preview.expires_at, zone)}) "
            f"but namespace {_code(preview.namespace)} is still there: `cleanupExpired()` failed?"
        )
    if preview.expiring_soon and preview.expires_at:
        left = span((preview.expires_at - now).total_seconds())
        lines.append(
            f":hourglass: {who} expires in {left} ({_local(preview.expires_at, zone)} "
            f"{_zone_name(preview.expires_at, zone)})"
        )
    if preview.expiry_unreadable:
        lines.append(f":warning: {who} has an unreadable `rtb.io/expires-at` annotation")
    if preview.oom_killed:
        pods = ", ".join(_code(p) for p in preview.oom_killed)
        lines.append(f":rotating_light: {who} *OOMKilled*: {pods}")
    crash = [p for p in preview.crash_looping if p not in preview.oom_killed]
    if crash:
        lines.append(f":repeat: {who} CrashLoopBackOff: " + ", ".join(_code(p) for p in crash))
    for pod in preview.slow_starts:
        seconds = pod.start_seconds or 0
        lines.append(
            f":snail: {who} slow start: {_code(pod.name)} took {seconds:.0f}s to Ready "
            "(Fargate cold start)"
        )
    return lines

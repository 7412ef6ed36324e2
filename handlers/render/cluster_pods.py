"""`/rtb pods` and `/rtb logs`: pods with what is wrong with them first, and a pod's logs
inline or as a file."""

from __future__ import annotations

from datetime import datetime, tzinfo

from slack_sdk.models.blocks import Block

from handlers.render.answer_buttons import oom_log_buttons
from handlers.render.cluster_format import age, code, local, span, table, table_sections, zone_name
from handlers.render.i18n import _, ngettext
from handlers.render.message import Message, code_block, context, escape, section
from ops.pino import LogLine
from ops.pod_logs import PodLogs
from ops.pods import PodList, PodSummary

_INLINE_LOG_LINES = 40
_POD_COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "START")


def render_pods(pods: PodList, zone: tzinfo) -> Message:
    where = f"`{escape(pods.namespace)}` ({pods.env})"
    selector = _(" matching {selector}", selector=code(pods.selector)) if pods.selector else ""
    footer = context(
        _(
            "READY: ready containers / containers · START: creation → Ready, flagged over "
            "{slow}s (Fargate cold start) · checked {time} {zone}",
            slow=f"{pods.slow_start_seconds:g}",
            time=local(pods.checked_at, zone, "%H:%M"),
            zone=zone_name(pods.checked_at, zone),
        )
    )
    if not pods.pods:
        text = _("No pods in {where}{selector}.", where=where, selector=selector)
        return Message(text=text, blocks=(section(f":mag: {text}"), footer))
    healthy = sum(1 for p in pods.pods if p.healthy)
    count = ngettext("{n} pod", "{n} pods", len(pods.pods))
    title = _(
        "*Pods in {where}*{selector}: {count}, {healthy} healthy",
        where=where,
        selector=selector,
        count=count,
        healthy=healthy,
    )
    blocks: list[Block] = [section(title)]
    loud_first = sorted(pods.pods, key=lambda p: not (p.oom_killed or p.crash_looping))
    alerts = [line for p in loud_first if (line := _pod_alert(p, pods.slow_start_seconds))]
    if alerts:
        blocks.append(section("\n".join(alerts[:30])))
    blocks += oom_log_buttons(pods)
    rows = [_pod_row(p, pods.checked_at) for p in pods.pods]
    blocks += [*table_sections(table(_POD_COLUMNS, rows, {1, 3, 4, 5})), footer]
    words = {"namespace": pods.namespace, "env": pods.env, "count": count, "healthy": healthy}
    summary = (
        _("Pods in {namespace} ({env}): {count}, {healthy} healthy — OOMKilled!", **words)
        if any(p.oom_killed for p in pods.pods)
        else _("Pods in {namespace} ({env}): {count}, {healthy} healthy", **words)
    )
    return Message(text=summary, blocks=tuple(blocks[:50]))


def _pod_row(pod: PodSummary, now: datetime) -> list[str]:
    start = "-" if pod.start_seconds is None else f"{pod.start_seconds:.0f}s"
    return [
        pod.name,
        f"{pod.ready}/{pod.containers}",
        pod.waiting_reason or pod.phase,
        str(pod.restarts),
        age(pod.created_at, now),
        start + ("!" if pod.slow_start else ""),
    ]


def _pod_alert(pod: PodSummary, slow_after: float) -> str | None:
    problems: list[str] = []
    ended = pod.last_termination
    if ended and pod.oom_killed:
        container = code(ended.container)
        problems.append(
            _("*OOMKilled* (container {container})", container=container)
            if ended.exit_code is None
            else _(
                "*OOMKilled* (container {container}, exit {code})",
                container=container,
                code=ended.exit_code,
            )
        )
    if pod.crash_looping:
        problems.append("*CrashLoopBackOff*")
    elif pod.waiting_reason and pod.waiting_reason != "ContainerCreating":
        problems.append(_("waiting: {reason}", reason=escape(pod.waiting_reason)))
    if ended and not pod.oom_killed and ended.reason != "Completed":
        reason = escape(ended.reason)
        problems.append(
            _("last terminated: {reason}", reason=reason)
            if ended.exit_code is None
            else _("last terminated: {reason}, exit {code}", reason=reason, code=ended.exit_code)
        )
    if pod.restarts and problems:
        problems.append(ngettext("{n} restart", "{n} restarts", pod.restarts))
    if pod.slow_start and pod.start_seconds is not None:
        problems.append(
            _(
                "slow start: {seconds}s to Ready (> {limit}s, Fargate cold start)",
                seconds=f"{pod.start_seconds:.0f}",
                limit=f"{slow_after:g}",
            )
        )
    if not problems:
        return None
    loud = pod.oom_killed or pod.crash_looping
    mark = ":rotating_light:" if loud else ":snail:" if pod.slow_start else ":warning:"
    return f"{mark} {code(pod.name)} — " + " · ".join(problems)


# -- logs --------------------------------------------------------------------------------------


def render_logs(logs: PodLogs, zone: tzinfo) -> Message:
    title = _logs_title(logs)
    plain = _(
        "Logs of {pod} ({env}): {count} lines", pod=logs.pod, env=logs.env, count=len(logs.lines)
    )
    if not logs.lines:
        return Message(text=plain, blocks=(section(title), section(_(":zzz: No log lines."))))
    shown = [_log_line(line, zone) for line in logs.lines]
    inline = code_block([escape(s) for s in shown])
    if len(shown) <= _INLINE_LOG_LINES and not inline.endswith("… (cut)\n```"):
        return Message(text=plain, blocks=(section(title), section(inline)))
    filename = f"{logs.pod}.log"
    lines = [
        _(
            "{count} lines, attached as `{filename}`.",
            count=len(logs.lines),
            filename=escape(filename),
        )
    ]
    if logs.level_counts:
        counts = " · ".join(f"{level} {n}" for level, n in logs.level_counts.items())
        lines.append(_("Levels: {counts}", counts=counts))
    errors = [line for line in logs.lines if line.level in ("error", "fatal")]
    if errors:
        lines.append(_("Newest error: {line}", line=escape(_log_line(errors[-1], zone))))
    return Message(
        text=plain,
        blocks=(section(title), section("\n".join(lines))),
        files=((filename, logs.text),),
    )


def _logs_title(logs: PodLogs) -> str:
    source = f"`{escape(logs.pod)}`"
    if logs.deployment:
        source = _(
            "`{deployment}` (newest pod {pod})", deployment=escape(logs.deployment), pod=source
        )
    window = (
        _(
            "last {tail} lines of the last {span}",
            tail=logs.tail,
            span=span(logs.since.total_seconds()),
        )
        if logs.since
        else _("last {tail} lines", tail=logs.tail)
    )
    words = {
        "source": source,
        "namespace": escape(logs.namespace),
        "env": logs.env,
        "container": escape(logs.container),
        "window": window,
    }
    if logs.previous:
        return _(
            "*Logs of {source}* in `{namespace}` ({env}), container `{container}` (previous "
            "run, before its last restart), {window}",
            **words,
        )
    return _(
        "*Logs of {source}* in `{namespace}` ({env}), container `{container}`, {window}", **words
    )


def _log_line(line: LogLine, zone: tzinfo) -> str:
    """Pino JSON compacted to `14:02:11 ERROR PROJ-123 jira-auto-dev 12.4s message`."""
    if line.level is None:
        return line.text
    parts = [local(line.time, zone, "%H:%M:%S") if line.time else "", line.level.upper()]
    parts += [line.issue_key or "", line.workflow_type or ""]
    if line.duration_ms is not None:
        parts.append(f"{line.duration_ms / 1000:.1f}s")
    parts.append(line.msg if line.msg is not None else line.text)
    return " ".join(p for p in parts if p)

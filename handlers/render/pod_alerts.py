"""The preview pod watcher's alerts (OOMKilled, slow start) and the pod events answer."""

from __future__ import annotations

from datetime import datetime, tzinfo

from slack_sdk.models.blocks import Block

from handlers.render.cluster import span
from handlers.render.cluster_format import padded
from handlers.render.command_lines import events_command, logs_command
from handlers.render.i18n import N_, _
from handlers.render.message import (
    Message,
    button,
    buttons,
    code_block,
    context,
    escape,
    section,
)
from ops.pod_events import PodEvents
from ops.pod_health import OomAlert, SlowStart, SlowStartAlert

LOGS_ACTION = "pod_alert.logs"
EVENTS_ACTION = "pod_alert.events"
# ops.pod_health's start phases, in words
PHASES = {
    "scheduling": N_("scheduling"),
    "node": N_("node"),
    "image_pull": N_("image pull and start"),
    "readiness": N_("readiness"),
}


def took(seconds: float) -> str:
    """Start times to the second (95 s is `1m35s`, not `1m`): the threshold is a minute."""
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60:02d}s"
    return span(total)


def _local(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M:%S") if moment else "?"


def _preview(issue_key: str | None, namespace: str) -> str:
    key = f"*{escape(issue_key)}* " if issue_key else ""
    return f"{key}(`{escape(namespace)}`)"


def _read_buttons(env: str, namespace: str, pod: str, container: str) -> Block:
    return buttons(
        button(_("Logs (--previous)"), LOGS_ACTION, logs_command(env, namespace, pod, container)),
        button(_("Events"), EVENTS_ACTION, events_command(env, namespace, pod)),
    )


def render_oom_alert(alert: OomAlert, zone: tzinfo) -> Message:
    times = f" ×{alert.kills}" if alert.kills > 1 else ""
    title = _(
        ":boom: *OOMKilled{times}* in {env}: preview {preview}",
        times=times,
        env=alert.env,
        preview=_preview(alert.issue_key, alert.namespace),
    )
    blocks = (
        section(title, fields=_oom_fields(alert)),
        context(" · ".join(_oom_notes(alert, zone))),
        _read_buttons(alert.env, alert.namespace, alert.pod, alert.container),
    )
    return Message(text=_oom_text(alert, times), blocks=blocks)


def _oom_fields(alert: OomAlert) -> list[str]:
    limit = f"`{escape(alert.memory_limit)}`" if alert.memory_limit else _("none set")
    return [
        _("*Pod*\n`{pod}`", pod=escape(alert.pod)),
        _("*Container*\n`{container}`", container=escape(alert.container)),
        _("*Memory limit*\n{limit}", limit=limit),
        _("*Restarts*\n{restarts}", restarts=alert.restart_count),
    ]


def _oom_notes(alert: OomAlert, zone: tzinfo) -> list[str]:
    notes = [_("Killed at {at}", at=_local(alert.killed_at, zone))]
    if alert.kills > 1:
        notes.append(
            _(
                "{kills} OOMKills of this container folded into this alert (opened {at})",
                kills=alert.kills,
                at=_local(alert.first_at, zone),
            )
        )
    return notes


def _oom_text(alert: OomAlert, times: str) -> str:
    return _(
        "OOMKilled{times} in {env}: {key} pod {pod} container {container} "
        "(limit {limit}, restarts {restarts})",
        times=times,
        env=alert.env,
        key=alert.issue_key or alert.namespace,
        pod=alert.pod,
        container=alert.container,
        limit=alert.memory_limit or _("none"),
        restarts=alert.restart_count,
    )


def render_slow_start(alert: SlowStartAlert, zone: tzinfo) -> Message:
    start = alert.start
    title = _(
        ":snail: *Slow start* in {env}: preview {preview} pod `{pod}` was Ready *{took}* after "
        "creation (threshold {threshold})",
        env=alert.env,
        preview=_preview(alert.issue_key, start.pod.namespace),
        pod=escape(start.pod.name),
        took=took(start.seconds),
        threshold=took(alert.threshold_seconds),
    )
    lines = [f"{padded(_phase(p.name), 22)}{took(p.seconds):>6}" for p in start.phases]
    blocks: list[Block] = [section(title)]
    if lines:
        blocks.append(section(code_block([escape(line) for line in lines])))
    events = events_command(alert.env, start.pod.namespace, start.pod.name)
    blocks += [context(_ready(start, zone)), buttons(button(_("Events"), EVENTS_ACTION, events))]
    text = _(
        "Slow start in {env}: {key} pod {pod} Ready after {took}",
        env=alert.env,
        key=alert.issue_key or start.pod.namespace,
        pod=start.pod.name,
        took=took(start.seconds),
    )
    return Message(text=text, blocks=tuple(blocks))


def _ready(start: SlowStart, zone: tzinfo) -> str:
    """When it was Ready and, when known, the phase that took most of the time."""
    slowest = max(start.phases, key=lambda p: p.seconds, default=None)
    if slowest is None:
        return _("Ready at {at}.", at=_local(start.ready_at, zone))
    return _(
        "Ready at {at}. Most of it: *{phase}* ({took}).",
        at=_local(start.ready_at, zone),
        phase=_phase(slowest.name),
        took=took(slowest.seconds),
    )


def _phase(name: str) -> str:
    return _(PHASES[name]) if name in PHASES else name


def render_pod_events(events: PodEvents, zone: tzinfo) -> Message:
    title = _(
        "*Events of pod `{pod}`* in `{namespace}` ({env})",
        pod=escape(events.pod),
        namespace=escape(events.namespace),
        env=events.env,
    )
    plain = _(
        "Events of {pod} ({env}): {total}", pod=events.pod, env=events.env, total=events.total
    )
    if not events.events:
        empty = _(":zzz: No events (they expire after an hour).")
        return Message(text=plain, blocks=(section(title), section(empty)))
    lines = [
        f"{_local(e.last_seen, zone)} {e.type:<7} {e.reason:<16} "
        + (f"(x{e.count}) " if e.count > 1 else "")
        + e.message
        for e in events.events
    ]
    blocks: list[Block] = [section(title), section(code_block([escape(ln) for ln in lines]))]
    if events.total > len(events.events):
        newest = _(
            "The newest {shown} of {total} events.", shown=len(events.events), total=events.total
        )
        blocks.append(context(newest))
    return Message(text=plain, blocks=tuple(blocks))

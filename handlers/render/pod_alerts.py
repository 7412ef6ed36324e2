"""The preview pod watcher's alerts (OOMKilled, slow start) and the pod events answer."""

from __future__ import annotations

from datetime import datetime, tzinfo

from slack_sdk.models.blocks import Block

from handlers.render.cluster import span
from handlers.render.command_lines import events_command, logs_command
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
from ops.pod_health import OomAlert, SlowStartAlert

LOGS_ACTION = "pod_alert.logs"
EVENTS_ACTION = "pod_alert.events"


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
        button("Logs (--previous)", LOGS_ACTION, logs_command(env, namespace, pod, container)),
        button("Events", EVENTS_ACTION, events_command(env, namespace, pod)),
    )


def render_oom_alert(alert: OomAlert, zone: tzinfo) -> Message:
    limit = f"`{escape(alert.memory_limit)}`" if alert.memory_limit else "none set"
    times = f" ×{alert.kills}" if alert.kills > 1 else ""
    title = (
        f":boom: *OOMKilled{times}* in {alert.env}: preview "
        f"{_preview(alert.issue_key, alert.namespace)}"
    )
    fields = [
        f"*Pod*\n`{escape(alert.pod)}`",
        f"*Container*\n`{escape(alert.container)}`",
        f"*Memory limit*\n{limit}",
        f"*Restarts*\n{alert.restart_count}",
    ]
    notes = [f"Killed at {_local(alert.killed_at, zone)}"]
    if alert.kills > 1:
        notes.append(
            f"{alert.kills} OOMKills of this container folded into this alert"
            f" (opened {_local(alert.first_at, zone)})"
        )
    key = alert.issue_key or alert.namespace
    text = (
        f"OOMKilled{times} in {alert.env}: {key} pod {alert.pod} container {alert.container}"
        f" (limit {alert.memory_limit or 'none'}, restarts {alert.restart_count})"
    )
    blocks = (
        section(title, fields=fields),
        context(" · ".join(notes)),
        _read_buttons(alert.env, alert.namespace, alert.pod, alert.container),
    )
    return Message(text=text, blocks=blocks)


def render_slow_start(alert: SlowStartAlert, zone: tzinfo) -> Message:
    start = alert.start
    phases = [(p.name, took(p.seconds)) for p in start.phases]
    slowest = max(start.phases, key=lambda p: p.seconds, default=None)
    lines = [f"{name:<22}{took:>6}" for name, took in phases]
    title = (
        f":snail: *Slow start* in {alert.env}: preview "
        f"{_preview(alert.issue_key, start.pod.namespace)} pod `{escape(start.pod.name)}` was "
        f"Ready *{took(start.seconds)}* after creation (threshold {took(alert.threshold_seconds)})"
    )
    where = f"Most of it: *{slowest.name}* ({took(slowest.seconds)})." if slowest else ""
    blocks: list[Block] = [section(title)]
    if lines:
        blocks.append(section(code_block([escape(line) for line in lines])))
    blocks.append(context(f"Ready at {_local(start.ready_at, zone)}. {where}".strip()))
    blocks.append(
        buttons(
            button(
                "Events",
                EVENTS_ACTION,
                events_command(alert.env, start.pod.namespace, start.pod.name),
            )
        )
    )
    text = (
        f"Slow start in {alert.env}: {alert.issue_key or start.pod.namespace} pod"
        f" {start.pod.name} Ready after {took(start.seconds)}"
    )
    return Message(text=text, blocks=tuple(blocks))


def render_pod_events(events: PodEvents, zone: tzinfo) -> Message:
    title = f"*Events of pod `{escape(events.pod)}`* in `{escape(events.namespace)}` ({events.env})"
    plain = f"Events of {events.pod} ({events.env}): {events.total}"
    if not events.events:
        return Message(
            text=plain,
            blocks=(section(title), section(":zzz: No events (they expire after an hour).")),
        )
    lines = [
        f"{_local(e.last_seen, zone)} {e.type:<7} {e.reason:<16} "
        + (f"(x{e.count}) " if e.count > 1 else "")
        + e.message
        for e in events.events
    ]
    blocks: list[Block] = [section(title), section(code_block([escape(ln) for ln in lines]))]
    if events.total > len(events.events):
        blocks.append(context(f"The newest {len(events.events)} of {events.total} events."))
    return Message(text=plain, blocks=tuple(blocks))

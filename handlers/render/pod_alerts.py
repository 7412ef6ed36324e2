"""The preview pod watcher's alerts (OOMKilled, slow start) and the pod events answer."""

from __future__ import annotations

from datetime import datetime, tzinfo
from unicodedata import east_asian_width

from slack_sdk.models.blocks import Block

from handlers.render.cluster import span
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
from ops.pod_health import OomAlert, SlowStartAlert

LOGS_ACTION = "pod_alert.logs"
EVENTS_ACTION = "pod_alert.events"
# ops.pod_health's start phases, in words
PHASES = {
    "scheduling": N_("scheduling"),
    "node": N_("node"),
    "image pull and start": N_("image pull and start"),  # internal: the key is ops data
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
    limit = f"`{escape(alert.memory_limit)}`" if alert.memory_limit else _("none set")
    times = f" ×{alert.kills}" if alert.kills > 1 else ""
    title = _(
        ":boom: *OOMKilled{times}* in {env}: preview {preview}",
        times=times,
        env=alert.env,
        preview=_preview(alert.issue_key, alert.namespace),
    )
    fields = [
        _("*Pod*\n`{pod}`", pod=escape(alert.pod)),
        _("*Container*\n`{container}`", container=escape(alert.container)),
        _("*Memory limit*\n{limit}", limit=limit),
        _("*Restarts*\n{restarts}", restarts=alert.restart_count),
    ]
    notes = [_("Killed at {at}", at=_local(alert.killed_at, zone))]
    if alert.kills > 1:
        notes.append(
            _(
                "{kills} OOMKills of this container folded into this alert (opened {at})",
                kills=alert.kills,
                at=_local(alert.first_at, zone),
            )
        )
    text = _(
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
    blocks = (
        section(title, fields=fields),
        context(" · ".join(notes)),
        _read_buttons(alert.env, alert.namespace, alert.pod, alert.container),
    )
    return Message(text=text, blocks=blocks)


def render_slow_start(alert: SlowStartAlert, zone: tzinfo) -> Message:
    start = alert.start
    phases = [(_phase(p.name), took(p.seconds)) for p in start.phases]
    slowest = max(start.phases, key=lambda p: p.seconds, default=None)
    lines = [f"{_padded(name, 22)}{took:>6}" for name, took in phases]
    title = _(
        ":snail: *Slow start* in {env}: preview {preview} pod `{pod}` was Ready *{took}* after "
        "creation (threshold {threshold})",
        env=alert.env,
        preview=_preview(alert.issue_key, start.pod.namespace),
        pod=escape(start.pod.name),
        took=took(start.seconds),
        threshold=took(alert.threshold_seconds),
    )
    ready = _("Ready at {at}.", at=_local(start.ready_at, zone))
    if slowest:
        ready = _(
            "Ready at {at}. Most of it: *{phase}* ({took}).",
            at=_local(start.ready_at, zone),
            phase=_phase(slowest.name),
            took=took(slowest.seconds),
        )
    blocks: list[Block] = [section(title)]
    if lines:
        blocks.append(section(code_block([escape(line) for line in lines])))
    blocks.append(context(ready))
    blocks.append(
        buttons(
            button(
                _("Events"),
                EVENTS_ACTION,
                events_command(alert.env, start.pod.namespace, start.pod.name),
            )
        )
    )
    text = _(
        "Slow start in {env}: {key} pod {pod} Ready after {took}",
        env=alert.env,
        key=alert.issue_key or start.pod.namespace,
        pod=start.pod.name,
        took=took(start.seconds),
    )
    return Message(text=text, blocks=tuple(blocks))


def _padded(text: str, width: int) -> str:
    """`text` left-aligned in `width` columns of a code block, where a Korean (East Asian wide)
    character takes two."""
    columns = sum(2 if east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)


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

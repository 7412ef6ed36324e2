"""An incident's timeline in words: one line per event (the card's thread, `/rtb incident`),
the list of `/rtb incidents`, the card's buttons (the card itself is handlers.render.incidents)
and the Resolve form.

Event details are data written by ops.incidents (the alarm's events) and handlers.incident_actions
(people's events); this module is the one place they become sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, ButtonElement, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from handlers.incident_playbooks import Playbook
from handlers.render.errors import stored_text
from handlers.render.message import (
    Message,
    button,
    clip,
    context,
    escape,
    header,
    section,
)
from ops.incidents import Incident, IncidentEvent

ACK_ACTION = "incident.acknowledge"
INVESTIGATE_ACTION = "incident.investigate"
CHANGE_ACTION = "incident.change"
RESOLVE_ACTION = "incident.resolve"
RESOLVE_CALLBACK = "incident.resolve_note"
NOTE_BLOCK, NOTE_INPUT = "incident-note", "note"
MAX_NOTE = 1000
MAX_TIMELINE_LINES = 40  # `/rtb incident`: the newest, the rest is in the thread and the export

_ICONS = {
    "fired": ":rotating_light:",
    "repeat": ":repeat:",
    "acknowledged": ":eyes:",
    "action": ":hammer_and_wrench:",
    "resolved": ":white_check_mark:",
    "insufficient_data": ":grey_question:",
    "escalated": ":mega:",
    "note": ":memo:",
}
_GATE_WORDS = {
    "ran": "ran it",
    "refused": "refused by the policy",
    "approval": "asked a team lead's approval",
    "reason": "asked for the reason a team lead needs (a form)",
    "confirm": "asked to confirm",
    "failed": "could not run it",
}


def when(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def duration_text(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


def who(actor: str | None) -> str:
    return "the alarm" if actor is None else f"<@{escape(actor)}>"


def event_line(event: IncidentEvent) -> str:
    """One event as a sentence (mrkdwn, no time: callers add theirs)."""
    detail = event.detail
    kind = event.kind
    if kind in ("fired", "repeat", "insufficient_data") or (kind == "resolved" and not event.actor):
        return _alarm_line(kind, detail)
    if kind == "acknowledged":
        return f"Acknowledged by {who(event.actor)}"
    if kind == "resolved":
        note = str(detail.get("note") or "")
        return f"Resolved by {who(event.actor)}" + (f": {escape(clip(note, 500))}" if note else "")
    if kind == "action":
        return _action_line(event.actor, detail)
    if kind == "escalated":
        to = ", ".join(who(str(u)) for u in detail.get("to") or ())
        return f"Escalated to {to or 'the leads'}"
    return f"Note by {who(event.actor)}: {escape(clip(str(detail.get('text') or ''), 500))}"


def _alarm_line(kind: str, detail: dict[str, Any]) -> str:
    words = {
        "fired": "Alarm fired",
        "repeat": "Alarm again",
        "insufficient_data": "Alarm has insufficient data (not resolved)",
        "resolved": "Alarm back to OK: resolved",
    }[kind]
    value = detail.get("value")
    reason = escape(clip(str(detail.get("reason") or ""), 300))
    shown = f" (value {value:g})" if isinstance(value, int | float) else ""
    return f"{words}{shown}" + (f": {reason}" if reason else "")


def _action_line(actor: str | None, detail: dict[str, Any]) -> str:
    if detail.get("type") == "investigate":
        lines = ", ".join(f"`/rtb {escape(str(c))}`" for c in detail.get("commands") or ())
        return f"Investigate by {who(actor)}: {lines} (answers in the card's thread)"
    if detail.get("type") == "approval":
        return _approval_line(detail)
    command = f"`/rtb {escape(str(detail.get('command') or ''))}`"
    outcome = str(detail.get("outcome") or "failed")
    line = f"{who(actor)} {command}: {_GATE_WORDS.get(outcome, outcome)}"
    if outcome == "ran":
        line += f", {escape(str(detail.get('status') or 'unknown'))}"
    if detail.get("request"):
        line += f" (request `{escape(str(detail['request']))}`)"
    if detail.get("rule"):
        line += f" — {escape(clip(stored_text(detail['rule']), 300))}"
    return line


def _approval_line(detail: dict[str, Any]) -> str:
    request = f"`{escape(str(detail.get('request') or ''))}`"
    decision = str(detail.get("decision") or "")
    by = who(str(detail["by"])) if detail.get("by") else "a team lead"
    if decision == "requested":
        return f"Approval {request} requested of the team leads"
    if decision == "approved":
        status = escape(str(detail.get("status") or "unknown"))
        return f"Approval {request} approved by {by}: {status}"
    return f"Approval {request} {escape(decision)} by {by}"


def render_event(incident: Incident, event: IncidentEvent, tz: ZoneInfo) -> Message:
    """The thread post of one event."""
    text = f"{_ICONS.get(event.kind, '•')} {when(event.at, tz)} · {event_line(event)}"
    return Message(text=f"{incident.id}: {event.kind}", blocks=(section(text),))


def card_buttons(incident: Incident, playbook: Playbook) -> list[ButtonElement]:
    """The card's buttons (handlers.render.incidents draws them): Acknowledge until someone
    did, Investigate, the alarm's actions, Resolve; none once resolved."""
    if not incident.is_open:
        return []
    items = []
    if incident.acknowledged_by is None:
        items.append(button("Acknowledge", ACK_ACTION, incident.id, "primary"))
    items.append(button("Investigate", INVESTIGATE_ACTION, incident.id))
    items += [
        button(action.label, f"{CHANGE_ACTION}.{action.key}", f"{incident.id}|{action.key}")
        for action in playbook.actions
    ]
    items.append(button("Resolve", RESOLVE_ACTION, incident.id))
    return items


def render_resolve_modal(incident: Incident) -> View:
    return View(
        type="modal",
        callback_id=RESOLVE_CALLBACK,
        private_metadata=incident.id,
        title="Resolve incident",
        submit="Resolve",
        close="Cancel",
        blocks=[
            section(f"*{incident.id}* · `{escape(incident.alarm_name)}`"),
            InputBlock(
                block_id=NOTE_BLOCK,
                label="What happened, what fixed it",
                element=PlainTextInputElement(
                    action_id=NOTE_INPUT,
                    multiline=True,
                    max_length=MAX_NOTE,
                    placeholder="e.g. rolled back workflow-engine to v1.41.0; backlog drained",
                ),
            ),
        ],
    )


def _state(incident: Incident, now: datetime) -> str:
    if incident.is_open:
        since = duration_text(now - incident.opened_at)
        shown = "insufficient data" if incident.alarm_state == "INSUFFICIENT_DATA" else "open"
        return f":red_circle: {shown} for {since}"
    span = incident.duration
    return ":white_check_mark: resolved" + (f" after {duration_text(span)}" if span else "")


def _summary_line(incident: Incident, now: datetime, tz: ZoneInfo) -> str:
    env = incident.env or f"account {incident.account}"
    ack = " · acknowledged" if incident.acknowledged_by else ""
    repeats = f" · {incident.repeat_count} repeats" if incident.repeat_count else ""
    return (
        f"*{incident.id}* `{escape(incident.alarm_name)}` in *{env}* · "
        f"{_state(incident, now)} · since {when(incident.opened_at, tz)}{repeats}{ack}"
    )


def render_incident_list(incidents: Sequence[Incident], now: datetime, tz: ZoneInfo) -> Message:
    open_ones = [i for i in incidents if i.is_open]
    closed = [i for i in incidents if not i.is_open]
    if not incidents:
        return simple_list(":white_check_mark: No incident recorded yet.")
    blocks: list[Block] = [header(f"Incidents: {len(open_ones)} open")]
    if open_ones:
        blocks.append(section("\n".join(_summary_line(i, now, tz) for i in open_ones)))
    if closed:
        blocks.append(section("*Recent*\n" + "\n".join(_summary_line(i, now, tz) for i in closed)))
    blocks.append(context("`/rtb incident <id>` shows one; `… export` drafts its post-mortem"))
    return Message(text=f"{len(open_ones)} open incidents", blocks=tuple(blocks), ephemeral=True)


def simple_list(text: str) -> Message:
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_incident(
    incident: Incident, events: Sequence[IncidentEvent], now: datetime, tz: ZoneInfo
) -> Message:
    """One incident with its timeline (the newest MAX_TIMELINE_LINES events)."""
    shown = list(events)[-MAX_TIMELINE_LINES:]
    lines = [f"{when(e.at, tz)} · {event_line(e)}" for e in shown]
    blocks = [
        header(f"{incident.id} · {incident.alarm_name}"),
        section(_summary_line(incident, now, tz)),
        section("*Timeline*\n" + clip("\n".join(lines) or "no event yet", 2900)),
    ]
    left = len(events) - len(shown)
    note = f"{left} older events: in the card's thread and the export · " if left > 0 else ""
    blocks.append(context(f"{note}`/rtb incident {incident.id} export` drafts the post-mortem"))
    return Message(text=f"{incident.id}: {incident.alarm_name}", blocks=tuple(blocks))

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
from handlers.render.i18n import N_, _
from handlers.render.message import (
    Message,
    button,
    clip,
    context,
    escape,
    header,
    section,
)
from handlers.render.stored_errors import stored_text
from ops.incidents import Incident, IncidentEvent

ACK_ACTION = "incident.acknowledge"
INVESTIGATE_ACTION = "incident.investigate"
CHANGE_ACTION = "incident.change"
RESOLVE_ACTION = "incident.resolve"
RESOLVE_CALLBACK = "incident.resolve_note"
NOTE_BLOCK, NOTE_INPUT = "incident-note", "note"
# the note `/rtb incident <id> export` leaves on the timeline: data (`exported`), worded when
# shown in the reader's language; its text is what rows stored before the flag hold
_EXPORTED_TEXT = "post-mortem draft exported"  # internal: stored data
EXPORTED: dict[str, Any] = {"exported": True, "text": _EXPORTED_TEXT}
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
_KINDS = {
    "fired": N_("fired"),
    "repeat": N_("repeat"),
    "acknowledged": N_("acknowledged"),
    "action": N_("action"),
    "resolved": N_("resolved"),
    "insufficient_data": N_("insufficient data"),
    "escalated": N_("escalated"),
    "note": N_("note"),
}
_ALARM_WORDS = {
    "fired": N_("Alarm fired"),
    "repeat": N_("Alarm again"),
    "insufficient_data": N_("Alarm has insufficient data (not resolved)"),
    "resolved": N_("Alarm back to OK: resolved"),
}
_GATE_WORDS = {
    "ran": N_("ran it"),
    "refused": N_("refused by the policy"),
    "approval": N_("asked a team lead's approval"),
    "reason": N_("asked for the reason a team lead needs (a form)"),
    "confirm": N_("asked to confirm"),
    "failed": N_("could not run it"),
}
_DECISIONS = {
    "approved": N_("Approval {request} approved by {by}: {status}"),
    "rejected": N_("Approval {request} rejected by {by}"),
    "cancelled": N_("Approval {request} cancelled by {by}"),
}


def when(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def duration_text(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return _("{minutes} min", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("{hours} h {minutes:02d} min", hours=hours, minutes=minutes)
    return _("{days} d {hours} h", days=hours // 24, hours=hours % 24)


def who(actor: str | None) -> str:
    return _("the alarm") if actor is None else f"<@{escape(actor)}>"


def event_line(event: IncidentEvent) -> str:
    """One event as a sentence (mrkdwn, no time: callers add theirs)."""
    detail = event.detail
    kind = event.kind
    if kind in ("fired", "repeat", "insufficient_data") or (kind == "resolved" and not event.actor):
        return _alarm_line(kind, detail)
    if kind == "acknowledged":
        return _("Acknowledged by {who}", who=who(event.actor))
    if kind == "resolved":
        return _resolved_line(event.actor, str(detail.get("note") or ""))
    if kind == "action":
        return _action_line(event.actor, detail)
    if kind == "escalated":
        to = ", ".join(who(str(u)) for u in detail.get("to") or ())
        return _("Escalated to {to}", to=to) if to else _("Escalated to the leads")
    if detail.get("exported") or detail.get("text") == _EXPORTED_TEXT:
        return _("Post-mortem draft exported by {who}", who=who(event.actor))
    text = escape(clip(str(detail.get("text") or ""), 500))
    return _("Note by {who}: {text}", who=who(event.actor), text=text)


def _resolved_line(actor: str | None, note: str) -> str:
    if not note:
        return _("Resolved by {who}", who=who(actor))
    return _("Resolved by {who}: {note}", who=who(actor), note=escape(clip(note, 500)))


def _alarm_line(kind: str, detail: dict[str, Any]) -> str:
    line = _(_ALARM_WORDS[kind])
    value = detail.get("value")
    if isinstance(value, int | float):
        line = _("{event} (value {value:g})", event=line, value=value)
    reason = escape(clip(str(detail.get("reason") or ""), 300))
    return _("{event}: {reason}", event=line, reason=reason) if reason else line


def _action_line(actor: str | None, detail: dict[str, Any]) -> str:
    if detail.get("type") == "investigate":
        lines = ", ".join(f"`/rtb {escape(str(c))}`" for c in detail.get("commands") or ())
        return _(
            "Investigate by {who}: {commands} (answers in the card's thread)",
            who=who(actor),
            commands=lines,
        )
    if detail.get("type") == "approval":
        return _approval_line(detail)
    command = f"`/rtb {escape(str(detail.get('command') or ''))}`"
    line = _(
        "{who} {command}: {outcome}", who=who(actor), command=command, outcome=_gate_outcome(detail)
    )
    if detail.get("request"):
        line = _("{line} (request `{request}`)", line=line, request=escape(str(detail["request"])))
    if detail.get("rule"):
        line += f" — {escape(clip(stored_text(detail['rule']), 300))}"
    return line


def _gate_outcome(detail: dict[str, Any]) -> str:
    outcome = str(detail.get("outcome") or "failed")
    if outcome == "ran":
        status = escape(str(detail.get("status") or _("unknown")))
        return _("ran it, {status}", status=status)
    return _(_GATE_WORDS[outcome]) if outcome in _GATE_WORDS else outcome


def _approval_line(detail: dict[str, Any]) -> str:
    request = f"`{escape(str(detail.get('request') or ''))}`"
    decision = str(detail.get("decision") or "")
    by = who(str(detail["by"])) if detail.get("by") else _("a team lead")
    if decision == "requested":
        return _("Approval {request} requested of the team leads", request=request)
    status = escape(str(detail.get("status") or _("unknown")))
    if decision in _DECISIONS:
        return _(_DECISIONS[decision], request=request, by=by, status=status)
    return _(
        "Approval {request} {decision} by {by}", request=request, decision=escape(decision), by=by
    )


def render_event(incident: Incident, event: IncidentEvent, tz: ZoneInfo) -> Message:
    """The thread post of one event."""
    text = f"{_ICONS.get(event.kind, '•')} {when(event.at, tz)} · {event_line(event)}"
    kind = _(_KINDS[event.kind]) if event.kind in _KINDS else event.kind
    return Message(text=f"{incident.id}: {kind}", blocks=(section(text),))


def card_buttons(incident: Incident, playbook: Playbook) -> list[ButtonElement]:
    """The card's buttons (handlers.render.incidents draws them): Acknowledge until someone
    did, Investigate, the alarm's actions, Resolve; none once resolved."""
    if not incident.is_open:
        return []
    items = []
    if incident.acknowledged_by is None:
        items.append(button(_("Acknowledge"), ACK_ACTION, incident.id, "primary"))
    items.append(button(_("Investigate"), INVESTIGATE_ACTION, incident.id))
    items += [
        button(_(action.label), f"{CHANGE_ACTION}.{action.key}", f"{incident.id}|{action.key}")
        for action in playbook.actions
    ]
    items.append(button(_("Resolve"), RESOLVE_ACTION, incident.id))
    return items


def render_resolve_modal(incident: Incident) -> View:
    return View(
        type="modal",
        callback_id=RESOLVE_CALLBACK,
        private_metadata=incident.id,
        title=_("Resolve incident"),
        submit=_("Resolve"),
        close=_("Cancel"),
        blocks=[
            section(f"*{incident.id}* · `{escape(incident.alarm_name)}`"),
            InputBlock(
                block_id=NOTE_BLOCK,
                label=_("What happened, what fixed it"),
                element=PlainTextInputElement(
                    action_id=NOTE_INPUT,
                    multiline=True,
                    max_length=MAX_NOTE,
                    placeholder=_("e.g. rolled back workflow-engine to v1.41.0; backlog drained"),
                ),
            ),
        ],
    )


def _state(incident: Incident, now: datetime) -> str:
    if incident.is_open:
        since = duration_text(now - incident.opened_at)
        if incident.alarm_state == "INSUFFICIENT_DATA":
            return _(":red_circle: insufficient data for {since}", since=since)
        return _(":red_circle: open for {since}", since=since)
    span = incident.duration
    if not span:
        return _(":white_check_mark: resolved")
    return _(":white_check_mark: resolved after {span}", span=duration_text(span))


def _summary_line(incident: Incident, now: datetime, tz: ZoneInfo) -> str:
    env = incident.env or _("account {account}", account=incident.account)
    line = _(
        "*{id}* `{alarm}` in *{env}* · {state} · since {since}",
        id=incident.id,
        alarm=escape(incident.alarm_name),
        env=env,
        state=_state(incident, now),
        since=when(incident.opened_at, tz),
    )
    if incident.repeat_count:
        line += " · " + _("{n} repeats", n=incident.repeat_count)
    if incident.acknowledged_by:
        line += " · " + _("acknowledged")
    return line


def render_incident_list(incidents: Sequence[Incident], now: datetime, tz: ZoneInfo) -> Message:
    open_ones = [i for i in incidents if i.is_open]
    closed = [i for i in incidents if not i.is_open]
    if not incidents:
        return simple_list(_(":white_check_mark: No incident recorded yet."))
    blocks: list[Block] = [header(_("Incidents: {n} open", n=len(open_ones)))]
    if open_ones:
        blocks.append(section("\n".join(_summary_line(i, now, tz) for i in open_ones)))
    if closed:
        recent = "\n".join(_summary_line(i, now, tz) for i in closed)
        blocks.append(section(_("*Recent*\n{incidents}", incidents=recent)))
    blocks.append(context(_("`/rtb incident <id>` shows one; `… export` drafts its post-mortem")))
    text = _("{n} open incidents", n=len(open_ones))
    return Message(text=text, blocks=tuple(blocks), ephemeral=True)


def simple_list(text: str) -> Message:
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_incident(
    incident: Incident, events: Sequence[IncidentEvent], now: datetime, tz: ZoneInfo
) -> Message:
    """One incident with its timeline (the newest MAX_TIMELINE_LINES events)."""
    shown = list(events)[-MAX_TIMELINE_LINES:]
    lines = [f"{when(e.at, tz)} · {event_line(e)}" for e in shown]
    timeline = clip("\n".join(lines) or _("no event yet"), 2900)
    blocks = [
        header(f"{incident.id} · {incident.alarm_name}"),
        section(_summary_line(incident, now, tz)),
        section(_("*Timeline*\n{events}", events=timeline)),
    ]
    export = _("`/rtb incident {id} export` drafts the post-mortem", id=incident.id)
    left = len(events) - len(shown)
    if left > 0:
        export = _(
            "{n} older events: in the card's thread and the export · {export}",
            n=left,
            export=export,
        )
    blocks.append(context(export))
    return Message(text=f"{incident.id}: {incident.alarm_name}", blocks=tuple(blocks))

"""An incident's record as the buttons and commands change it: find it, acknowledge it,
resolve it, post each event in the card's thread, edit the card.

Who may (runbook §8; the actor is the signed payload's or the command's user):
- **Acknowledge**: operators and leads. It says "I am on it" and, with PagerDuty wired, stops the
  page: a viewer, who cannot change anything, must not silence the page nobody else will act on.
  The first acknowledgement stands (a conditional UPDATE: a double click or a second replica
  records one); later clicks are told who acknowledged it and when.
- **Resolve**: operators and leads, with a note. Resolving twice records one.

Every event is stored (ops.incident_store) and posted in the card's thread through the outbox (key
`<card key>:event:<event id>`, so a retry or a second replica posts it once). PagerDuty hears of
an acknowledgement or a manual close through `Deps.incident_hooks` (handlers.incident_hooks:
the same hooks the intake calls; the lead wires PagerDuty there).
"""

from __future__ import annotations

import difflib
from zoneinfo import ZoneInfo

import structlog

from handlers.context import Deps
from handlers.incident_cards import CardActions, show_card
from handlers.incident_hooks import announce
from handlers.incident_playbooks import AlarmSubject, Playbook, playbook_for
from handlers.render.errors import character_name
from handlers.render.i18n import use_locale
from handlers.render.incident_replies import (
    incident_id_expected,
    no_incident,
    no_such_incident,
    not_an_incident_id,
    note_unstorable,
    render_acknowledged_already,
    render_may_not_acknowledge,
    render_may_not_resolve,
    render_resolved_already,
    render_resolved_before,
)
from handlers.render.incident_timeline import MAX_NOTE, card_buttons, render_event, when, who
from handlers.render.message import Message
from ops.errors import UserError
from ops.incident_store import IncidentStore
from ops.incidents import Incident, IncidentEvent
from ops.storable_text import first_unstorable

log = structlog.get_logger(__name__)
MAY_ACT = ("operator", "lead")


def store_of(deps: Deps) -> IncidentStore:
    return IncidentStore(deps.backends.db, clock=deps.require_push().clock)


def subject_of(incident: Incident) -> AlarmSubject:
    metric = incident.change.metric
    env = incident.env if incident.env in ("int", "stg", "prd") else None
    return AlarmSubject(
        incident.alarm_name,
        env,  # type: ignore[arg-type]
        metric.name if metric else "",
        metric.namespace if metric else "",
        dict(metric.dimensions) if metric else None,
    )


def playbook_of(deps: Deps, incident: Incident) -> Playbook:
    return playbook_for(subject_of(incident), deps.config.hub.queues)


def incident_id(text: str) -> str:
    """INC-0042, inc-42 or 42 → INC-0042 (a command-table parser)."""
    digits = text.strip().upper().removeprefix("INC-").removeprefix("INC")
    if not digits.isdigit() or len(digits) > 12:
        raise ValueError(incident_id_expected())
    return f"INC-{int(digits):04d}"


async def find_incident(deps: Deps, given: str, usage: str | None = None) -> Incident:
    """The incident, or a UserError that says what an id looks like and which ids are near."""
    try:
        wanted = incident_id(given)
    except ValueError:
        shown = given.strip()[:40].replace("`", "'")
        raise UserError(not_an_incident_id(shown), usage=usage) from None
    store = store_of(deps)
    found = await store.get(wanted)
    if found is not None:
        return found
    known = [i.id for i in await store.list_recent(200)]
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
    raise UserError(no_such_incident(wanted, close), usage=usage)


async def role_of(deps: Deps, user: str) -> str:
    return (await deps.gate.roles.describe(user)).role


async def record(deps: Deps, incident: Incident, event: IncidentEvent) -> None:
    """Post the stored event in the card's thread (the outbox delivers it)."""
    push = deps.require_push()
    with use_locale(deps.languages.locale_for_channel(incident.channel)):  # the card's thread
        message = render_event(incident, event, ZoneInfo(deps.config.timezone))
    key = f"{incident.card_key}:event:{event.id}"
    await push.outbox.enqueue(
        incident.channel, message.blocks_json(), message.text, key, thread_key=incident.card_key
    )
    push.sender.nudge()


def card_actions(deps: Deps) -> CardActions:
    """The buttons of a card, for handlers.incident_cards.show_card (the intake passes the
    same, so a repeat's edit keeps them)."""
    queues = deps.config.hub.queues
    return lambda incident: card_buttons(incident, playbook_for(subject_of(incident), queues))


async def refresh_card(deps: Deps, incident: Incident) -> None:
    """Edit the card in place from the incident as stored (who acknowledged or closed it,
    the buttons it still has)."""
    push = deps.require_push()
    with use_locale(deps.languages.locale_for_channel(incident.channel)):  # not the clicker's
        shown = await show_card(
            push.outbox, incident, timezone=deps.config.timezone, actions=card_actions(deps)
        )
    if shown is None:
        log.warning("incident card not in the outbox", incident=incident.id)
    push.sender.nudge()


async def newest_event(deps: Deps, incident_id: str, kind: str) -> IncidentEvent | None:
    events = await store_of(deps).events(incident_id)
    return next((e for e in reversed(events) if e.kind == kind), None)


# -- Acknowledge -----------------------------------------------------------------------------


async def acknowledge(deps: Deps, incident_id: str, user: str) -> Message:
    incident = await find_incident(deps, incident_id)
    if await role_of(deps, user) not in MAY_ACT:
        return render_may_not_acknowledge()
    if not incident.is_open:
        return render_resolved_already(incident.id)
    changed = await store_of(deps).acknowledge(incident.id, user)
    if changed is None:
        raise UserError(no_incident(incident.id))
    if not changed.changed:
        now = changed.incident
        at = (
            when(now.acknowledged_at, ZoneInfo(deps.config.timezone)) if now.acknowledged_at else ""
        )
        return render_acknowledged_already(who(now.acknowledged_by), at)
    event = await newest_event(deps, incident.id, "acknowledged")
    await refresh_card(deps, changed.incident)
    if event is not None:
        await record(deps, changed.incident, event)
    await announce(deps.incident_hooks, changed.incident, "acknowledged")
    log.info("incident acknowledged", incident=incident.id)
    return Message(text="")


async def resolve(deps: Deps, incident_id: str, user: str, note: str) -> Message:
    """Close by hand with a note (operators and leads); the card and its thread say so."""
    incident = await find_incident(deps, incident_id)
    if await role_of(deps, user) not in MAY_ACT:
        return render_may_not_resolve()
    note = note.strip()[:MAX_NOTE]
    bad = first_unstorable(note)
    if bad is not None:
        raise UserError(note_unstorable(character_name(bad)))
    changed = await store_of(deps).resolve(incident.id, actor=user, note=note or None)
    if changed is None:
        raise UserError(no_incident(incident.id))
    if not changed.changed:
        return render_resolved_before(incident.id)
    event = await newest_event(deps, incident.id, "resolved")
    await refresh_card(deps, changed.incident)
    if event is not None:
        await record(deps, changed.incident, event)
    await announce(deps.incident_hooks, changed.incident, "resolved")
    return Message(text="")

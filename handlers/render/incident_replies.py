"""The private replies of acknowledging, resolving and exporting an incident, and the errors
of finding one (the card and its thread are handlers.render.incident_timeline)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.render.i18n import _
from handlers.render.message import Message, simple


def not_an_incident_id(given: str) -> str:
    return _("`{given}` is not an incident id: they look like INC-0042.", given=given)


def no_such_incident(wanted: str, close: Sequence[str] = ()) -> str:
    if not close:
        return _("No incident `{id}`. `/rtb incidents` lists them.", id=wanted)
    return _(
        "No incident `{id}`. Did you mean {close}? `/rtb incidents` lists them.",
        id=wanted,
        close=", ".join(f"`{c}`" for c in close),
    )


def no_incident(incident_id: str) -> str:
    return _("No incident `{id}`.", id=incident_id)


def incident_id_expected() -> str:
    """A parser's complaint (shown after the value typed)."""
    return _("must be an incident id like INC-0042")


def takes_nothing_after(what: str) -> str:
    return _("`{what}` takes nothing after it.", what=what)


def note_unstorable(character: str) -> str:
    return _("The note contains {character}. Write it again without it.", character=character)


def render_may_not_acknowledge() -> Message:
    return simple(
        _(
            "Only operators and leads can acknowledge: it tells the team (and PagerDuty) that "
            "someone is acting on it. *Investigate* is open to you."
        ),
        ephemeral=True,
    )


def render_may_not_resolve() -> Message:
    return simple(_("Only operators and leads can resolve an incident."), ephemeral=True)


def render_resolved_already(incident_id: str) -> Message:
    return simple(_("{id} is resolved already.", id=incident_id), ephemeral=True)


def render_acknowledged_already(by: str, at: str) -> Message:
    return simple(_("Already acknowledged by {user} at {at}.", user=by, at=at), ephemeral=True)


def render_resolved_before(incident_id: str) -> Message:
    """A second resolve (another click, another replica): the first one stands."""
    return simple(_("{id} was resolved already; nothing changed.", id=incident_id), ephemeral=True)


def render_resolved(incident_id: str) -> Message:
    return simple(_("{id} resolved.", id=incident_id), ephemeral=True)


def render_postmortem_exported(incident_id: str, events: int) -> Message:
    text = _(
        ":page_facing_up: Post-mortem draft of {id} ({count} events).",
        id=incident_id,
        count=events,
    )
    return Message(text=text, blocks=simple(text).blocks)


def trail_not_configured() -> str:
    """Why the export has no CloudTrail calls: the incident's account is no env of the bot."""
    return _("the account is not a configured env")

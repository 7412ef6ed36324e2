"""The incident card in the outbox: posted once, edited as the incident changes.

`show_card` is idempotent and safe from any replica at any time: it enqueues the card under
the incident's `card_key` (a second enqueue of the key is a no-op) and then brings its content
up to date *inside the outbox row's lock*, rendering the incident as stored at that moment. So
two replicas applying two repeats of one alarm at once cannot leave the older count on the
card: whoever edits last reads the newest row. A render equal to what the outbox holds edits
nothing (no `chat.update` for a duplicate message).

The buttons are card11's: `CardActions` gives them for an incident (none until it is wired).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk.models.blocks import ButtonElement

from handlers.render.incidents import render_incident_card
from ops.incidents import Incident, load_incident
from ops.outbox import Outbox, OutboxMessage

CardActions = Callable[[Incident], Sequence[ButtonElement]]


def no_actions(incident: Incident) -> Sequence[ButtonElement]:
    return ()


async def show_card(
    outbox: Outbox,
    incident: Incident,
    *,
    timezone: str,
    actions: CardActions = no_actions,
) -> OutboxMessage | None:
    """Post `incident`'s card, or edit the posted one to show the incident as stored now."""
    first = render_incident_card(incident, timezone=timezone, actions=actions(incident))
    await outbox.enqueue(incident.channel, first.blocks_json(), first.text, incident.card_key)

    async def current(conn: Any, message: OutboxMessage) -> tuple[list[dict[str, Any]], str] | None:
        stored = await load_incident(conn, incident.id)
        if stored is None:
            return None
        card = render_incident_card(stored, timezone=timezone, actions=actions(stored))
        blocks = card.blocks_json()
        if blocks == message.blocks and card.text == message.text:
            return None
        return blocks, card.text

    return await outbox.rewrite(incident.card_key, current)

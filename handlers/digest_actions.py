"""The Checked button on a posted digest.

Anyone who may view the bot may tick (a viewer included): a tick says "I looked", it changes
nothing. The clicker is the signed payload's user, the button's value only names the message
and the item. The tick, its audit event and the message's new blocks are written in one
transaction holding the message's outbox row (`Outbox.rewrite`), so ticks racing on several
replicas each see the ones before them and the last edit shows them all. A second click by the
same person adds nothing; nobody can remove a tick (there is no untick).
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp

from approvals.audit import AuditEvent
from handlers.context import Deps
from handlers.listeners import Incoming, ack_then
from handlers.render.click_replies import (
    render_already_checked,
    render_digest_gone,
    render_members_only_tick,
    render_not_a_digest_button,
)
from handlers.render.daily_digest import CHECK_ACTION, TITLES, Tick, apply_ticks
from handlers.render.i18n import _, use_locale
from handlers.render.message import Message
from handlers.slash import answer
from ops.daily_digest import ITEMS
from ops.digest_ticks import record_tick, ticks_of
from ops.outbox import Blocks, OutboxMessage

log = structlog.get_logger(__name__)
TICK_ACTION = "digest.check"


def register(app: AsyncApp) -> None:
    app.action(CHECK_ACTION)(ack_then(run_check, name=lambda _: "digest check"))


async def run_check(incoming: Incoming) -> None:
    deps, user = incoming.deps, incoming.user
    key, _, item = incoming.value(200).rpartition("|")
    message = await answer(deps, lambda: check(deps, key, item, user), incoming.correlation_id)
    if message.text:
        await incoming.reply.privately(message)  # else the digest's channel, else a DM


async def check(deps: Deps, key: str, item: str, user: str) -> Message:
    """Record `user`'s tick of `item` on the digest `key`; the answer is for the user only
    (empty when the updated message says it all)."""
    gate, push = deps.gate, deps.require_push()
    if item not in ITEMS or not key:
        return render_not_a_digest_button()
    if (await gate.roles.describe(user)).role == "none":
        return render_members_only_tick()
    first = False

    async def tick(conn: Any, message: OutboxMessage) -> tuple[Blocks, str] | None:
        nonlocal first
        first = await record_tick(conn, key, item, user, push.clock())
        if not first:
            return None
        event = AuditEvent(user, TICK_ACTION, "checked", params={"digest": key, "item": item})
        await gate.audit.append(event, conn)
        rows = await ticks_of(conn, key)
        ticks = {i: [Tick(u, at) for u, at in found] for i, found in rows.items()}
        with use_locale(deps.languages.locale_for_channel(message.channel)):  # not the clicker's
            return apply_ticks(message.blocks, ticks, deps.config.timezone), message.text

    if await push.outbox.rewrite(key, tick) is None:
        return render_digest_gone()
    if not first:
        return render_already_checked(_(TITLES.get(item, item)))
    push.sender.nudge()
    log.info("digest item checked", digest=key, item=item)
    return Message(text="")

"""The TTL notice's buttons: Extend TTL and Delete now.

A button's value names the preview and the expiry the notice was about
(`env|namespace|expires-at`), read through the same parsers as typed words; the clicker is the
signed payload's user, who asks for the change as if they had typed it. The policy gate decides
(a viewer is refused, prd needs a lead's approval and asks the clicker for a reason first), so
this module holds no permission check. Extend TTL moves the TTL from the notice's expiry by
`ttl_notice.extend_hours`: a second click, once the first went through, finds the TTL moved and
changes nothing. Delete now is the ordinary preview delete (`/rtb preview delete`). A change
that ran at once is also written on the notice (its buttons go), so nobody acts on it again; one
waiting for a lead leaves the notice as it is (the approval card tells the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from slack_bolt.async_app import AsyncApp

from approvals.mutations import MutationSpec
from approvals.outcomes import GateOutcome, Ran
from approvals.preview_mutations import DeletePreview, ExtendPreview
from handlers.mutations import decide
from handlers.render.click_replies import not_a_ttl_notice
from handlers.render.message import Message
from handlers.render.ttl_notice import (
    DELETE_ACTION,
    EXTEND_ACTION,
    VALUE_SEPARATOR,
    notice_outcome_line,
    with_outcome,
)
from handlers.rollout_actions import Click, Work, button_listener
from handlers.slash import attempt
from handlers.spec import ENV
from ops.config import EnvName
from ops.errors import UserError
from ops.outbox import Blocks, OutboxMessage
from ops.timestamps import now_utc, parse_time
from ops.ttl_notice import notice_key_of

# env (3) + namespace (at most 63) + an ISO time with offset (25) + 2 separators = 93
MAX_VALUE = 100


def register(app: AsyncApp) -> None:
    for action, build in ((EXTEND_ACTION, extend_spec), (DELETE_ACTION, delete_spec)):
        work = _submitting(build, action)
        app.action(action)(button_listener(work, value_limit=MAX_VALUE))


def parse_value(value: str) -> tuple[EnvName, str, str]:
    """(env, namespace, expires-at text) from a button's value; UserError when it is not one."""
    parts = value.split(VALUE_SEPARATOR)
    if len(parts) != 3:
        raise UserError(not_a_ttl_notice())
    try:
        env = ENV(parts[0])
    except ValueError:
        raise UserError(not_a_ttl_notice()) from None
    return env, parts[1], parts[2]


def extend_spec(click: Click) -> MutationSpec:
    env, namespace, expires = parse_value(click.token)
    expires_from = parse_time(expires)
    if expires_from is None:
        raise UserError(not_a_ttl_notice())
    step = timedelta(hours=click.deps.config.ttl_notice.extend_hours)
    return ExtendPreview.by_step(env, namespace, expires_from, step, now_utc())


def delete_spec(click: Click) -> MutationSpec:
    env, namespace, _ = parse_value(click.token)
    return DeletePreview.build(env, namespace)


def _submitting(build: Callable[[Click], MutationSpec], action: str) -> Work:
    async def run(click: Click) -> None:
        outcome = await submit_clicked(click, build)
        if isinstance(outcome, Ran) and outcome.run.status == "succeeded":
            await mark_notice(click, action, outcome.run.result)

    return run


async def mark_notice(click: Click, action: str, result: dict[str, object]) -> None:
    """The notice (found by the key its button names) says what was done, without buttons."""
    env, namespace, expires = parse_value(click.token)
    push = click.deps.require_push()
    line = notice_outcome_line(action, click.user, dict(result), click.deps.config.timezone)

    async def change(conn: object, message: OutboxMessage) -> tuple[Blocks, str]:
        return with_outcome(message.blocks, line), message.text

    if await push.outbox.rewrite(notice_key_of(env, namespace, expires), change) is not None:
        push.sender.nudge()


async def submit_clicked(
    click: Click, build: Callable[[Click], MutationSpec]
) -> GateOutcome | None:
    """The clicker asks for the change (the one flow, handlers.mutations.decide)."""

    async def work() -> tuple[GateOutcome, Message]:
        return await decide(click.asker, build(click), takes_turn=False)

    outcome, message = await attempt(click.deps, work, click.asker.correlation_id)
    await click.reply.answer(message)
    return outcome

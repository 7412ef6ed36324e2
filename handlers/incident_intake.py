"""The alarm intake: SQS → incident store → card in the outbox, in every replica.

One pass receives up to 10 messages (a long poll of `incidents.wait_seconds`) and handles them
one after another. A message is deleted only once its effect is stored: the incident change
(and the message id, so it is applied once) in one transaction, then the card in the outbox.
Whatever fails before that leaves the message in the queue, and SQS hands it out again after
the visibility timeout:
- SQS refusing the delete (outcome `undeleted`): the effect is stored; the message comes
  back and is found a duplicate.
- PostgreSQL down: nothing is deleted; every message of the pass comes back (nothing lost);
  the loop backs off (1, 2, 4 … 30 s) instead of spinning on receives.
- The replica killed after the card was enqueued (even posted) but before the delete: the
  message comes back, its id is found, nothing is applied twice; the card is only brought up
  to date (`show_card` edits nothing when it already shows the incident) — never a second card.
- Two replicas receiving the same message (SQS is at-least-once): the second one's id insert
  waits for the first's transaction and then finds it: a duplicate, deleted.
An unreadable message (not JSON, not an alarm state change) is logged with its SQS id and the
reason code — never its body — and left for the visibility timeout; at its `max_receives`-th
receive it is moved to the dead-letter queue when one is configured. Nothing a message holds
can stop the loop: every exception of a pass is logged by type and the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from handlers.incident_cards import CardActions, no_actions, show_card
from handlers.incident_hooks import announce
from handlers.languages import channel_locale
from handlers.render.i18n import use_locale
from ops.alarm_notifications import UnreadableMessage, read_notification
from ops.backends.sqs import AlarmQueue, QueueMessage
from ops.config import Config
from ops.errors import BackendError
from ops.incident_routes import channel_for, env_of
from ops.incident_store import IncidentStore
from ops.incidents import Applied, IncidentHook, Transition
from ops.outbox import Outbox
from ops.waiting_metric import bot_owns_alarm

log = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0
# Outcomes that changed an incident: the hooks hear of them.
ANNOUNCED: dict[str, Transition] = {
    "opened": "opened",
    "repeated": "repeated",
    "resolved": "resolved",
    "insufficient_data": "insufficient_data",
}


@dataclass
class PassReport:
    """What one pass did: how many messages came, and what became of each."""

    received: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        return self.outcomes["failed"]


class AlarmIntake:
    def __init__(
        self,
        queue: AlarmQueue,
        store: IncidentStore,
        outbox: Outbox,
        config: Config,
        *,
        hooks: Callable[[], Sequence[IncidentHook]] = tuple,
        actions: CardActions = no_actions,
    ) -> None:
        self.queue = queue
        self.store = store
        self.outbox = outbox
        self.config = config
        self.hooks = hooks
        self.actions = actions
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Pass after pass until `stop()`; a failing pass (SQS or PostgreSQL down, a bug) is
        logged and followed by a growing pause, never by the end of the loop. `stop()` ends a
        long poll at once; a message being handled is finished first."""
        failures = 0
        while not self._stopping.is_set():
            try:
                messages = await self._receive_unless_stopped()
                if messages is None:
                    return
                report = await self._handle_all(messages)
                failures = failures + 1 if report.failed else 0
            except BackendError as exc:
                log.warning("alarm queue unreachable", backend=exc.backend, reason=exc.reason)
                failures += 1
            except Exception as exc:
                log.error("alarm intake pass failed", error=type(exc).__name__)
                failures += 1
            if failures:
                await self._pause(min(MAX_BACKOFF_SECONDS, 2.0 ** (failures - 1)))

    async def _receive_unless_stopped(self) -> list[QueueMessage] | None:
        """The next messages, or None when `stop()` came first (the poll is abandoned)."""
        receiving = asyncio.ensure_future(self.queue.receive())
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not receiving.done():
            receiving.cancel()
            await asyncio.gather(receiving, return_exceptions=True)
            return None
        stopping.cancel()
        await asyncio.gather(stopping, return_exceptions=True)
        return receiving.result()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def run_once(self, *, wait: int | None = None) -> PassReport:
        """One receive (waiting up to `wait` s, default the configured long poll) and every
        message it brought, handled in order."""
        return await self._handle_all(await self.queue.receive(wait=wait))

    async def _handle_all(self, messages: list[QueueMessage]) -> PassReport:
        report = PassReport(received=len(messages))
        for message in messages:
            report.outcomes[await self.handle(message)] += 1
        return report

    async def handle(self, message: QueueMessage) -> str:
        """Apply one message and delete it; its outcome (`failed`: it stays in the queue)."""
        try:
            return await self._handle(message)
        except BackendError as exc:
            log.warning(
                "alarm message not stored; it returns to the queue",
                sqs_message_id=message.message_id,
                backend=exc.backend,
                reason=exc.reason,
            )
        except Exception as exc:
            log.error(
                "alarm message failed; it returns to the queue",
                sqs_message_id=message.message_id,
                error=type(exc).__name__,
            )
        return "failed"

    async def _handle(self, message: QueueMessage) -> str:
        try:
            notification = read_notification(message.body)
        except UnreadableMessage as exc:
            return await self._unreadable(message, exc.code)
        change = notification.change
        if bot_owns_alarm(self.config, change.alarm_name):
            return await self._left_to_the_bot(message, change.alarm_name)
        applied = await self.store.apply(
            notification,
            env=env_of(self.config, change.account),
            channel=channel_for(self.config, change.alarm_name),
        )
        await self._show(applied)
        if not await self._delete(message):
            return "undeleted"
        log.info(
            "alarm message handled",
            sqs_message_id=message.message_id,
            alarm=change.alarm_name,
            state=change.state,
            outcome=applied.outcome,
            incident=applied.incident.id if applied.incident else None,
        )
        return applied.outcome

    async def _left_to_the_bot(self, message: QueueMessage, alarm: str) -> str:
        """The bot's own threshold alert covers what this alarm watches
        (`threshold_alerts.owners`): no card, so the two never both alert."""
        if not await self._delete(message):
            return "undeleted"
        log.info("alarm left to the bot's threshold alert", alarm=alarm)
        return "owned by the bot"  # internal: an intake outcome code

    async def _delete(self, message: QueueMessage) -> bool:
        """False when SQS refused the delete (e.g. another replica's receive replaced the
        receipt handle): the effect is stored, so the message comes back as a duplicate."""
        try:
            await self.queue.delete(message)
        except BackendError as exc:
            log.warning(
                "alarm message stored but not deleted; it will come back as a duplicate",
                sqs_message_id=message.message_id,
                backend=exc.backend,
                reason=exc.reason,
            )
            return False
        return True

    async def _show(self, applied: Applied) -> None:
        if applied.incident is None:
            return
        with use_locale(channel_locale(self.config, applied.incident.channel)):
            await show_card(
                self.outbox, applied.incident, timezone=self.config.timezone, actions=self.actions
            )
        transition = ANNOUNCED.get(applied.outcome)
        if transition is not None:
            await announce(self.hooks(), applied.incident, transition)

    async def _unreadable(self, message: QueueMessage, code: str) -> str:
        limit = self.config.incidents.max_receives
        if message.receive_count >= limit and await self.queue.move_to_dead_letters(message):
            log.error(
                "unreadable alarm message moved to the dead-letter queue",
                sqs_message_id=message.message_id,
                reason=code,
                receives=message.receive_count,
            )
            return "dead_lettered"
        log.warning(
            "unreadable alarm message; it returns to the queue",
            sqs_message_id=message.message_id,
            reason=code,
            receives=message.receive_count,
            moved_at=limit,
        )
        return "unreadable"

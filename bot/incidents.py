"""The alarm intake of one replica, built from the configuration (README: Incidents).

`rtb-bot serve` runs its loop in every replica (`Runtime.start` with `run_schedules`); the
console and the tests drive single passes (`AlarmIntake.run_once`). No queue configured, no
intake: the bot runs as before.
"""

from __future__ import annotations

from handlers.context import Deps
from handlers.incident_intake import AlarmIntake
from handlers.incident_records import card_actions
from ops.backends.sqs import AlarmQueue
from ops.incident_store import IncidentStore


def build_intake(deps: Deps, *, retries: int = 2) -> AlarmIntake | None:
    if deps.config.incidents.queue_url is None:
        return None
    backends = deps.backends
    queue = AlarmQueue(deps.config, backends.aws, backends.blocking, max_attempts=retries + 1)
    push = deps.require_push()
    store = IncidentStore(backends.db, clock=push.clock)
    # Deps' hooks are read at each change: whatever bot.app sets later (PagerDuty) is heard.
    # The card's buttons (handlers.incident_records): a repeat's edit keeps them.
    return AlarmIntake(
        queue,
        store,
        push.outbox,
        deps.config,
        hooks=lambda: deps.incident_hooks,
        actions=card_actions(deps),
    )

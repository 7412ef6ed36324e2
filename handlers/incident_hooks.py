"""Who else hears of an incident's changes (PagerDuty, wired by bot.app): the hook.

`announce` is called after a change is stored and the card is in the outbox — by the intake
for `opened`, `repeated`, `resolved` and `insufficient_data`, by the card's buttons (card11)
for `acknowledged` and a manual `resolved`. Each hook runs in turn; one that raises is logged
(its exception's type only) and does not stop the others nor the intake: a hook that needs
retries keeps its own record (PagerDuty's dedup key makes a repeated trigger harmless).
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from ops.incidents import Incident, IncidentHook, Transition

log = structlog.get_logger(__name__)


async def announce(
    hooks: Sequence[IncidentHook], incident: Incident, transition: Transition
) -> None:
    for hook in hooks:
        try:
            await hook(incident, transition)
        except Exception as exc:  # one failing listener must not stop the intake
            log.error(
                "incident hook failed",
                incident=incident.id,
                transition=transition,
                hook=getattr(hook, "__qualname__", type(hook).__name__),
                error=type(exc).__name__,
            )

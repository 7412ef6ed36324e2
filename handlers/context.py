"""What a handler gets: the shared dependencies and, per command, who asked what."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from approvals.gate import Gate
from handlers.languages import Languages
from ops.backends.container import Backends
from ops.config import Config
from ops.user_languages import UserLanguages

if TYPE_CHECKING:
    from handlers.replies import Reply
    from handlers.scheduled import PushSide
    from handlers.spec import Command
    from ops.incidents import IncidentHook

log = structlog.get_logger(__name__)


class TaskTracker:
    """Background work started after an ack; tracked so shutdown (and the console) can wait.

    `slot()` bounds how many heavy commands (fan-outs to the backends) do their work at once;
    the rest wait their turn. Acks never wait (they happen before spawn), but unbounded work
    starves the event loop that acks: at 50 commands in flight the ack p99 went from ~50 ms
    to seconds (bench/ack.py). Light commands, clicks and long waits (following a rollout)
    take no slot, so they never queue behind a slow fan-out.
    """

    def __init__(self, heavy_at_once: int = 4) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(heavy_at_once)

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def slot(self) -> asyncio.Semaphore:
        """`async with tasks.slot():` around heavy work."""
        return self._slots

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", task=task.get_name(), exc_info=task.exception())

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until no task is running (tasks may start more tasks). TimeoutError if some
        still run after `timeout`; they go on running (the caller decides: `cancel_all`)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                running = len(self._tasks)
                raise TimeoutError(f"{running} background task(s) still running")  # internal
            await asyncio.wait(set(self._tasks), timeout=left)

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass
class Deps:
    """Built once by the app factory; every listener finds it in `context["deps"]`."""

    config: Config
    backends: Backends
    tasks: TaskTracker
    version: str
    gate: Gate  # the policy gate and approvals (built by bot.app)
    unexpected_errors: int = 0  # answered with a correlation id; the console exits non-zero
    push: PushSide | None = None  # scheduled jobs, claims and the outbox (built by bot.app)
    # who else hears of an incident acknowledged or resolved from its card (PagerDuty: the lead
    # wires it, with the intake's hooks; handlers.incident_hooks)
    incident_hooks: Sequence[IncidentHook] = ()

    @cached_property
    def languages(self) -> Languages:
        """Who reads in which language (handlers.languages), from the config and the bot's
        database; built at first use."""
        return Languages(
            self.config.language, self.config.channels, UserLanguages(self.backends.db)
        )

    def require_push(self) -> PushSide:
        if self.push is None:
            raise RuntimeError("the scheduled side is not configured (bot.app.create_runtime)")
        return self.push


@dataclass(frozen=True)
class CommandCall:
    """One parsed `/rtb` command on its way to an operation."""

    deps: Deps
    user_id: str
    channel_id: str
    values: dict[str, Any]
    correlation_id: str
    table: Mapping[str, Command]
    trigger_id: str = ""  # from the slash command: opens a modal within 3 s
    client: AsyncWebClient | None = None  # Bolt's client, for modals
    reply: Reply | None = None  # where the answer goes, and follow-ups (a rollout's progress)
    # what the gate decided, appended by handlers.mutations.submit_mutation for a caller that
    # records it (an incident card's action: its timeline names the outcome)
    gate_outcomes: list[Any] | None = None

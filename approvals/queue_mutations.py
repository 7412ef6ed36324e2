"""BullMQ queue changes through the gate: pause, resume, retry failed jobs (policy `hub.queue`).

The queues are the hub's, on the Redis the bot is given (int). The env is still part of every
request, so a queue change asked for stg or prd is refused by the policy with its reason (the
hub outside int is core infrastructure) instead of silently acting on int.

The pre-flight state is the paused flag plus the count the change acts on (waiting jobs for
pause/resume, failed jobs for a retry): counts that a running worker moves all the time
(active, completed) are left out, so an approval is not stopped by them; a change in what
the lead approved (someone resumed it, new jobs failed) is drift and stops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from approvals.facts import (
    Fact,
    FailedJobs,
    FailedRetried,
    QueuePaused,
    QueuePausedKeeping,
    QueueResumed,
    QueueRunning,
    QueueState,
)
from approvals.mutations import Change, MutationSpec, Target
from ops import queue_control
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import Problem, UserError
from ops.queues import QueueCounts, bull_queues, queue_counts, queue_name
from ops.suggestions import suggest

QUEUE_ACTION = "hub.queue"
MAX_RETRY_LIMIT = 10_000


@dataclass(frozen=True)
class NamedTarget(Target):
    """A target that is not a namespaced object (a queue, a namespace): shown by its name."""

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class QueueMutation(MutationSpec):
    @classmethod
    def build(cls, env: EnvName, queue: str, **extra: Any) -> Self:
        try:
            queue_name(queue)
        except ValueError as exc:
            raise UserError(
                Problem.NOT_VALID, value=queue[:60], what="queue_name", why=exc
            ) from None
        return cls(
            env=env,
            action=QUEUE_ACTION,
            target=NamedTarget("", queue),
            params={"queue": queue, **extra},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        return cls.build(env, params["queue"])

    @property
    def queue(self) -> str:
        return str(self.params["queue"])

    async def current(self, backends: Backends) -> QueueCounts:
        """The queue's counts; UserError (with a did-you-mean) when there is no such queue."""
        queues = bull_queues(backends)
        await queue_control.known_queue(queues, self.queue, backends.config.hub.queues)
        return await queue_counts(queues, self.queue)

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return QueueState(bool(state.get("paused")), state.get("pending"), state.get("failed"))


@dataclass(frozen=True)
class PauseQueue(QueueMutation):
    mutation: ClassVar[str] = "queue-pause"

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        counts = await self.current(backends)
        if counts.paused:
            resume = suggest("queue resume", self.queue)  # internal: a verb
            raise UserError(Problem.QUEUE_ALREADY_PAUSED, queue=self.queue, command=resume)
        return {"paused": False, "pending": counts.pending}

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        return Change(QueueRunning(), QueuePausedKeeping(int(preflight.get("pending", 0))))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        change = await queue_control.pause_queue(bull_queues(backends), self.queue)
        return change.to_json()


@dataclass(frozen=True)
class ResumeQueue(QueueMutation):
    mutation: ClassVar[str] = "queue-resume"

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        counts = await self.current(backends)
        if not counts.paused and not counts.paused_list:
            raise UserError(Problem.QUEUE_NOT_PAUSED, queue=self.queue)
        return {"paused": True, "pending": counts.pending}

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        return Change(QueuePaused(int(preflight.get("pending", 0))), QueueResumed())

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        change = await queue_control.resume_queue(bull_queues(backends), self.queue)
        return change.to_json()


@dataclass(frozen=True)
class RetryFailedJobs(QueueMutation):
    mutation: ClassVar[str] = "queue-retry-failed"

    @classmethod
    def build_retry(cls, env: EnvName, queue: str, limit: int | None) -> Self:
        if limit is not None and not 1 <= limit <= MAX_RETRY_LIMIT:
            raise UserError(Problem.QUEUE_RETRY_LIMIT_RANGE, most=MAX_RETRY_LIMIT)
        return cls.build(env, queue, limit=limit)

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        limit = params.get("limit")
        return cls.build_retry(env, params["queue"], None if limit is None else int(limit))

    @property
    def limit(self) -> int | None:
        limit = self.params.get("limit")
        return None if limit is None else int(limit)

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        counts = await self.current(backends)
        if not counts.failed:
            raise UserError(Problem.QUEUE_NO_FAILED_JOBS, queue=self.queue)
        return {"paused": counts.paused, "failed": counts.failed}

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        failed = int(preflight.get("failed", 0))
        retried = failed if self.limit is None else min(self.limit, failed)
        after = FailedRetried(retried, failed, paused=bool(preflight.get("paused")))
        return Change(FailedJobs(failed), after)

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        change = await queue_control.retry_failed_jobs(
            bull_queues(backends), self.queue, self.limit
        )
        return change.to_json()


QUEUE_MUTATIONS: tuple[type[MutationSpec], ...] = (PauseQueue, ResumeQueue, RetryFailedJobs)

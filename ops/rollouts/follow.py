"""Following rollouts: `kubectl rollout status` polled until every deployment is done, or the
time is up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import BackendError, UserError
from ops.rollouts.status import RolloutStatus, assess_rollout
from ops.workloads import read_deployment_object


@dataclass(frozen=True)
class Observation:
    """One look at one deployment: its rollout status, or why it could not be read (the error
    itself: the renderer words it in the reader's language)."""

    namespace: str
    deployment: str
    status: RolloutStatus | None
    error: UserError | BackendError | None = None

    @property
    def done(self) -> bool:
        return self.status is not None and self.status.done


@dataclass(frozen=True)
class FollowedRollouts:
    env: EnvName
    observations: tuple[Observation, ...]
    elapsed_seconds: float
    timed_out: bool  # the time was up before every rollout was done

    @property
    def done(self) -> bool:
        return all(o.done for o in self.observations)


Report = Callable[[FollowedRollouts], Awaitable[None]]


async def follow_rollouts(
    backends: Backends,
    env: EnvName,
    targets: Sequence[tuple[str, str]],
    *,
    poll_seconds: float,
    timeout_seconds: float,
    report: Report | None = None,
) -> FollowedRollouts:
    """Look at each (namespace, deployment) every `poll_seconds` until all are done (complete or
    failed) or `timeout_seconds` passed; `report` gets every look that is not the last."""
    start = time.monotonic()
    while True:
        observations = await asyncio.gather(*(_observe(backends, env, *t) for t in targets))
        elapsed = time.monotonic() - start
        looked = FollowedRollouts(env, tuple(observations), elapsed, timed_out=False)
        if looked.done:
            return looked
        if elapsed >= timeout_seconds:
            return FollowedRollouts(env, looked.observations, elapsed, timed_out=True)
        if report is not None:
            await report(looked)
        await asyncio.sleep(min(poll_seconds, max(0.0, timeout_seconds - elapsed)))


async def _observe(backends: Backends, env: EnvName, namespace: str, name: str) -> Observation:
    try:
        deployment = await read_deployment_object(backends, env, namespace, name)
    except UserError as exc:  # e.g. deleted meanwhile
        return Observation(namespace, name, None, exc)
    except BackendError as exc:  # a slow look is not the end of the rollout: look again
        return Observation(namespace, name, None, exc)
    return Observation(namespace, name, assess_rollout(env, deployment))

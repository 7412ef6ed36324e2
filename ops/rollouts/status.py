"""`kubectl rollout status`, one shot, as a pure function of the Deployment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ops.backends.container import Backends
from ops.config import EnvName
from ops.kube_lookups import get_deployment
from ops.kube_objects import Deployment, Json

RolloutState = Literal["complete", "progressing", "failed", "paused", "unobserved"]


@dataclass(frozen=True)
class RolloutStatus:
    env: EnvName
    namespace: str
    deployment: str
    state: RolloutState
    generation: int
    observed_generation: int
    desired: int
    updated: int
    ready: int
    available: int
    total: int  # every pod of the deployment, old ReplicaSets included
    progressing_reason: str | None
    progressing_message: str | None

    @property
    def done(self) -> bool:
        """Nothing left to wait for: polling (e.g. after a rollback) can stop."""
        return self.state in ("complete", "failed")


def rollout_state(deployment: Deployment | Json) -> RolloutState:
    """`kubectl rollout status`, one shot, as a pure function of the Deployment object."""
    d = deployment if isinstance(deployment, Deployment) else Deployment.of(deployment)
    if d.meta.generation > d.observed_generation:
        return "unobserved"
    if d.progressing is not None and d.progressing.reason == "ProgressDeadlineExceeded":
        return "failed"
    if d.paused:
        return "paused"
    if d.updated < d.replicas or d.total > d.updated:
        return "progressing"
    if d.available < d.updated:
        return "progressing"
    return "complete"


def assess_rollout(env: EnvName, deployment: Deployment | Json) -> RolloutStatus:
    d = deployment if isinstance(deployment, Deployment) else Deployment.of(deployment)
    progressing = d.progressing
    return RolloutStatus(
        env=env,
        namespace=d.meta.namespace,
        deployment=d.meta.name,
        state=rollout_state(d),
        generation=d.meta.generation,
        observed_generation=d.observed_generation,
        desired=d.replicas,
        updated=d.updated,
        ready=d.ready,
        available=d.available,
        total=d.total,
        progressing_reason=progressing.reason if progressing else None,
        progressing_message=progressing.message if progressing else None,
    )


async def rollout_status(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> RolloutStatus:
    return assess_rollout(env, await get_deployment(backends, env, namespace, name))

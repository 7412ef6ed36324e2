"""Changes to workloads (deployments): which policy action they are depends on the namespace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from approvals.mutations import Change, MutationSpec, Target
from approvals.policy import CORE_INFRASTRUCTURE
from ops import workloads
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName

PREVIEW_PREFIX = "preview-"
MAX_REPLICAS = 50


def workload_action(config: Config, namespace: str, hub_action: str) -> str:
    """The hub's namespace → `hub_action`; preview-* → preview.workload; else core infra."""
    if namespace == config.hub.namespace:
        return hub_action
    if namespace.startswith(PREVIEW_PREFIX) and len(namespace) > len(PREVIEW_PREFIX):
        return "preview.workload"
    return CORE_INFRASTRUCTURE


@dataclass(frozen=True)
class ScaleDeployment(MutationSpec):
    mutation: ClassVar[str] = "scale"
    summary: ClassVar[str] = "scale a deployment"

    @classmethod
    def build(
        cls, config: Config, env: EnvName, namespace: str, deployment: str, replicas: int
    ) -> Self:
        if not 0 <= replicas <= MAX_REPLICAS:
            raise ValueError(f"replicas must be between 0 and {MAX_REPLICAS}")
        return cls(
            env=env,
            action=workload_action(config, namespace, "hub.scale"),
            target=Target(namespace, deployment),
            params={"namespace": namespace, "deployment": deployment, "replicas": replicas},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        return cls.build(
            config, env, params["namespace"], params["deployment"], int(params["replicas"])
        )

    @property
    def replicas(self) -> int:
        return int(self.params["replicas"])

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        state = await workloads.read_deployment(
            backends, self.env, self.target.namespace, self.target.name
        )
        return {"replicas": state.replicas, "images": dict(state.images)}

    def describe_state(self, state: dict[str, Any]) -> str:
        images = ", ".join(f"{c}={i}" for c, i in sorted(state.get("images", {}).items()))
        return f"{_replicas(state.get('replicas'))}" + (f" ({images})" if images else "")

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        return Change(_replicas(preflight.get("replicas")), _replicas(self.replicas))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        scaled = await workloads.scale_deployment(
            backends,
            self.env,
            self.target.namespace,
            self.target.name,
            self.replicas,
            actor=actor,
        )
        return {"replicas": scaled.replicas}


def _replicas(count: Any) -> str:
    return "1 replica" if count == 1 else f"{count} replicas"

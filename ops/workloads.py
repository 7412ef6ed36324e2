"""Deployments in any env's cluster: read one, scale one (the caller decides whether it may)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import BackendUnavailable, UserError


@dataclass(frozen=True)
class DeploymentState:
    env: EnvName
    namespace: str
    name: str
    replicas: int  # desired (spec.replicas)
    ready_replicas: int
    images: tuple[tuple[str, str], ...]  # (container, image), in pod-template order


@dataclass(frozen=True)
class ScaledDeployment:
    env: EnvName
    namespace: str
    name: str
    replicas: int  # desired replicas the API server answered with


async def read_deployment(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> DeploymentState:
    """The deployment's desired replicas and images; UserError when it does not exist."""
    try:
        body = await backends.kube.call(
            env, "apps", "read_namespaced_deployment", name=name, namespace=namespace
        )
    except BackendUnavailable as exc:
        if exc.reason.startswith("HTTP 404"):
            raise UserError(
                f"{env}: there is no deployment `{name}` in namespace `{namespace}`."
            ) from None
        raise
    return _state(env, namespace, name, body)


def _state(env: EnvName, namespace: str, name: str, body: dict[str, Any]) -> DeploymentState:
    spec = body.get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return DeploymentState(
        env=env,
        namespace=namespace,
        name=name,
        replicas=int(spec.get("replicas", 1)),
        ready_replicas=int((body.get("status") or {}).get("readyReplicas") or 0),
        images=tuple((c.get("name", "?"), c.get("image", "?")) for c in containers),
    )


async def scale_deployment(
    backends: Backends,
    env: EnvName,
    namespace: str,
    name: str,
    replicas: int,
    *,
    actor: Actor = BOT,
) -> ScaledDeployment:
    """PATCH the scale subresource, as `actor` (requester and approver reach CloudTrail)."""
    body = await backends.kube.call(
        env,
        "apps",
        "patch_namespaced_deployment_scale",
        name=name,
        namespace=namespace,
        body={"spec": {"replicas": replicas}},
        actor=actor,
    )
    now = int((body.get("spec") or {}).get("replicas", replicas))
    return ScaledDeployment(env, namespace, name, now)

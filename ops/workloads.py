"""Deployments in any env's cluster: read one, scale one (the caller decides whether it may)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.backends.faults import NotFound
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.kube_objects import Deployment, Json, mapping
from ops.kube_writes import Permission, retry_conflicts, write


@dataclass(frozen=True)
class DeploymentState:
    env: EnvName
    namespace: str
    name: str
    replicas: int  # desired (spec.replicas)
    ready_replicas: int
    images: tuple[tuple[str, str], ...]  # (container, image), in pod-template order
    revision: int | None = None  # deployment.kubernetes.io/revision: the current ReplicaSet's
    resource_version: str = ""


@dataclass(frozen=True)
class ScaledDeployment:
    env: EnvName
    namespace: str
    name: str
    replicas: int  # desired replicas the API server answered with
    previous: int | None = None  # desired replicas read right before the change


async def read_deployment(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> DeploymentState:
    """The deployment's desired replicas and images; UserError when it does not exist."""
    return _state(
        env, namespace, name, await read_deployment_object(backends, env, namespace, name)
    )


async def read_deployment_object(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> dict[str, Any]:
    """The Deployment as the API server has it; UserError when it does not exist."""
    try:
        body: dict[str, Any] = await backends.kube.call(
            env, "apps", "read_namespaced_deployment", name=name, namespace=namespace
        )
    except NotFound:
        raise UserError(
            Problem.NO_DEPLOYMENT, env=env, namespace=namespace, deployment=name
        ) from None
    return body


def _state(env: EnvName, namespace: str, name: str, body: Json) -> DeploymentState:
    deployment = Deployment.of(body)
    return DeploymentState(
        env=env,
        namespace=namespace,
        name=name,
        replicas=deployment.replicas,
        ready_replicas=deployment.ready,
        images=tuple(deployment.images.items()),
        revision=deployment.revision_number,
        resource_version=deployment.meta.resource_version,
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
    """PATCH the scale subresource, as `actor` (requester and approver reach CloudTrail).

    The patch carries the resourceVersion just read: a concurrent change makes it a 409, and it
    is tried again on a fresh read (ops.kube_writes)."""
    needs = Permission("patch", "deployments/scale", namespace)

    async def attempt() -> ScaledDeployment:
        before = await read_deployment(backends, env, namespace, name)
        body = await write(
            backends,
            env,
            "apps",
            "patch_namespaced_deployment_scale",
            needs,
            actor=actor,
            name=name,
            namespace=namespace,
            body=precondition(before.resource_version) | {"spec": {"replicas": replicas}},
        )
        now = _int_or(mapping(mapping(body).get("spec")).get("replicas"), replicas)
        return ScaledDeployment(env, namespace, name, now, before.replicas)

    return await retry_conflicts(attempt)


def _int_or(value: object, default: int) -> int:
    return value if isinstance(value, int) else default


def precondition(resource_version: str) -> dict[str, Any]:
    """A patch's part that makes it fail with 409 when the object changed since it was read."""
    return {"metadata": {"resourceVersion": resource_version}} if resource_version else {}

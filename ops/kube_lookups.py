"""Finding one object by name, and a Deployment's pods, without treating "none" as a 404."""

from __future__ import annotations

from ops.backends.container import Backends
from ops.backends.kube_routes import Api, Operation
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.kube_objects import Deployment, Json, Pod, listed
from ops.label_selectors import selector_of


async def find_one(
    backends: Backends, env: EnvName, api: Api, operation: Operation, namespace: str, name: str
) -> Json | None:
    """One object by name, or None: a list with a field selector answers "none" without a 404."""
    answer = await backends.kube.call(
        env, api, operation, namespace=namespace, field_selector=f"metadata.name={name}"
    )
    found = listed(answer)
    return found[0] if found else None


async def find_deployment(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> Deployment | None:
    found = await find_one(backends, env, "apps", "list_namespaced_deployment", namespace, name)
    return None if found is None else Deployment.of(found)


async def find_pod(backends: Backends, env: EnvName, namespace: str, name: str) -> Pod | None:
    found = await find_one(backends, env, "core", "list_namespaced_pod", namespace, name)
    return None if found is None else Pod.of(found)


async def get_deployment(backends: Backends, env: EnvName, namespace: str, name: str) -> Deployment:
    deployment = await find_deployment(backends, env, namespace, name)
    if deployment is None:
        raise UserError(Problem.DEPLOYMENT_MISSING, env=env, namespace=namespace, deployment=name)
    return deployment


async def deployment_pods(backends: Backends, env: EnvName, deployment: Deployment) -> list[Pod]:
    """The pods its selector matches (none when it has no matchLabels)."""
    if not deployment.match_labels:
        return []
    answer = await backends.kube.call(
        env,
        "core",
        "list_namespaced_pod",
        namespace=deployment.meta.namespace,
        label_selector=selector_of(deployment.match_labels),
    )
    return [Pod.of(item) for item in listed(answer)]

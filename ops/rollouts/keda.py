"""The KEDA ScaledObject driving a deployment, paused and resumed the KEDA way (the
`autoscaling.keda.sh/paused-replicas` annotation, as a merge patch: custom resources take no
strategic merge)."""

from __future__ import annotations

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.backends.faults import Forbidden, NotFound
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.kube_objects import PAUSED_REPLICAS, ScaledObject, listed
from ops.kube_writes import Permission, write

KEDA_GROUP, KEDA_VERSION, SCALED_OBJECTS = "keda.sh", "v1alpha1", "scaledobjects"

__all__ = ["PAUSED_REPLICAS", "ScaledObject", "find_scaled_object", "set_keda_pause"]


async def find_scaled_object(
    backends: Backends, env: EnvName, namespace: str, deployment: str
) -> ScaledObject | None:
    """None when no ScaledObject targets the deployment (or KEDA is not installed)."""
    try:
        answer = await backends.kube.call(
            env,
            "custom",
            "list_namespaced_custom_object",
            group=KEDA_GROUP,
            version=KEDA_VERSION,
            namespace=namespace,
            plural=SCALED_OBJECTS,
        )
    except NotFound:  # no such resource type: KEDA is not installed
        return None
    except Forbidden:  # not knowing whether KEDA drives it is not "no"
        raise UserError(
            Problem.KEDA_UNKNOWABLE,
            verb="list",
            resource="scaledobjects.keda.sh",
            namespace=namespace,
        ) from None
    scaled = (ScaledObject.of(item) for item in listed(answer))
    return next((s for s in scaled if s.scales(deployment)), None)


async def set_keda_pause(
    backends: Backends,
    env: EnvName,
    namespace: str,
    scaled_object: str,
    replicas: int | None,
    *,
    actor: Actor = BOT,
) -> None:
    """Pause KEDA at `replicas` (it scales the deployment there and stops), or resume (None)."""
    value = None if replicas is None else str(replicas)
    await write(
        backends,
        env,
        "custom",
        "patch_namespaced_custom_object",
        Permission("patch", "scaledobjects.keda.sh", namespace),
        actor=actor,
        namespace=namespace,
        name=scaled_object,
        group=KEDA_GROUP,
        version=KEDA_VERSION,
        plural=SCALED_OBJECTS,
        body={"metadata": {"annotations": {PAUSED_REPLICAS: value}}},  # merge patch: null deletes
    )

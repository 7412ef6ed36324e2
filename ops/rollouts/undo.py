"""`kubectl rollout undo [--to-revision N]`, computed the same way from the deployment's
ReplicaSets (ops.rollouts.history)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.config import EnvName
from ops.kube_objects import CHANGE_CAUSE
from ops.kube_writes import Permission, retry_conflicts, write
from ops.rollouts.history import read_revisions


@dataclass(frozen=True)
class RolledBack:
    from_revision: int | None
    from_images: dict[str, str]
    to_revision: int  # the revision whose template now runs (it becomes the newest revision)
    images: dict[str, str]


async def rollback_deployment(
    backends: Backends,
    env: EnvName,
    namespace: str,
    name: str,
    to_revision: int | None,
    *,
    actor: Actor = BOT,
) -> RolledBack:
    """`kubectl rollout undo`: the deployment's template replaced by the chosen revision's.

    A PUT with the resourceVersion just read, so nothing else changed in between goes lost; the
    change cause of that revision comes along (as kubectl copies the ReplicaSet's annotations).
    """
    needs = Permission("update", "deployments", namespace)

    async def attempt() -> RolledBack:
        found = await read_revisions(backends, env, namespace, name)
        target = found.target(to_revision)
        body = copy.deepcopy(dict(found.deployment.raw))
        body.setdefault("spec", {})["template"] = copy.deepcopy(target.template)
        annotations = body.setdefault("metadata", {}).setdefault("annotations", {})
        annotations.pop(CHANGE_CAUSE, None)
        if target.change_cause:
            annotations[CHANGE_CAUSE] = target.change_cause
        await write(
            backends,
            env,
            "apps",
            "replace_namespaced_deployment",
            needs,
            actor=actor,
            name=name,
            namespace=namespace,
            body=body,
        )
        return RolledBack(found.current, found.images, target.number, target.images)

    return await retry_conflicts(attempt)

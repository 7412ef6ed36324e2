"""`kubectl set image`: one container's image, as a strategic-merge patch of that container."""

from __future__ import annotations

from dataclasses import dataclass

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.kube_objects import CHANGE_CAUSE, Deployment
from ops.kube_writes import Permission, retry_conflicts, write
from ops.workloads import precondition, read_deployment_object


@dataclass(frozen=True)
class ImageSet:
    from_revision: int | None
    container: str
    from_image: str
    image: str


def pick_container(images: dict[str, str], deployment: str, wanted: str | None) -> str:
    """`wanted`, or the only container, or the one named like the deployment."""
    if wanted is not None:
        if wanted not in images:
            raise UserError(
                Problem.NO_SUCH_CONTAINER,
                deployment=deployment,
                container=wanted,
                containers=list(images),
            )
        return wanted
    if len(images) == 1:
        return next(iter(images))
    if deployment in images:
        return deployment
    raise UserError(Problem.SEVERAL_CONTAINERS, deployment=deployment, containers=list(images))


async def set_image(
    backends: Backends,
    env: EnvName,
    namespace: str,
    name: str,
    container: str | None,
    image: str,
    *,
    change_cause: str,
    actor: Actor = BOT,
) -> ImageSet:
    """`kubectl set image`: a strategic-merge patch of one container (by name; None: the only
    one, or the one named like the deployment)."""
    needs = Permission("patch", "deployments", namespace)

    async def attempt() -> ImageSet:
        deployment = Deployment.of(await read_deployment_object(backends, env, namespace, name))
        images = deployment.images
        chosen = pick_container(images, name, container)
        patch = precondition(deployment.meta.resource_version)
        patch.setdefault("metadata", {})["annotations"] = {CHANGE_CAUSE: change_cause}
        patch["spec"] = {"template": {"spec": {"containers": [{"name": chosen, "image": image}]}}}
        await write(
            backends,
            env,
            "apps",
            "patch_namespaced_deployment",
            needs,
            actor=actor,
            name=name,
            namespace=namespace,
            body=patch,
        )
        return ImageSet(deployment.revision_number, chosen, images[chosen], image)

    return await retry_conflicts(attempt)

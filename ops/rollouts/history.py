"""A deployment's revisions: the ReplicaSets it owns (by uid), by their revision annotation.

One read serves `kubectl rollout history` (every owned ReplicaSet, as shown) and `rollout undo`
(the pod templates to go back to).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.kube_lookups import get_deployment
from ops.kube_objects import HASH_LABEL, Deployment, Json, ReplicaSet, images, listed, mapping
from ops.workloads import read_deployment_object


async def owned_replicasets(
    backends: Backends, env: EnvName, deployment: Deployment
) -> list[ReplicaSet]:
    """The ReplicaSets `deployment` owns (by uid), as the API server lists them."""
    answer = await backends.kube.call(
        env, "apps", "list_namespaced_replica_set", namespace=deployment.meta.namespace
    )
    replicasets = (ReplicaSet.of(item) for item in listed(answer))
    return [rs for rs in replicasets if rs.owned_by(deployment.meta.uid)]


def _number(replicaset: ReplicaSet) -> int | None:
    value = replicaset.revision or ""
    return int(value) if value.isdigit() else None


# -- rollout history -------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    number: int
    replicaset: str
    images: tuple[str, ...]
    created_at: datetime | None
    change_cause: str | None
    current: bool
    pods: int  # replicas the ReplicaSet runs now


@dataclass(frozen=True)
class RolloutHistory:
    env: EnvName
    namespace: str
    deployment: str
    revisions: tuple[Revision, ...]  # newest first


async def rollout_history(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> RolloutHistory:
    """`kubectl rollout history`: the deployment's ReplicaSets (owned by uid) by revision."""
    deployment = await get_deployment(backends, env, namespace, name)
    owned = await owned_replicasets(backends, env, deployment)
    current = deployment.revision
    revisions = sorted((_revision(rs, current) for rs in owned), key=lambda r: -r.number)
    return RolloutHistory(env, namespace, name, tuple(revisions))


def _revision(replicaset: ReplicaSet, current: str | None) -> Revision:
    return Revision(
        number=_number(replicaset) or 0,
        replicaset=replicaset.meta.name,
        images=tuple(images(replicaset.template).values()),
        created_at=replicaset.meta.created_at,
        change_cause=replicaset.change_cause,
        current=(replicaset.revision or "0") == current,
        pods=replicaset.pods,
    )


# -- the templates `rollout undo` goes back to -----------------------------------------------


@dataclass(frozen=True)
class RevisionTemplate:
    number: int
    replicaset: str
    template: Json  # the ReplicaSet's pod template without its pod-template-hash label
    change_cause: str | None

    @property
    def images(self) -> dict[str, str]:
        return images(self.template)


@dataclass(frozen=True)
class DeploymentRevisions:
    env: EnvName
    namespace: str
    name: str
    deployment: Deployment
    revisions: tuple[RevisionTemplate, ...]  # newest first

    @property
    def current(self) -> int | None:
        return self.deployment.revision_number

    @property
    def images(self) -> dict[str, str]:
        return self.deployment.images

    @property
    def numbers(self) -> list[str]:
        return [str(r.number) for r in self.revisions]

    def target(self, to_revision: int | None) -> RevisionTemplate:
        """kubectl's choice: revision N, or the second-newest one; UserError when unusable."""
        where = {"env": self.env, "namespace": self.namespace, "deployment": self.name}
        if to_revision is not None:
            found = next((r for r in self.revisions if r.number == to_revision), None)
            if found is None:
                raise UserError(
                    Problem.NO_SUCH_REVISION,
                    revision=str(to_revision),
                    revisions=self.numbers,
                    **where,
                )
        elif len(self.revisions) < 2:
            raise UserError(Problem.NO_PREVIOUS_REVISION, revisions=self.numbers, **where)
        else:
            found = self.revisions[1]
        if without_hash(self.deployment.template) == found.template:
            raise UserError(Problem.ALREADY_AT_REVISION, revision=str(found.number), **where)
        return found


def without_hash(template: Json) -> Json:
    """A pod template as the Deployment writes it: without the ReplicaSet's hash label."""
    copied = copy.deepcopy(dict(template))
    labels = mapping(copied.get("metadata")).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return copied


async def read_revisions(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> DeploymentRevisions:
    """The deployment and its ReplicaSets by revision (those it owns, by uid), newest first."""
    deployment = Deployment.of(await read_deployment_object(backends, env, namespace, name))
    revisions = [
        RevisionTemplate(number, rs.meta.name, without_hash(rs.template), rs.change_cause)
        for rs in await owned_replicasets(backends, env, deployment)
        if (number := _number(rs)) is not None
    ]
    revisions.sort(key=lambda r: -r.number)
    return DeploymentRevisions(env, namespace, name, deployment, tuple(revisions))

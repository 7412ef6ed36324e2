"""Rollout changes to a deployment, and following them to the end.

- KEDA: the ScaledObject driving a deployment, paused and resumed the KEDA way (the
  `autoscaling.keda.sh/paused-replicas` annotation, as a merge patch: custom resources take no
  strategic merge);
- rollback: what `kubectl rollout undo [--to-revision N]` does, computed the same way from the
  deployment's ReplicaSets (owned by uid) and their revision annotations;
- set image: one container's image, as `kubectl set image` patches it;
- follow: `kubectl rollout status` polled (ops.cluster.assess_rollout) until every deployment is
  done, or the time is up.

Every write carries the resourceVersion it read, so a concurrent change is a 409 retried on a
fresh read (ops.kube_writes); the caller decides whether it may (the approvals gate).
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.cluster import CHANGE_CAUSE, REVISION, RolloutStatus, assess_rollout
from ops.config import EnvName
from ops.errors import BackendUnavailable, Fault, UserError
from ops.kube_writes import Permission, retry_conflicts, write
from ops.workloads import precondition, read_deployment_object

Obj = dict[str, Any]

PAUSED_REPLICAS = "autoscaling.keda.sh/paused-replicas"
HASH_LABEL = "pod-template-hash"
KEDA_GROUP, KEDA_VERSION, SCALED_OBJECTS = "keda.sh", "v1alpha1", "scaledobjects"


def _meta(obj: Obj) -> Obj:
    meta: Obj = obj.get("metadata") or {}
    return meta


def _annotations(obj: Obj) -> dict[str, str]:
    return dict(_meta(obj).get("annotations") or {})


def _images(template: Obj) -> dict[str, str]:
    containers = (template.get("spec") or {}).get("containers") or []
    return {str(c.get("name", "?")): str(c.get("image", "?")) for c in containers}


# -- KEDA ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaledObject:
    """The KEDA ScaledObject whose scaleTargetRef is a deployment."""

    name: str
    paused_replicas: str | None  # the annotation's value when KEDA is paused


async def find_scaled_object(
    backends: Backends, env: EnvName, namespace: str, deployment: str
) -> ScaledObject | None:
    """None when no ScaledObject targets the deployment (or KEDA is not installed)."""
    try:
        listed = await backends.kube.call(
            env,
            "custom",
            "list_namespaced_custom_object",
            group=KEDA_GROUP,
            version=KEDA_VERSION,
            namespace=namespace,
            plural=SCALED_OBJECTS,
        )
    except BackendUnavailable as exc:
        if exc.fault is Fault.NOT_FOUND:  # no such resource type: KEDA is not installed
            return None
        if exc.fault is Fault.FORBIDDEN:  # not knowing whether KEDA drives it is not "no"
            raise UserError(
                Permission("list", "scaledobjects.keda.sh", namespace).denied()
                + " (needed to tell whether KEDA drives the deployment)"
            ) from None
        raise
    for item in listed.get("items") or []:
        ref = (item.get("spec") or {}).get("scaleTargetRef") or {}
        if ref.get("name") == deployment and ref.get("kind", "Deployment") == "Deployment":
            paused = _annotations(item).get(PAUSED_REPLICAS)
            return ScaledObject(str(_meta(item).get("name", "?")), paused)
    return None


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


# -- revisions and rollback ------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionTemplate:
    number: int
    replicaset: str
    template: Obj  # the ReplicaSet's pod template without its pod-template-hash label
    change_cause: str | None

    @property
    def images(self) -> dict[str, str]:
        return _images(self.template)


@dataclass(frozen=True)
class DeploymentRevisions:
    env: EnvName
    namespace: str
    name: str
    deployment: Obj
    revisions: tuple[RevisionTemplate, ...]  # newest first

    @property
    def current(self) -> int | None:
        value = _annotations(self.deployment).get(REVISION, "")
        return int(value) if value.isdigit() else None

    @property
    def images(self) -> dict[str, str]:
        return _images((self.deployment.get("spec") or {}).get("template") or {})

    @property
    def numbers(self) -> str:
        return ", ".join(str(r.number) for r in self.revisions) or "none"

    def target(self, to_revision: int | None) -> RevisionTemplate:
        """kubectl's choice: revision N, or the second-newest one; UserError when unusable."""
        where = f"`{self.name}` in `{self.namespace}` ({self.env})"
        if to_revision is not None:
            found = next((r for r in self.revisions if r.number == to_revision), None)
            if found is None:
                raise UserError(
                    f"{where} has no revision {to_revision}; its revisions are: {self.numbers}."
                )
        elif len(self.revisions) < 2:
            raise UserError(
                f"{where} has no previous revision to roll back to (revisions: {self.numbers})."
            )
        else:
            found = self.revisions[1]
        if _without_hash(self._template()) == found.template:
            raise UserError(
                f"{where} already runs the template of revision {found.number}: "
                "nothing to roll back."
            )
        return found

    def _template(self) -> Obj:
        template: Obj = (self.deployment.get("spec") or {}).get("template") or {}
        return template


def _without_hash(template: Obj) -> Obj:
    template = copy.deepcopy(template)
    labels = (template.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return template


async def read_revisions(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> DeploymentRevisions:
    """The deployment and its ReplicaSets by revision (those it owns, by uid), newest first."""
    deployment = await read_deployment_object(backends, env, namespace, name)
    listed = await backends.kube.call(
        env, "apps", "list_namespaced_replica_set", namespace=namespace
    )
    uid = _meta(deployment).get("uid")
    revisions = []
    for replicaset in listed.get("items") or []:
        owners = _meta(replicaset).get("ownerReferences") or []
        number = _annotations(replicaset).get(REVISION, "")
        if not number.isdigit() or not any(o.get("uid") == uid for o in owners):
            continue
        template = ((replicaset.get("spec") or {}).get("template")) or {}
        revisions.append(
            RevisionTemplate(
                number=int(number),
                replicaset=str(_meta(replicaset).get("name", "?")),
                template=_without_hash(template),
                change_cause=_annotations(replicaset).get(CHANGE_CAUSE),
            )
        )
    revisions.sort(key=lambda r: -r.number)
    return DeploymentRevisions(env, namespace, name, deployment, tuple(revisions))


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
        body = copy.deepcopy(found.deployment)
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


# -- set image -------------------------------------------------------------------------------


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
            names = ", ".join(f"`{c}`" for c in images) or "none"
            raise UserError(f"`{deployment}` has no container `{wanted}` (containers: {names}).")
        return wanted
    if len(images) == 1:
        return next(iter(images))
    if deployment in images:
        return deployment
    names = ", ".join(f"`{c}`" for c in images) or "none"
    raise UserError(
        f"`{deployment}` has several containers ({names}): choose one with --container."
    )


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
        deployment = await read_deployment_object(backends, env, namespace, name)
        images = _images((deployment.get("spec") or {}).get("template") or {})
        chosen = pick_container(images, name, container)
        revision = _annotations(deployment).get(REVISION, "")
        patch = precondition(str(_meta(deployment).get("resourceVersion") or ""))
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
        before = int(revision) if revision.isdigit() else None
        return ImageSet(before, chosen, images[chosen], image)

    return await retry_conflicts(attempt)


# -- following -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One look at one deployment: its rollout status, or why it could not be read."""

    namespace: str
    deployment: str
    status: RolloutStatus | None
    error: str | None = None

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
    except UserError as exc:
        return Observation(namespace, name, None, exc.message)
    except BackendUnavailable as exc:  # a slow look is not the end of the rollout: look again
        return Observation(namespace, name, None, f"{exc.backend}: {exc.reason}")
    return Observation(namespace, name, assess_rollout(env, deployment))

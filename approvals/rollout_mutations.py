"""Rollout changes: rollback (`kubectl rollout undo`) and set image (a tag of the int ECR
repository); the runbook §7 emergency rollback of both is approvals/emergency_rollback.py.

Each rolls a deployment out; the handler layer follows the rollout once it succeeded and offers
`undo(result)` ("Roll this back": back to the revision that ran before the change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from approvals.facts import (
    ContainerImage,
    Fact,
    ImageAt,
    Revision,
)
from approvals.mutations import Change, MutationSpec, Target
from approvals.namespaces import action_before_reading
from approvals.workload_mutations import WorkloadChange, no_clear_answer
from ops import images, workloads
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import BackendError
from ops.rollouts import set_image as rollout_images
from ops.rollouts import undo as rollout_undo
from ops.rollouts.history import read_revisions


def revision_fact(number: Any, images_now: Any, deployment: str | None = None) -> Revision:
    """A revision and its images as read, `?` where unknown (`deployment`: in a list)."""
    shown = dict(images_now) if isinstance(images_now, dict) else {}
    return Revision(number if isinstance(number, int) else None, shown, deployment)


class RevisionChange(WorkloadChange):
    """A change that makes a new revision of one deployment: followed, and undone by going back
    to the revision that ran before it."""

    def rollouts(self) -> tuple[Target, ...]:
        return (self.target,)

    def undo(self, result: dict[str, Any], config: Config) -> MutationSpec | None:
        return _back_to(config, self.env, self.target, result.get("from_revision"))


@dataclass(frozen=True)
class RollbackDeployment(RevisionChange):
    mutation: ClassVar[str] = "rollback"
    hub_action: ClassVar[str] = "hub.rollback"

    @classmethod
    def build(
        cls,
        config: Config,
        env: EnvName,
        namespace: str,
        deployment: str,
        to_revision: int | None = None,
    ) -> Self:
        if to_revision is not None and to_revision < 1:
            raise ValueError("revisions are numbered from 1")  # internal: the parser's bound
        return cls(
            env=env,
            action=action_before_reading(config, namespace, cls.hub_action),
            target=Target(namespace, deployment),
            params={"namespace": namespace, "deployment": deployment, "to_revision": to_revision},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        to = params.get("to_revision")
        return cls.build(
            config, env, params["namespace"], params["deployment"], int(to) if to else None
        )

    @property
    def to_revision(self) -> int | None:
        value = self.params.get("to_revision")
        return int(value) if value is not None else None

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        found = await read_revisions(backends, self.env, self.target.namespace, self.target.name)
        target = found.target(self.to_revision)  # UserError: no such revision, nothing to undo
        return {
            "revision": found.current,
            "images": found.images,
            "to_revision": target.number,
            "to_images": target.images,
        }

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return revision_fact(state.get("revision"), state.get("images"))

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        return Change(
            revision_fact(preflight.get("revision"), preflight.get("images")),
            revision_fact(preflight.get("to_revision"), preflight.get("to_images")),
        )

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        try:
            done = await rollout_undo.rollback_deployment(
                backends,
                self.env,
                self.target.namespace,
                self.target.name,
                self.to_revision,
                actor=actor,
            )
        except BackendError as exc:
            raise await no_clear_answer(backends, self.env, self.target, exc) from None
        return {
            "from_revision": done.from_revision,
            "from_images": done.from_images,
            "to_revision": done.to_revision,
            "images": done.images,
        }


def _back_to(config: Config, env: EnvName, target: Target, revision: Any) -> MutationSpec | None:
    """A rollback to the revision that ran before a change (which keeps its number)."""
    if not isinstance(revision, int):
        return None
    return RollbackDeployment.build(config, env, target.namespace, target.name, revision)


@dataclass(frozen=True)
class SetImage(RevisionChange):
    mutation: ClassVar[str] = "set-image"
    hub_action: ClassVar[str] = "hub.set-image"

    @classmethod
    def build(
        cls,
        config: Config,
        env: EnvName,
        namespace: str,
        deployment: str,
        tag: str,
        container: str | None = None,
    ) -> Self:
        images.check_tag(tag)  # ValueError for anything the OCI tag grammar does not allow
        return cls(
            env=env,
            action=action_before_reading(config, namespace, cls.hub_action),
            target=Target(namespace, deployment),
            params={
                "namespace": namespace,
                "deployment": deployment,
                "container": container,
                "tag": tag,
                "image": images.hub_image(config, tag),
            },
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        return cls.build(
            config,
            env,
            params["namespace"],
            params["deployment"],
            params["tag"],
            params.get("container"),
        )

    @property
    def image(self) -> str:
        return str(self.params["image"])

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        namespace, name = self.target.namespace, self.target.name
        state = await workloads.read_deployment(backends, self.env, namespace, name)
        current = dict(state.images)
        container = rollout_images.pick_container(current, name, self.params.get("container"))
        pushed = await images.find_tag(backends, str(self.params["tag"]))  # UserError: no tag
        return {
            "revision": state.revision,
            "container": container,
            "image": current[container],
            "tag_digest": pushed.digest,  # a tag pushed again since is drift, not the same change
        }

    def describe_state(self, state: dict[str, Any]) -> Fact:
        revision = state.get("revision")
        container, image = str(state.get("container")), str(state.get("image"))
        return ImageAt(revision if isinstance(revision, int) else None, container, image)

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        container = str(preflight.get("container"))
        before = ContainerImage(container, str(preflight.get("image")))
        return Change(before, ContainerImage(container, self.image))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        tag = self.params["tag"]
        # internal: the CHANGE-CAUSE `kubectl rollout history` shows, English like kubectl's own
        approved = f", approved by {actor.approver}" if actor.approver else ""  # internal: ↑
        cause = f"rtb-bot set-image {tag} (asked by {actor.user}{approved})"  # internal: ↑
        try:
            done = await rollout_images.set_image(
                backends,
                self.env,
                self.target.namespace,
                self.target.name,
                self.params.get("container"),
                self.image,
                change_cause=cause,
                actor=actor,
            )
        except BackendError as exc:
            raise await no_clear_answer(backends, self.env, self.target, exc) from None
        return {
            "from_revision": done.from_revision,
            "container": done.container,
            "from_image": done.from_image,
            "image": done.image,
        }


ROLLOUT_MUTATIONS: tuple[type[MutationSpec], ...] = (RollbackDeployment, SetImage)

"""Rollout changes: rollback (`kubectl rollout undo`), set image (a tag of the int ECR repository),
and the runbook §7 emergency rollback of the hub's two front deployments together.

Each rolls a deployment out; the handler layer follows the rollout once it succeeded and offers
`undo(result)` ("Roll this back": back to the revision that ran before the change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from approvals.mutations import Change, MutationSpec, PartlyApplied, Target
from approvals.namespaces import action_before_reading
from approvals.workload_mutations import WorkloadChange, describe_images, no_clear_answer
from ops import images, workloads
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import BackendUnavailable, Problem, UserError
from ops.rollouts import set_image as rollout_images
from ops.rollouts import undo as rollout_undo
from ops.rollouts.history import read_revisions

EMERGENCY_DEPLOYMENTS = ("workflow-engine", "webhook-listener")  # runbook §7


def _revision(number: Any, images_now: Any) -> str:
    shown = describe_images(images_now) if isinstance(images_now, dict) and images_now else "?"
    return f"revision {number if number is not None else '?'} ({shown})"


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
            raise ValueError("revisions are numbered from 1")
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

    def describe_state(self, state: dict[str, Any]) -> str:
        return _revision(state.get("revision"), state.get("images"))

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        return Change(
            _revision(preflight.get("revision"), preflight.get("images")),
            _revision(preflight.get("to_revision"), preflight.get("to_images")),
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
        except BackendUnavailable as exc:
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

    def describe_state(self, state: dict[str, Any]) -> str:
        image = describe_images({str(state.get("container")): str(state.get("image"))})
        return f"revision {state.get('revision')}: {state.get('container')}={image}"

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        container = preflight.get("container")
        before = describe_images({str(container): str(preflight.get("image"))})
        return Change(f"{container}: {before}", f"{container}: {describe_images({'': self.image})}")

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        tag = self.params["tag"]
        approved = f", approved by {actor.approver}" if actor.approver else ""
        try:
            done = await rollout_images.set_image(
                backends,
                self.env,
                self.target.namespace,
                self.target.name,
                self.params.get("container"),
                self.image,
                change_cause=f"rtb-bot set-image {tag} (asked by {actor.user}{approved})",
                actor=actor,
            )
        except BackendUnavailable as exc:
            raise await no_clear_answer(backends, self.env, self.target, exc) from None
        return {
            "from_revision": done.from_revision,
            "container": done.container,
            "from_image": done.from_image,
            "image": done.image,
        }


@dataclass(frozen=True)
class EmergencyRollback(WorkloadChange):
    """Runbook §7: workflow-engine and webhook-listener rolled back together, one confirmation,
    each deployment run and audited on its own (`steps`)."""

    mutation: ClassVar[str] = "emergency-rollback"
    hub_action: ClassVar[str] = "hub.rollback"

    @classmethod
    def build(cls, config: Config, env: EnvName) -> Self:
        namespace = config.hub.namespace
        return cls(
            env=env,
            action=action_before_reading(config, namespace, cls.hub_action),
            target=Target(namespace, "+".join(EMERGENCY_DEPLOYMENTS)),
            params={"namespace": namespace, "deployments": list(EMERGENCY_DEPLOYMENTS)},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        built = cls.build(config, env)
        if params != built.params:
            raise UserError(Problem.EMERGENCY_PARAMS)
        return built

    def steps(self) -> tuple[MutationSpec, ...]:
        namespace = str(self.params["namespace"])
        return tuple(
            RollbackDeployment(
                env=self.env,
                action=self.action,
                target=Target(namespace, name),
                params={"namespace": namespace, "deployment": name, "to_revision": None},
            )
            for name in self.params["deployments"]
        )

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        """Each deployment's state; one that cannot be rolled back says why (the others can)."""
        found: dict[str, Any] = {}
        for part in self.steps():
            try:
                found[part.target.name] = await part.preflight(backends)
            except UserError as exc:
                found[part.target.name] = {"unavailable": _kept(exc)}
        if all("unavailable" in state for state in found.values()):
            refusals = [_refusal(state["unavailable"]) for state in found.values()]
            raise UserError(Problem.PARTS_REFUSED, parts=refusals)
        return found

    def describe_state(self, state: dict[str, Any]) -> str:
        return "; ".join(f"{name}: {_part_state(part)}" for name, part in state.items())

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        before, after = [], []
        for name, part in preflight.items():
            if "unavailable" in part:
                before.append(f"{name}: {_unavailable(part['unavailable'])}")
                after.append(f"{name}: unchanged")
                continue
            before.append(f"{name} {_revision(part.get('revision'), part.get('images'))}")
            after.append(f"{name} {_revision(part.get('to_revision'), part.get('to_images'))}")
        return Change("; ".join(before), "; ".join(after))

    def confirmation(self, preflight: dict[str, Any], config: Config) -> str | None:
        names = " and ".join(f"`{name}`" for name in self.params["deployments"])
        return f"An emergency rollback rolls {names} back at once."

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        """As one approved request (the gate's own path for an allowed change runs and audits
        the parts one by one): every part is tried; a failure after a success is reported as
        partly applied, never as "nothing changed"."""
        results, told, failures = [], [], []
        for part in self.steps():
            name = part.target.name
            try:
                result = await part.execute(backends, actor)
            except (UserError, BackendUnavailable) as exc:
                failures.append(_part_failure(name, exc))
                told.append(failures[-1])
                continue
            revision = str(result["to_revision"])
            told.append(UserError(Problem.PART_ROLLED_BACK, deployment=name, revision=revision))
            results.append({"target": str(part.target), "status": "succeeded", **result})
        if failures and results:
            backend = f"kubernetes {self.env}"  # a name
            raise PartlyApplied(UserError(Problem.PARTLY_APPLIED, backend=backend, parts=told))
        if failures:
            raise UserError(Problem.PARTS_FAILED, parts=failures)
        return {"parts": results}

    def rollouts(self) -> tuple[Target, ...]:
        return tuple(part.target for part in self.steps())


def _part_state(part: dict[str, Any]) -> str:
    if part.get("unavailable"):
        return _unavailable(part["unavailable"])
    return _revision(part.get("revision"), part.get("images"))


def _kept(exc: UserError) -> str | dict[str, Any]:
    """A part's refusal in the pre-flight state: as text when it came worded (so a state kept
    before refusals became codes compares equal), else as data."""
    return exc.text if exc.code is None and exc.text is not None else exc.as_data()


def _refusal(kept: str | dict[str, Any]) -> UserError:
    return UserError(kept) if isinstance(kept, str) else UserError.from_data(kept)


def _unavailable(kept: str | dict[str, Any]) -> str:
    # internal: the Change's words are still written here (pre-worded text, else the code)
    return kept if isinstance(kept, str) else str(_refusal(kept))


def _part_failure(deployment: str, exc: UserError | BackendUnavailable) -> UserError:
    if isinstance(exc, UserError):
        return UserError(Problem.PART_REFUSED, deployment=deployment, why=exc)
    return UserError(
        Problem.PART_BACKEND_FAILED, deployment=deployment, backend=exc.backend, reason=exc.reason
    )


ROLLOUT_MUTATIONS: tuple[type[MutationSpec], ...] = (
    RollbackDeployment,
    SetImage,
    EmergencyRollback,
)

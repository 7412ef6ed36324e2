"""Changes to workloads (deployments): which policy action they are depends on the namespace
(the hub's, a preview's by its label, or core infrastructure: approvals/namespaces.py).

Scaling a deployment that a KEDA ScaledObject drives pauses KEDA at the new count in the same
execution (the `autoscaling.keda.sh/paused-replicas` annotation), or KEDA would undo it at its
next poll; `autoscale resume` (approvals/rollout_mutations.py) hands it back to KEDA.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

from approvals.facts import (
    AboveMaxReplicas,
    Fact,
    KedaPaused,
    KedaResumed,
    Replicas,
    ScaledTo,
    ScaleToZero,
)
from approvals.mutations import Change, MutationSpec, OutcomeUnknown, Target
from approvals.namespaces import PREVIEW_WORKLOAD, action_before_reading, namespace_action
from approvals.policy import CORE_INFRASTRUCTURE
from ops import workloads
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import BackendError, Problem, UserError
from ops.kube_writes import answered
from ops.rollouts.keda import find_scaled_object, set_keda_pause

MAX_REPLICAS = 50


class WorkloadChange(MutationSpec):
    """A change to deployments in `target.namespace`: `hub_action` in the hub's namespace,
    `preview.workload` in a namespace labelled a preview, core infrastructure anywhere else."""

    hub_action: ClassVar[str]

    async def classified(self, backends: Backends) -> Self:
        action = await namespace_action(
            backends,
            self.env,
            self.target.namespace,
            hub=self.hub_action,
            preview=PREVIEW_WORKLOAD,
        )
        return replace(self, action=action)

    @property
    def possible_actions(self) -> tuple[str, ...]:
        """The hub's action in its namespace; elsewhere core infrastructure or, if the label
        says so, a preview workload."""
        if self.action == CORE_INFRASTRUCTURE:
            return (CORE_INFRASTRUCTURE, PREVIEW_WORKLOAD)
        return (self.action,)


def short_image(image: str) -> str:
    """`repository:tag` without the registry (what fits on a card)."""
    return image.rsplit("/", 1)[-1]


def describe_images(images: dict[str, str]) -> str:
    """One container: its image; several: `name=image, …` (registries left out)."""
    if len(images) == 1:
        return short_image(next(iter(images.values())))
    return ", ".join(f"{c}={short_image(i)}" for c, i in sorted(images.items()))


async def no_clear_answer(
    backends: Backends, env: EnvName, target: Target, exc: BackendError
) -> BackendError | OutcomeUnknown:
    """A write without an answer (timeout, lost connection) may or may not have been applied:
    the error says so with the Deployment read again now (or that it could not be read either),
    as data. A refusal (the server answered no) stays the failure it is."""
    if answered(exc):
        return exc
    try:
        state = await workloads.read_deployment(backends, env, target.namespace, target.name)
    except (BackendError, UserError):
        return OutcomeUnknown(UserError(Problem.NO_CLEAR_ANSWER_UNREAD, failure=exc))
    told = UserError(
        Problem.NO_CLEAR_ANSWER,
        failure=exc,
        revision="" if state.revision is None else str(state.revision),
        replicas=state.replicas,
        images=describe_images(dict(state.images)),
    )
    return OutcomeUnknown(told)


@dataclass(frozen=True)
class ScaleDeployment(WorkloadChange):
    mutation: ClassVar[str] = "scale"
    hub_action: ClassVar[str] = "hub.scale"

    @classmethod
    def build(
        cls, config: Config, env: EnvName, namespace: str, deployment: str, replicas: int
    ) -> Self:
        if not 0 <= replicas <= MAX_REPLICAS:
            raise ValueError(f"replicas must be between 0 and {MAX_REPLICAS}")  # internal: a guard
        return cls(
            env=env,
            action=action_before_reading(config, namespace, cls.hub_action),
            target=Target(namespace, deployment),
            params={"namespace": namespace, "deployment": deployment, "replicas": replicas},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        return cls.build(
            config, env, params["namespace"], params["deployment"], int(params["replicas"])
        )

    @property
    def replicas(self) -> int:
        return int(self.params["replicas"])

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        namespace, name = self.target.namespace, self.target.name
        state = await workloads.read_deployment(backends, self.env, namespace, name)
        found: dict[str, Any] = {"replicas": state.replicas, "images": dict(state.images)}
        keda = await find_scaled_object(backends, self.env, namespace, name)
        if keda is not None:
            found["keda"] = {"scaled_object": keda.name, "paused_replicas": keda.paused_replicas}
        return found

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return _replicas_now(state, dict(state.get("images") or {}))

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        keda = preflight.get("keda")
        scaled_object = str(keda["scaled_object"]) if isinstance(keda, dict) else None
        return Change(_replicas_now(preflight), ScaledTo(self.replicas, scaled_object))

    def confirmation(self, preflight: dict[str, Any], config: Config) -> Fact | None:
        if self.replicas == 0:
            return ScaleToZero(self.target.name)
        if self.replicas > config.hub.max_replicas:
            return AboveMaxReplicas(self.replicas, config.hub.max_replicas)
        return None

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        namespace, name = self.target.namespace, self.target.name
        keda = await find_scaled_object(backends, self.env, namespace, name)
        try:
            if keda is not None:  # first, or KEDA scales it back at its next poll
                await set_keda_pause(
                    backends, self.env, namespace, keda.name, self.replicas, actor=actor
                )
            scaled = await workloads.scale_deployment(
                backends, self.env, namespace, name, self.replicas, actor=actor
            )
        except BackendError as exc:
            raise await no_clear_answer(backends, self.env, self.target, exc) from None
        return {
            "replicas": scaled.replicas,
            "previous_replicas": scaled.previous,
            "scaled_object": keda.name if keda else None,
            "keda_paused_before": keda.paused_replicas if keda else None,
        }

    def rollouts(self) -> tuple[Target, ...]:
        return (self.target,)

    def undo(self, result: dict[str, Any], config: Config) -> MutationSpec | None:
        """Back to KEDA when it was autoscaling before, else back to the previous count."""
        if result.get("scaled_object") and result.get("keda_paused_before") is None:
            return ResumeAutoscaling.build(
                config, self.env, self.target.namespace, self.target.name
            )
        previous = result.get("previous_replicas")
        if not isinstance(previous, int) or previous == self.replicas:
            return None
        return ScaleDeployment.build(
            config, self.env, self.target.namespace, self.target.name, previous
        )


@dataclass(frozen=True)
class ResumeAutoscaling(WorkloadChange):
    """`/rtb autoscale resume`: the paused-replicas annotation removed; KEDA scales again."""

    mutation: ClassVar[str] = "autoscale-resume"
    hub_action: ClassVar[str] = "hub.scale"

    @classmethod
    def build(cls, config: Config, env: EnvName, namespace: str, deployment: str) -> Self:
        return cls(
            env=env,
            action=action_before_reading(config, namespace, cls.hub_action),
            target=Target(namespace, deployment),
            params={"namespace": namespace, "deployment": deployment},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        return cls.build(config, env, params["namespace"], params["deployment"])

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        namespace, name = self.target.namespace, self.target.name
        state = await workloads.read_deployment(backends, self.env, namespace, name)
        keda = await find_scaled_object(backends, self.env, namespace, name)
        where = {"env": self.env, "namespace": namespace, "deployment": name}
        if keda is None:
            raise UserError(Problem.NOT_AUTOSCALED, **where)
        if keda.paused_replicas is None:
            raise UserError(Problem.AUTOSCALING_NOT_PAUSED, scaled_object=keda.name, **where)
        return {
            "replicas": state.replicas,
            "keda": {"scaled_object": keda.name, "paused_replicas": keda.paused_replicas},
        }

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return _replicas_now(state)

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        keda = preflight["keda"]  # the pre-flight refused a deployment KEDA does not drive
        paused_at, scaled_object = int(keda["paused_replicas"]), str(keda["scaled_object"])
        return Change(KedaPaused(paused_at), KedaResumed(scaled_object))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        namespace, name = self.target.namespace, self.target.name
        keda = await find_scaled_object(backends, self.env, namespace, name)
        if keda is None:
            raise UserError(Problem.NO_LONGER_AUTOSCALED, deployment=name)
        try:
            await set_keda_pause(backends, self.env, namespace, keda.name, None, actor=actor)
        except BackendError as exc:
            raise await no_clear_answer(backends, self.env, self.target, exc) from None
        return {"scaled_object": keda.name, "resumed_from": keda.paused_replicas}


def _replicas_now(state: dict[str, Any], images: dict[str, str] | None = None) -> Replicas:
    """A deployment's replicas in a pre-flight state, with KEDA's hold on it if it has one."""
    keda = state.get("keda")
    if not isinstance(keda, dict):
        return Replicas(state.get("replicas"), images or {})
    return Replicas(
        state.get("replicas"),
        images or {},
        scaled_object=str(keda.get("scaled_object")),
        keda_paused_at=keda.get("paused_replicas"),
    )

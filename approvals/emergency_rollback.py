"""Runbook §7: workflow-engine and webhook-listener rolled back together (`/rtb
emergency-rollback <env>`), one confirmation, each deployment run and audited on its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from approvals.facts import (
    EmergencyRollbackAtOnce,
    Fact,
    PartRefused,
    Parts,
    PartState,
    PartUnchanged,
)
from approvals.mutations import Change, MutationSpec, OutcomeUnknown, Target
from approvals.namespaces import action_before_reading
from approvals.rollout_mutations import RollbackDeployment, revision_fact
from approvals.workload_mutations import WorkloadChange
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import BackendError, Problem, UserError

EMERGENCY_DEPLOYMENTS = ("workflow-engine", "webhook-listener")  # runbook §7


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

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return Parts(tuple(_part_state(name, part) for name, part in state.items()))

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        before: list[Fact] = []
        after: list[Fact] = []
        for name, part in preflight.items():
            if "unavailable" in part:
                before.append(PartRefused(name, part["unavailable"]))
                after.append(PartUnchanged(name))
                continue
            before.append(revision_fact(part.get("revision"), part.get("images"), name))
            after.append(revision_fact(part.get("to_revision"), part.get("to_images"), name))
        return Change(Parts(tuple(before)), Parts(tuple(after)))

    def confirmation(self, preflight: dict[str, Any], config: Config) -> Fact | None:
        return EmergencyRollbackAtOnce(tuple(self.params["deployments"]))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        """As one approved request (the gate's own path for an allowed change runs and audits
        the parts one by one): every part is tried; a failure after a success is reported as
        partly applied (`OutcomeUnknown`, recorded as unknown with each part named), never as
        "nothing changed"; so is a part without a clear answer (it may have been applied)."""
        results, told, failures, unclear = [], [], [], False
        for part in self.steps():
            name = part.target.name
            try:
                result = await part.execute(backends, actor)
            except (UserError, BackendError, OutcomeUnknown) as exc:
                failures.append(_part_failure(name, exc))
                told.append(failures[-1])
                unclear = unclear or _may_have_applied(exc)
                continue
            revision = str(result["to_revision"])
            told.append(UserError(Problem.PART_ROLLED_BACK, deployment=name, revision=revision))
            results.append({"target": str(part.target), "status": "succeeded", **result})
        backend = f"kubernetes {self.env}"  # a name
        if failures and results:
            raise OutcomeUnknown(UserError(Problem.PARTLY_APPLIED, backend=backend, parts=told))
        if unclear:
            raise OutcomeUnknown(UserError(Problem.PARTS_UNCLEAR, backend=backend, parts=told))
        if failures:
            raise UserError(Problem.PARTS_FAILED, parts=failures)
        return {"parts": results}

    def rollouts(self) -> tuple[Target, ...]:
        return tuple(part.target for part in self.steps())


def _part_state(name: str, part: dict[str, Any]) -> Fact:
    if part.get("unavailable"):
        return PartRefused(name, part["unavailable"])
    return PartState(name, revision_fact(part.get("revision"), part.get("images")))


def _kept(exc: UserError) -> str | dict[str, Any]:
    """A part's refusal in the pre-flight state: as text when it came worded (so a state kept
    before refusals became codes compares equal), else as data."""
    return exc.text if exc.code is None and exc.text is not None else exc.as_data()


def _refusal(kept: str | dict[str, Any]) -> UserError:
    return UserError(kept) if isinstance(kept, str) else UserError.from_data(kept)


def _part_failure(deployment: str, exc: UserError | BackendError | OutcomeUnknown) -> UserError:
    if isinstance(exc, BackendError):
        return UserError(Problem.PART_FAILED_AT_BACKEND, deployment=deployment, failure=exc)
    why = exc.error if isinstance(exc, OutcomeUnknown) else exc
    return UserError(Problem.PART_REFUSED, deployment=deployment, why=why)


def _may_have_applied(exc: UserError | BackendError | OutcomeUnknown) -> bool:
    if isinstance(exc, BackendError):
        return exc.may_have_applied
    return isinstance(exc, OutcomeUnknown)

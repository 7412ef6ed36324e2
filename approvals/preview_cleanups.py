"""Runbook §5.1 step 4 through the gate: delete the expired previews of an env (the hub's
cleanupExpired(), or each namespace directly), policy action `preview.delete`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from approvals.facts import CleanedUp, ExpiredPreviews, Fact
from approvals.mutations import Change, MutationSpec, OutcomeUnknown
from approvals.preview_mutations import DELETE_ACTION, checked
from approvals.queue_mutations import NamedTarget
from ops import preview_cleanup, preview_deletes, preview_names
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import Problem, UserError

CLEANUP_TARGET = "expired previews"  # a name: the stored target, shown as is like every target
MAX_CLEANUP = 200  # namespaces in one cleanup request (a card and an audit row stay readable)


@dataclass(frozen=True)
class CleanupPreviews(MutationSpec):
    """Runbook §5.1 step 4 (`cleanupExpired()` by hand): delete the expired previews of an env.

    `params` names the namespaces found expired when it was asked for; the pre-flight state is
    every expired preview now, so one more expiring (or one going) before an approved cleanup
    runs is drift. Each is re-read right before its delete and deleted only if it is still a
    preview past its TTL.

    `via` (ops.preview_cleanup) is decided when it is asked for, so the card says which way it
    will run: "hub" (kept in `params`, under the digest) calls the hub's cleanupExpired(), and
    falls back to the direct deletes only if the hub answers 404 or the endpoint is no longer
    configured; the result says which was done (`via`, and `fallback` when it fell back).
    """

    mutation: ClassVar[str] = "preview-cleanup"

    @classmethod
    def build(
        cls, env: EnvName, namespaces: Sequence[str], via: preview_cleanup.CleanupWay = "namespaces"
    ) -> Self:
        names = sorted(set(namespaces))
        if not names:
            raise UserError(Problem.NOTHING_EXPIRED, env=env)
        if len(names) > MAX_CLEANUP:
            raise UserError(Problem.TOO_MANY_EXPIRED, env=env, count=len(names), most=MAX_CLEANUP)
        for name in names:
            checked(preview_names.namespace_ref, name, "namespace_name")
        return cls(
            env=env,
            action=DELETE_ACTION,
            target=NamedTarget("", CLEANUP_TARGET),
            # the direct way adds nothing, so requests made before `via` existed keep their digest
            params={"namespaces": names, **({"via": "hub"} if via == "hub" else {})},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        via: preview_cleanup.CleanupWay = "hub" if params.get("via") == "hub" else "namespaces"
        return cls.build(env, list(params["namespaces"]), via)

    @property
    def namespaces(self) -> list[str]:
        return list(self.params["namespaces"])

    @property
    def via(self) -> preview_cleanup.CleanupWay:
        return "hub" if self.params.get("via") == "hub" else "namespaces"

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        expired = await preview_deletes.expired_previews(backends, self.env)
        return {"expired": [p.namespace for p in expired]}

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return ExpiredPreviews(tuple(str(name) for name in state.get("expired") or []))

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        before = self.describe_state({"expired": self.namespaces})
        return Change(before, CleanedUp(by_hub=self.via == "hub"))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        fallback: str | None = None
        if self.via == "hub":
            if preview_cleanup.cleanup_way(backends.config, self.env) != "hub":
                fallback = "hub_unconfigured"
            else:
                ran = await preview_cleanup.hub_cleanup(backends, self.env)
                if ran is not None:
                    removed = list(ran.removed) if ran.removed is not None else None
                    return {"via": "hub", "removed": removed, "count": ran.count}
                fallback = "hub_missing"
        result = await self._delete_directly(backends, actor)
        return {**result, **({"fallback": fallback} if fallback else {})}

    async def _delete_directly(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        outcomes = await preview_deletes.delete_expired(
            backends, self.env, self.namespaces, actor=actor
        )
        result: dict[str, Any] = {
            kind: [
                {"namespace": o.namespace, "reason": o.reason_data()}
                for o in outcomes
                if o.outcome == kind
            ]
            for kind in ("deleted", "failed", "skipped", "unknown")
        }
        if result["unknown"] and not result["deleted"]:  # recorded as unknown, never "failed"
            unclear = [_cleanup_failure(o) for o in outcomes if o.outcome == "unknown"]
            raise OutcomeUnknown(UserError(Problem.CLEANUP_UNCLEAR, parts=unclear))
        failed = [o for o in outcomes if o.outcome == "failed"]
        if failed and not result["deleted"]:
            raise UserError(Problem.NONE_DELETED, failures=[_cleanup_failure(o) for o in failed])
        return {"via": "namespaces", **result}


def _cleanup_failure(outcome: preview_deletes.CleanupOutcome) -> UserError:
    if isinstance(outcome.reason, UserError):
        return UserError(Problem.CLEANUP_REFUSED, namespace=outcome.namespace, why=outcome.reason)
    return UserError(Problem.CLEANUP_BACKEND, namespace=outcome.namespace, failure=outcome.reason)

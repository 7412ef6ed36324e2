"""Preview namespaces through the gate: create, extend the TTL, delete, delete the expired ones
(cleanup).

Policy actions `preview.create` (prd: a team lead's approval), `preview.extend` (the TTL
notice's Extend TTL; prd: approval, like any prd preview change) and `preview.delete`. A delete is
`preview.delete` only for a namespace the cluster says is a preview (labelled
`rtb.io/preview=true`, read before the policy decides: approvals/namespaces.py); any other
(`rtb-ai-hub`, `kube-system`, a `preview-…` name without the label) is `core.modify`, which the
policy refuses in every env. The label is read again right before the delete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self, TypeVar

from approvals.mutations import Change, MutationSpec
from approvals.namespaces import namespace_action
from approvals.policy import CORE_INFRASTRUCTURE
from approvals.queue_mutations import NamedTarget
from ops import preview_cleanup
from ops import preview_namespaces as previews
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import BackendUnavailable, Problem, UserError
from ops.timestamps import parse_time

CREATE_ACTION = "preview.create"
EXTEND_ACTION = "preview.extend"
DELETE_ACTION = "preview.delete"
T = TypeVar("T")
MAX_CLEANUP = 200  # namespaces in one cleanup request (a card and an audit row stay readable)


def _checked(parse: Callable[[str], T], text: str, what: str) -> T:
    """`what`: the kind of value, for the renderer (`queue_name`, `issue_key`, `preview` …)."""
    try:
        return parse(text)
    except ValueError as exc:
        raise UserError(Problem.NOT_VALID, value=text[:60], what=what, why=exc) from None


def _when(text: str | None) -> str:
    moment = parse_time(text)
    return f"expires {moment:%Y-%m-%d %H:%M} UTC" if moment else "no expiry"


def _ttl_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    if rest:
        return f"{seconds // 60}m"
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


@dataclass(frozen=True)
class CreatePreview(MutationSpec):
    mutation: ClassVar[str] = "preview-create"

    @classmethod
    def build(cls, env: EnvName, key: str, ttl: timedelta, requested_by: str) -> Self:
        key = _checked(previews.issue_key, key, "issue_key")
        if not previews.MIN_TTL <= ttl <= previews.MAX_TTL:
            raise UserError(Problem.PREVIEW_TTL_RANGE)
        namespace = previews.preview_namespace(key)
        return cls(
            env=env,
            action=CREATE_ACTION,
            target=NamedTarget("", namespace),
            params={
                "issue_key": key,
                "ttl_seconds": int(ttl.total_seconds()),
                "requested_by": requested_by,
            },
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        ttl = timedelta(seconds=int(params["ttl_seconds"]))
        return cls.build(env, params["issue_key"], ttl, str(params["requested_by"]))

    @property
    def namespace(self) -> str:
        return self.target.name

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        state = await previews.read_namespace(backends, self.env, self.namespace)
        if state is not None and state.expires_at is None:
            raise UserError(Problem.PREVIEW_EXISTS, env=self.env, namespace=self.namespace)
        if state is not None and state.expires_at is not None:
            expires = previews.iso_utc(state.expires_at)
            raise UserError(
                Problem.PREVIEW_EXISTS_UNTIL,
                env=self.env,
                namespace=self.namespace,
                expires=expires,
            )
        return {"namespace": self.namespace, "exists": False}

    def describe_state(self, state: dict[str, Any]) -> str:
        return f"{state.get('namespace')} {'exists' if state.get('exists') else 'does not exist'}"

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        ttl = _ttl_text(int(self.params["ttl_seconds"]))
        return Change(
            "no preview namespace",
            f"{self.namespace} ({self.params['issue_key']}, expires {ttl} after creation)",
        )

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        created = await previews.create_preview(
            backends,
            self.env,
            self.params["issue_key"],
            timedelta(seconds=int(self.params["ttl_seconds"])),
            str(self.params["requested_by"]),
            actor=actor,
        )
        return {
            "namespace": created.namespace,
            "issue_key": created.issue_key,
            "expires_at": previews.iso_utc(created.expires_at),
            "requested_by": created.requested_by,
        }


@dataclass(frozen=True)
class ExtendPreview(MutationSpec):
    """Move a preview's TTL from the expiry it had when asked (`expires_from`) to a later one.

    Both times are in `params`, so a card says exactly what changes, and a TTL that moved in
    between (a second click on the same notice, the hub, another extension) is not extended
    again: the pre-flight refuses it and names the expiry it has now.
    """

    mutation: ClassVar[str] = "preview-extend"

    @classmethod
    def build(cls, env: EnvName, target: str, expires_from: datetime, expires_to: datetime) -> Self:
        ref = _checked(previews.namespace_ref, target, "preview")
        if expires_to <= expires_from:
            raise UserError(Problem.EXTENSION_NOT_LATER)
        return cls(
            env=env,
            action=CORE_INFRASTRUCTURE,  # until `classified` has read its label
            target=NamedTarget("", ref.namespace),
            params={
                "namespace": ref.namespace,
                "expires_from": previews.iso_utc(expires_from),
                "expires_to": previews.iso_utc(expires_to),
            },
        )

    @classmethod
    def by_step(
        cls, env: EnvName, target: str, expires_from: datetime, step: timedelta, now: datetime
    ) -> Self:
        """`step` later than `expires_from`, never more than 7 days (MAX_TTL) from `now`."""
        expires_to = expires_from + step
        if expires_to - now > previews.MAX_TTL:
            step_text = _ttl_text(int(step.total_seconds()))
            raise UserError(Problem.EXTENSION_TOO_FAR, env=env, step=step_text)
        return cls.build(env, target, expires_from, expires_to)

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        start, end = parse_time(params["expires_from"]), parse_time(params["expires_to"])
        if start is None or end is None:
            raise UserError(Problem.EXTENSION_UNREADABLE)
        return cls.build(env, params["namespace"], start, end)

    @property
    def namespace(self) -> str:
        return self.target.name

    @property
    def expires_from(self) -> datetime:
        moment = parse_time(self.params["expires_from"])
        assert moment is not None  # checked by build
        return moment

    @property
    def expires_to(self) -> datetime:
        moment = parse_time(self.params["expires_to"])
        assert moment is not None  # checked by build
        return moment

    async def classified(self, backends: Backends) -> Self:
        """`preview.extend` for a namespace labelled a preview; any other is core
        infrastructure."""
        action = await namespace_action(
            backends,
            self.env,
            self.namespace,
            hub=CORE_INFRASTRUCTURE,
            preview=EXTEND_ACTION,
            missing=previews.no_such_preview(self.env, self.namespace),
        )
        return replace(self, action=action)

    @property
    def possible_actions(self) -> tuple[str, ...]:
        return (CORE_INFRASTRUCTURE, EXTEND_ACTION)

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        state = await previews.require_preview(backends, self.env, self.namespace)
        if not previews.same_expiry(state.expires_at, self.expires_from):
            raise previews.ttl_changed(self.env, self.namespace, state.expires_at)
        return {
            "namespace": state.name,
            "uid": state.uid,
            "issue_key": state.issue_key,
            "expires_at": previews.iso_utc(self.expires_from),
        }

    def describe_state(self, state: dict[str, Any]) -> str:
        key = state.get("issue_key") or "?"
        return f"{state.get('namespace')} ({key}, {_when(state.get('expires_at'))})"

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        after = {**preflight, "expires_at": self.params["expires_to"]}
        return Change(self.describe_state(preflight), self.describe_state(after))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        done = await previews.extend_preview(
            backends, self.env, self.namespace, self.expires_from, self.expires_to, actor=actor
        )
        return {
            "namespace": done.namespace,
            "issue_key": done.issue_key,
            "expires_before": previews.iso_utc(done.expires_before),
            "expires_at": previews.iso_utc(done.expires_at),
        }


@dataclass(frozen=True)
class DeletePreview(MutationSpec):
    mutation: ClassVar[str] = "preview-delete"

    @classmethod
    def build(cls, env: EnvName, target: str) -> Self:
        ref = _checked(previews.namespace_ref, target, "preview")
        return cls(
            env=env,
            action=CORE_INFRASTRUCTURE,  # until `classified` has read its label
            target=NamedTarget("", ref.namespace),
            params={"namespace": ref.namespace},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        return cls.build(env, params["namespace"])

    @property
    def namespace(self) -> str:
        return self.target.name

    async def classified(self, backends: Backends) -> Self:
        """`preview.delete` for a namespace labelled a preview; the hub's and any other are core
        infrastructure."""
        action = await namespace_action(
            backends,
            self.env,
            self.namespace,
            hub=CORE_INFRASTRUCTURE,
            preview=DELETE_ACTION,
            missing=previews.no_such_preview(self.env, self.namespace),
        )
        return replace(self, action=action)

    @property
    def possible_actions(self) -> tuple[str, ...]:
        return (CORE_INFRASTRUCTURE, DELETE_ACTION)

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        state = await previews.require_preview(backends, self.env, self.namespace)
        expires = previews.iso_utc(state.expires_at) if state.expires_at else None
        return {
            "namespace": state.name,
            "uid": state.uid,
            "issue_key": state.issue_key,
            "expires_at": expires,
        }

    def describe_state(self, state: dict[str, Any]) -> str:
        key = state.get("issue_key") or "?"
        return f"{state.get('namespace')} ({key}, {_when(state.get('expires_at'))})"

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        return Change(self.describe_state(preflight), "deleted, with everything in it")

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        state = await previews.delete_preview(backends, self.env, self.namespace, actor=actor)
        return {"namespace": state.name, "issue_key": state.issue_key, "deleted": True}


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
            _checked(previews.namespace_ref, name, "namespace_name")
        return cls(
            env=env,
            action=DELETE_ACTION,
            target=NamedTarget("", "expired previews"),
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
        expired = await previews.expired_previews(backends, self.env)
        return {"expired": [p.namespace for p in expired]}

    def describe_state(self, state: dict[str, Any]) -> str:
        names = list(state.get("expired") or [])
        return f"{len(names)} expired: {', '.join(names)}" if names else "none expired"

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        after = (
            "removed by the hub's cleanupExpired() (its records follow)"
            if self.via == "hub"
            else "deleted directly (the hub's records are not updated)"
        )
        return Change(self.describe_state({"expired": self.namespaces}), after)

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
        outcomes = await previews.delete_expired(backends, self.env, self.namespaces, actor=actor)
        result: dict[str, Any] = {
            kind: [
                {"namespace": o.namespace, "reason": o.reason_data()}
                for o in outcomes
                if o.outcome == kind
            ]
            for kind in ("deleted", "failed", "skipped", "unknown")
        }
        if result["unknown"] and not result["deleted"]:  # recorded as unknown, never "failed"
            unclear = "; ".join(f"{u['namespace']}: {u['reason']}" for u in result["unknown"])
            raise BackendUnavailable(f"kubernetes {self.env}", f"no clear answer ({unclear})")
        failed = [o for o in outcomes if o.outcome == "failed"]
        if failed and not result["deleted"]:
            raise UserError(Problem.NONE_DELETED, failures=[_cleanup_failure(o) for o in failed])
        return {"via": "namespaces", **result}


def _cleanup_failure(outcome: previews.CleanupOutcome) -> UserError:
    if isinstance(outcome.reason, UserError):
        return UserError(Problem.CLEANUP_REFUSED, namespace=outcome.namespace, why=outcome.reason)
    return UserError(Problem.CLEANUP_BACKEND, namespace=outcome.namespace, failure=outcome.reason)


PREVIEW_MUTATIONS: tuple[type[MutationSpec], ...] = (
    CreatePreview,
    ExtendPreview,
    DeletePreview,
    CleanupPreviews,
)

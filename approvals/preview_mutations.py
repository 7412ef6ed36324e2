"""Preview namespaces through the gate: create, extend the TTL, delete (the expired ones
together: approvals/preview_cleanups.py).

Policy actions `preview.create` (prd: a team lead's approval), `preview.extend` (the TTL
notice's Extend TTL; prd: approval, like any prd preview change) and `preview.delete`. A delete is
`preview.delete` only for a namespace the cluster says is a preview (labelled
`rtb.io/preview=true`, read before the policy decides: approvals/namespaces.py); any other
(`rtb-ai-hub`, `kube-system`, a `preview-…` name without the label) is `core.modify`, which the
policy refuses in every env. The label is read again right before the delete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self, TypeVar

from approvals.facts import (
    Fact,
    NoPreview,
    PreviewDeleted,
    PreviewExists,
    PreviewState,
    PreviewToCreate,
)
from approvals.mutations import Change, MutationSpec
from approvals.namespaces import namespace_action
from approvals.policy import CORE_INFRASTRUCTURE
from approvals.queue_mutations import NamedTarget
from ops import preview_deletes, preview_names, preview_namespace_state, preview_namespaces
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import Problem, UserError
from ops.timestamps import parse_time

CREATE_ACTION = "preview.create"
EXTEND_ACTION = "preview.extend"
DELETE_ACTION = "preview.delete"
T = TypeVar("T")


def checked(parse: Callable[[str], T], text: str, what: str) -> T:
    """`what`: the kind of value, for the renderer (`queue_name`, `issue_key`, `preview` …)."""
    try:
        return parse(text)
    except ValueError as exc:
        raise UserError(Problem.NOT_VALID, value=text[:60], what=what, why=exc) from None


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
        key = checked(preview_names.issue_key, key, "issue_key")
        if not preview_names.MIN_TTL <= ttl <= preview_names.MAX_TTL:
            raise UserError(Problem.PREVIEW_TTL_RANGE)
        namespace = preview_names.preview_namespace(key)
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
        state = await preview_namespace_state.read_namespace(backends, self.env, self.namespace)
        if state is not None and state.expires_at is None:
            raise UserError(Problem.PREVIEW_EXISTS, env=self.env, namespace=self.namespace)
        if state is not None and state.expires_at is not None:
            expires = preview_names.iso_utc(state.expires_at)
            raise UserError(
                Problem.PREVIEW_EXISTS_UNTIL,
                env=self.env,
                namespace=self.namespace,
                expires=expires,
            )
        return {"namespace": self.namespace, "exists": False}

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return PreviewExists(str(state.get("namespace")), bool(state.get("exists")))

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        key, ttl = str(self.params["issue_key"]), int(self.params["ttl_seconds"])
        return Change(NoPreview(), PreviewToCreate(self.namespace, key, ttl))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        created = await preview_namespaces.create_preview(
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
            "expires_at": preview_names.iso_utc(created.expires_at),
            "requested_by": created.requested_by,
        }


class LabelledPreviewChange(MutationSpec):
    """A change to an existing preview namespace: `preview_action` for a namespace labelled a
    preview (read before the policy decides); the hub's and any other are core
    infrastructure."""

    preview_action: ClassVar[str]

    @property
    def namespace(self) -> str:
        return self.target.name

    async def classified(self, backends: Backends) -> Self:
        action = await namespace_action(
            backends,
            self.env,
            self.namespace,
            hub=CORE_INFRASTRUCTURE,
            preview=self.preview_action,
            missing=preview_namespace_state.no_such_preview(self.env, self.namespace),
        )
        return replace(self, action=action)

    @property
    def possible_actions(self) -> tuple[str, ...]:
        return (CORE_INFRASTRUCTURE, self.preview_action)


@dataclass(frozen=True)
class ExtendPreview(LabelledPreviewChange):
    """Move a preview's TTL from the expiry it had when asked (`expires_from`) to a later one.

    Both times are in `params`, so a card says exactly what changes, and a TTL that moved in
    between (a second click on the same notice, the hub, another extension) is not extended
    again: the pre-flight refuses it and names the expiry it has now.
    """

    mutation: ClassVar[str] = "preview-extend"
    preview_action: ClassVar[str] = EXTEND_ACTION

    @classmethod
    def build(cls, env: EnvName, target: str, expires_from: datetime, expires_to: datetime) -> Self:
        ref = checked(preview_names.namespace_ref, target, "preview")
        if expires_to <= expires_from:
            raise UserError(Problem.EXTENSION_NOT_LATER)
        return cls(
            env=env,
            action=CORE_INFRASTRUCTURE,  # until `classified` has read its label
            target=NamedTarget("", ref.namespace),
            params={
                "namespace": ref.namespace,
                "expires_from": preview_names.iso_utc(expires_from),
                "expires_to": preview_names.iso_utc(expires_to),
            },
        )

    @classmethod
    def by_step(
        cls, env: EnvName, target: str, expires_from: datetime, step: timedelta, now: datetime
    ) -> Self:
        """`step` later than `expires_from`, never more than 7 days (MAX_TTL) from `now`."""
        expires_to = expires_from + step
        if expires_to - now > preview_names.MAX_TTL:
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
    def expires_from(self) -> datetime:
        moment = parse_time(self.params["expires_from"])
        assert moment is not None  # checked by build
        return moment

    @property
    def expires_to(self) -> datetime:
        moment = parse_time(self.params["expires_to"])
        assert moment is not None  # checked by build
        return moment

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        state = await preview_namespace_state.require_preview(backends, self.env, self.namespace)
        if not preview_namespaces.same_expiry(state.expires_at, self.expires_from):
            raise preview_namespaces.ttl_changed(self.env, self.namespace, state.expires_at)
        return {
            "namespace": state.name,
            "uid": state.uid,
            "issue_key": state.issue_key,
            "expires_at": preview_names.iso_utc(self.expires_from),
        }

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return preview_state(state)

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        after = {**preflight, "expires_at": self.params["expires_to"]}
        return Change(self.describe_state(preflight), self.describe_state(after))

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        done = await preview_namespaces.extend_preview(
            backends, self.env, self.namespace, self.expires_from, self.expires_to, actor=actor
        )
        return {
            "namespace": done.namespace,
            "issue_key": done.issue_key,
            "expires_before": preview_names.iso_utc(done.expires_before),
            "expires_at": preview_names.iso_utc(done.expires_at),
        }


@dataclass(frozen=True)
class DeletePreview(LabelledPreviewChange):
    mutation: ClassVar[str] = "preview-delete"
    preview_action: ClassVar[str] = DELETE_ACTION

    @classmethod
    def build(cls, env: EnvName, target: str) -> Self:
        ref = checked(preview_names.namespace_ref, target, "preview")
        return cls(
            env=env,
            action=CORE_INFRASTRUCTURE,  # until `classified` has read its label
            target=NamedTarget("", ref.namespace),
            params={"namespace": ref.namespace},
        )

    @classmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        return cls.build(env, params["namespace"])

    async def preflight(self, backends: Backends) -> dict[str, Any]:
        state = await preview_namespace_state.require_preview(backends, self.env, self.namespace)
        expires = preview_names.iso_utc(state.expires_at) if state.expires_at else None
        return {
            "namespace": state.name,
            "uid": state.uid,
            "issue_key": state.issue_key,
            "expires_at": expires,
        }

    def describe_state(self, state: dict[str, Any]) -> Fact:
        return preview_state(state)

    def describe_change(self, preflight: dict[str, Any]) -> Change:
        return Change(self.describe_state(preflight), PreviewDeleted())

    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        state = await preview_deletes.delete_preview(
            backends, self.env, self.namespace, actor=actor
        )
        return {"namespace": state.name, "issue_key": state.issue_key, "deleted": True}


def preview_state(state: dict[str, Any]) -> PreviewState:
    key, expires = state.get("issue_key"), state.get("expires_at")
    return PreviewState(str(state.get("namespace")), key or None, expires or None)


PREVIEW_MUTATIONS: tuple[type[MutationSpec], ...] = (
    CreatePreview,
    ExtendPreview,
    DeletePreview,
)

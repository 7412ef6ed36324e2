"""Preview namespaces deleted: one asked for by name, or the expired ones (the bot's own
cleanup when the hub's cleanupExpired endpoint is not there; ops.preview_cleanup decides).

Only a namespace labelled `rtb.io/preview=true` is ever deleted, re-read right before: the
delete carries the uid just read as a precondition, so a namespace re-created under the same
name in between is never the one deleted. An expired one extended, going or not a preview
meanwhile is left alone, with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.backends.faults import Conflict, Forbidden, NotFound
from ops.config import EnvName
from ops.errors import BackendError, Problem, UserError
from ops.preview_namespace_state import (
    NamespaceState,
    forbidden_error,
    read_namespace,
    require_preview,
)
from ops.previews import preview_from, preview_namespaces
from ops.timestamps import now_utc


async def delete_preview(
    backends: Backends, env: EnvName, name: str, *, actor: Actor
) -> NamespaceState:
    """Delete a preview namespace: re-read right before, only if it is labelled a preview.

    The delete carries the uid just read as a precondition, so a namespace re-created under the
    same name in between (by anyone, with any labels) is never the one deleted. A 409 (that
    precondition, or a namespace someone else already put into Terminating) deleted nothing:
    a fresh read says which it was.
    """
    state = await require_preview(backends, env, name)
    await delete_read_preview(backends, state, actor=actor)
    return state


async def delete_read_preview(backends: Backends, state: NamespaceState, *, actor: Actor) -> None:
    """The DELETE of a preview namespace just read as `state` (its uid as the precondition)."""
    env, name = state.env, state.name
    try:
        await backends.kube.call(
            env,
            "core",
            "delete_namespace",
            name=name,
            body={"preconditions": {"uid": state.uid}},
            actor=actor,
        )
    except NotFound:
        raise UserError(Problem.PREVIEW_GONE_MEANWHILE, env=env, namespace=name) from None
    except Conflict:
        raise await _changed_meanwhile(backends, state) from None
    except Forbidden:
        raise forbidden_error(backends, env, "delete", "namespaces") from None


async def _changed_meanwhile(backends: Backends, before: NamespaceState) -> UserError:
    """Why the cluster refused a delete with a 409 (nothing was deleted), from a fresh read."""
    env, name = before.env, before.name
    try:
        now = await read_namespace(backends, env, name)
    except BackendError:
        now = before
    if now is None:
        return UserError(Problem.PREVIEW_GONE_MEANWHILE, env=env, namespace=name)
    if now.uid != before.uid:
        return UserError(Problem.PREVIEW_RECREATED, env=env, namespace=name)
    if now.terminating:
        return UserError(Problem.PREVIEW_TERMINATING, env=env, namespace=name)
    return UserError(Problem.PREVIEW_CHANGED_WHILE_DELETING, env=env, namespace=name)


@dataclass(frozen=True)
class ExpiredPreview:
    namespace: str
    issue_key: str
    expires_at: datetime


async def expired_previews(
    backends: Backends, env: EnvName, *, now: datetime | None = None
) -> tuple[ExpiredPreview, ...]:
    """Preview namespaces past their `rtb.io/expires-at` and not being deleted, by name."""
    moment = now or now_utc()
    found = []
    for ns in await preview_namespaces(backends, env):
        preview = preview_from(env, ns, (), moment, timedelta(0))
        if preview.expired and preview.expires_at is not None:
            found.append(ExpiredPreview(preview.namespace, preview.issue_key, preview.expires_at))
    return tuple(sorted(found, key=lambda p: p.namespace))


@dataclass(frozen=True)
class CleanupOutcome:
    namespace: str
    outcome: str  # "deleted" | "failed" | "skipped" | "unknown" (the delete got no clear answer)
    # why it failed or was skipped (a user error), or the backend's failure
    reason: UserError | BackendError | None = None

    def reason_data(self) -> dict[str, Any] | str:
        """The reason as plain JSON (stored with the cleanup's result)."""
        return "" if self.reason is None else self.reason.as_data()


async def delete_expired(
    backends: Backends,
    env: EnvName,
    names: Sequence[str],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> tuple[CleanupOutcome, ...]:
    """Delete each named namespace that is still an expired preview (all at once)."""
    moment = now or now_utc()
    outcomes = await asyncio.gather(
        *(_delete_if_expired(backends, env, name, actor, moment) for name in names)
    )
    return tuple(outcomes)


async def _delete_if_expired(
    backends: Backends, env: EnvName, name: str, actor: Actor, now: datetime
) -> CleanupOutcome:
    try:
        state = await read_namespace(backends, env, name)
        if state is None:
            return CleanupOutcome(name, "skipped", UserError(Problem.CLEANUP_GONE))
        if not state.is_preview:
            return CleanupOutcome(name, "failed", UserError(Problem.CLEANUP_CORE))
        if state.expires_at is None or state.expires_at > now:
            return CleanupOutcome(name, "skipped", UserError(Problem.CLEANUP_EXTENDED))
        if state.terminating:
            return CleanupOutcome(name, "skipped", UserError(Problem.CLEANUP_TERMINATING))
    except UserError as exc:
        return CleanupOutcome(name, "failed", exc)
    except BackendError as exc:  # the read: nothing was asked to change
        return CleanupOutcome(name, "failed", exc)
    try:
        await delete_read_preview(backends, state, actor=actor)
    except UserError as exc:
        return CleanupOutcome(name, "failed", exc)
    except BackendError as exc:  # sent, no clear answer: it may have been deleted
        outcome = "unknown" if exc.may_have_applied else "failed"
        return CleanupOutcome(name, outcome, exc)
    return CleanupOutcome(name, "deleted")

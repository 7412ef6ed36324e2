"""Preview namespaces changed: create one, extend one's TTL, delete one, delete the expired ones
(cleanupExpired).

A preview namespace is `preview-<issue key, lowercased>` (namespaces are DNS-1123 labels) with
the labels and annotations `ops.previews` reads and the hub writes: `rtb.io/preview=true`,
`rtb.io/issue-key`, `rtb.io/expires-at` (ISO 8601 UTC) and `rtb.io/requested-by`. Only a
namespace carrying `rtb.io/preview=true` is ever deleted here, whatever name it was asked by:
everything else is core infrastructure. `ops.previews.is_preview` is the one definition of "a
preview" (a `preview-…` name proves nothing), and approvals/namespaces.py classifies a namespace
by it for the policy. Whether a change may run is decided by the policy gate (approvals' preview
mutations), not here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import BackendUnavailable, Fault, Invalid, Problem, UserError
from ops.kube_objects import Json, Namespace
from ops.kube_writes import Permission, is_conflict, retry_conflicts, write
from ops.previews import (
    EXPIRES_AT,
    ISSUE_LABEL,
    NAME_PREFIX,
    PREVIEW_LABEL,
    REQUESTED_BY,
    is_preview,
    preview_from,
    preview_namespaces,
)
from ops.suggestions import suggest
from ops.timestamps import now_utc, parse_time

_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9]+-\d+$")
MAX_ISSUE_KEY = 63 - len(NAME_PREFIX)  # the namespace name is a DNS-1123 label (≤ 63)
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_TTL = re.compile(r"^(\d{1,4})([mhdw])$")
_TTL_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=7)
DEFAULT_TTL = timedelta(hours=8)


# -- names -----------------------------------------------------------------------------------


def issue_key(text: str) -> str:
    """`proj-123` → `PROJ-123` (a command-table parser: raises ValueError)."""
    key = text.strip().upper()
    if len(key) > MAX_ISSUE_KEY or not _ISSUE_KEY.match(key):
        raise Invalid(Problem.ISSUE_KEY_SHAPE)
    return key


def preview_namespace(key: str) -> str:
    """`PROJ-123` → `preview-proj-123`."""
    return NAME_PREFIX + key.lower()


@dataclass(frozen=True)
class NamespaceRef:
    """What a delete was asked for: a preview's namespace, or any other namespace by name."""

    namespace: str
    issue_key: str | None  # the key its name spells, if any (the label decides, not the name)


def namespace_ref(text: str) -> NamespaceRef:
    """An issue key (`PROJ-7`), a preview namespace (`preview-proj-7`) or any namespace name.

    Any other name is kept as it is, so the policy can refuse it with its reason instead of a
    parse error hiding what was asked for.
    """
    try:
        key = issue_key(text)
    except ValueError:
        pass
    else:
        return NamespaceRef(preview_namespace(key), key)
    name = text.strip().lower()
    if len(name) > 63 or not _NAMESPACE.match(name):
        raise Invalid(Problem.NAMESPACE_REF_SHAPE)
    if name.startswith(NAME_PREFIX):
        try:
            return NamespaceRef(name, issue_key(name[len(NAME_PREFIX) :]))
        except ValueError:
            pass
    return NamespaceRef(name, None)


def preview_ttl(text: str) -> timedelta:
    """`8h`, `90m`, `2d` … between 1 hour and 7 days (a command-table parser)."""
    match = _TTL.match(text.strip().lower())
    if not match:
        raise Invalid(Problem.TTL_SHAPE)
    ttl = timedelta(seconds=int(match[1]) * _TTL_SECONDS[match[2]])
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise Invalid(Problem.TTL_RANGE)
    return ttl


def iso_utc(moment: datetime) -> str:
    """The annotation's format, as seeded and as the hub writes it: `2025-03-14T09:30:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamespaceState:
    env: EnvName
    name: str
    uid: str
    is_preview: bool  # labelled rtb.io/preview=true, and not the hub's namespace
    issue_key: str | None
    expires_at: datetime | None
    requested_by: str | None
    terminating: bool
    resource_version: str = ""  # as read: a write carrying it fails (409) if it changed since


async def read_namespace(backends: Backends, env: EnvName, name: str) -> NamespaceState | None:
    """The namespace, or None when it does not exist. A plain GET (`get_json`): the pod
    watcher reads a namespace on its first alert, and loading CoreV1Api and its models for it
    made that alert 1.3 s late and the bot ~22 MB bigger (bench/monitors.py)."""
    try:
        body = await backends.kube.get_json(env, f"/api/v1/namespaces/{quote(name, safe='')}")
    except BackendUnavailable as exc:
        if exc.fault is Fault.NOT_FOUND:
            return None
        raise
    return _state(env, body, backends.config.hub.namespace)


def _state(env: EnvName, body: Json, hub_namespace: str) -> NamespaceState:
    namespace = Namespace.of(body)
    meta = namespace.meta
    return NamespaceState(
        env=env,
        name=meta.name,
        uid=meta.uid,
        is_preview=is_preview(body, hub_namespace),
        issue_key=meta.labels.get(ISSUE_LABEL),
        expires_at=parse_time(meta.annotations.get(EXPIRES_AT)),
        requested_by=meta.annotations.get(REQUESTED_BY),
        terminating=meta.deleting or namespace.phase == "Terminating",
        resource_version=meta.resource_version,
    )


def not_a_preview(env: EnvName, name: str) -> UserError:
    return UserError(Problem.NOT_A_PREVIEW, env=env, namespace=name, label=PREVIEW_LABEL)


def no_such_preview(env: EnvName, name: str) -> UserError:
    listed = suggest("previews", env)
    return UserError(Problem.NO_SUCH_PREVIEW, env=env, namespace=name, command=listed)


async def require_preview(backends: Backends, env: EnvName, name: str) -> NamespaceState:
    """The preview namespace as it is now; UserError when missing, not a preview, or going."""
    state = await read_namespace(backends, env, name)
    if state is None:
        raise no_such_preview(env, name)
    if not state.is_preview:
        raise not_a_preview(env, name)
    if state.terminating:
        raise UserError(Problem.PREVIEW_TERMINATING, env=env, namespace=name)
    return state


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


# -- changing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedPreview:
    env: EnvName
    namespace: str
    issue_key: str
    expires_at: datetime
    requested_by: str


def preview_namespace_body(key: str, expires_at: datetime, requested_by: str) -> dict[str, Any]:
    name = preview_namespace(key)
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {PREVIEW_LABEL: "true", ISSUE_LABEL: key},
            "annotations": {EXPIRES_AT: iso_utc(expires_at), REQUESTED_BY: requested_by},
        },
    }


async def create_preview(
    backends: Backends,
    env: EnvName,
    key: str,
    ttl: timedelta,
    requested_by: str,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> CreatedPreview:
    """Create `preview-<key>` expiring `ttl` from now; UserError when it already exists."""
    expires_at = (now or now_utc()) + ttl
    body = preview_namespace_body(key, expires_at, requested_by)
    name = body["metadata"]["name"]
    try:
        await backends.kube.call(env, "core", "create_namespace", body=body, actor=actor)
    except BackendUnavailable as exc:
        if exc.fault is Fault.CONFLICT:
            raise UserError(Problem.PREVIEW_EXISTS, env=env, namespace=name) from None
        raise _forbidden(backends, env, exc, "create", "namespaces") from None
    return CreatedPreview(env, name, key, expires_at.replace(microsecond=0), requested_by)


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
    except BackendUnavailable as exc:
        if exc.fault is Fault.NOT_FOUND:
            raise UserError(Problem.PREVIEW_GONE_MEANWHILE, env=env, namespace=name) from None
        if is_conflict(exc):
            raise await _changed_meanwhile(backends, state) from None
        raise _forbidden(backends, env, exc, "delete", "namespaces") from None


async def _changed_meanwhile(backends: Backends, before: NamespaceState) -> UserError:
    """Why the cluster refused a delete with a 409 (nothing was deleted), from a fresh read."""
    env, name = before.env, before.name
    try:
        now = await read_namespace(backends, env, name)
    except BackendUnavailable:
        now = before
    if now is None:
        return UserError(Problem.PREVIEW_GONE_MEANWHILE, env=env, namespace=name)
    if now.uid != before.uid:
        return UserError(Problem.PREVIEW_RECREATED, env=env, namespace=name)
    if now.terminating:
        return UserError(Problem.PREVIEW_TERMINATING, env=env, namespace=name)
    return UserError(Problem.PREVIEW_CHANGED_WHILE_DELETING, env=env, namespace=name)


@dataclass(frozen=True)
class CleanupOutcome:
    namespace: str
    outcome: str  # "deleted" | "failed" | "skipped" | "unknown" (the delete got no clear answer)
    # why it failed or was skipped (a user error), or the backend's failure (`backend: reason`)
    reason: UserError | str = ""

    def reason_data(self) -> dict[str, Any] | str:
        """The reason as plain JSON (stored with the cleanup's result)."""
        return self.reason.as_data() if isinstance(self.reason, UserError) else self.reason


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
    except BackendUnavailable as exc:  # the read: nothing was asked to change
        return CleanupOutcome(name, "failed", f"{exc.backend}: {exc.reason}")
    try:
        await delete_read_preview(backends, state, actor=actor)
    except UserError as exc:
        return CleanupOutcome(name, "failed", exc)
    except BackendUnavailable as exc:  # sent, no clear answer: it may have been deleted
        outcome = "unknown" if exc.may_have_applied else "failed"
        return CleanupOutcome(name, outcome, f"{exc.backend}: {exc.reason}")
    return CleanupOutcome(name, "deleted")


@dataclass(frozen=True)
class Extended:
    namespace: str
    issue_key: str | None
    expires_before: datetime
    expires_at: datetime


async def extend_preview(
    backends: Backends,
    env: EnvName,
    name: str,
    expires_from: datetime,
    expires_to: datetime,
    *,
    actor: Actor,
) -> Extended:
    """Move `rtb.io/expires-at` from `expires_from` to `expires_to`, only while it still says
    `expires_from`: a TTL someone changed meanwhile (another click on the same notice, the hub)
    is left alone and the UserError says what it is now. The patch carries the resourceVersion
    just read, so a change between the read and the write is a 409 and a fresh read decides."""

    async def attempt() -> Extended:
        state = await require_preview(backends, env, name)
        if not same_expiry(state.expires_at, expires_from):
            raise ttl_changed(env, name, state.expires_at)
        patch: dict[str, Any] = {"metadata": {"annotations": {EXPIRES_AT: iso_utc(expires_to)}}}
        if state.resource_version:
            patch["metadata"]["resourceVersion"] = state.resource_version
        needs = Permission("patch", "namespaces", name)
        await write(
            backends, env, "core", "patch_namespace", needs, actor=actor, name=name, body=patch
        )
        return Extended(name, state.issue_key, expires_from, expires_to)

    return await retry_conflicts(attempt)


def same_expiry(found: datetime | None, expected: datetime) -> bool:
    """To the second, as the annotation is written."""
    return found is not None and iso_utc(found) == iso_utc(expected)


def ttl_changed(env: EnvName, name: str, now: datetime | None) -> UserError:
    if now is None:
        return UserError(Problem.PREVIEW_TTL_CHANGED, env=env, namespace=name)
    return UserError(Problem.PREVIEW_TTL_CHANGED_TO, env=env, namespace=name, expires=iso_utc(now))


def _forbidden(
    backends: Backends, env: EnvName, exc: BackendUnavailable, verb: str, resource: str
) -> Exception:
    """A 403 names the role that lacks the permission; anything else stays as it was."""
    if exc.fault is not Fault.FORBIDDEN:
        return exc
    arn = backends.config.environments[env].role_arn
    if not arn:
        return UserError(Problem.PREVIEW_FORBIDDEN, env=env, verb=verb, resource=resource)
    role = arn.rsplit("/", 1)[-1]
    return UserError(
        Problem.PREVIEW_FORBIDDEN_ROLE, env=env, role=role, verb=verb, resource=resource
    )

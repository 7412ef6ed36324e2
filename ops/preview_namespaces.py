"""Preview namespaces created and extended, and the one place approvals reads every preview
namespace operation from.

A preview namespace is `preview-<issue key, lowercased>` (ops.preview_names) with the labels and
annotations `ops.previews` reads and the hub writes: `rtb.io/preview=true`, `rtb.io/issue-key`,
`rtb.io/expires-at` (ISO 8601 UTC) and `rtb.io/requested-by`. Reading one for a change:
ops.preview_namespace_state; deleting (only a namespace labelled a preview, whatever name it was
asked by: everything else is core infrastructure): ops.preview_deletes. Whether a change may run
is decided by the policy gate (approvals' preview mutations), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.backends.faults import Conflict, Forbidden
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.kube_writes import Permission, retry_conflicts, write
from ops.preview_names import iso_utc, preview_namespace
from ops.preview_namespace_state import forbidden_error, require_preview
from ops.previews import EXPIRES_AT, ISSUE_LABEL, PREVIEW_LABEL, REQUESTED_BY
from ops.timestamps import now_utc


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
    except Conflict:
        raise UserError(Problem.PREVIEW_EXISTS, env=env, namespace=name) from None
    except Forbidden:
        raise forbidden_error(backends, env, "create", "namespaces") from None
    return CreatedPreview(env, name, key, expires_at.replace(microsecond=0), requested_by)


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

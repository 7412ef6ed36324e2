"""One preview namespace as it is now, read for a change: missing, not a preview, or going are
user errors with their reasons; a 403 from the cluster names the role that lacks the right.

What a preview is: `ops.previews.is_preview`, the one definition (the label, not the name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from ops.backends.container import Backends
from ops.backends.faults import NotFound
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.kube_objects import Json, Namespace
from ops.previews import EXPIRES_AT, ISSUE_LABEL, PREVIEW_LABEL, REQUESTED_BY, is_preview
from ops.suggestions import suggest
from ops.timestamps import parse_time


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
    except NotFound:
        return None
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


def forbidden_error(backends: Backends, env: EnvName, verb: str, resource: str) -> UserError:
    """A 403, told with the role that lacks the permission."""
    arn = backends.config.environments[env].role_arn
    if not arn:
        return UserError(Problem.PREVIEW_FORBIDDEN, env=env, verb=verb, resource=resource)
    role = arn.rsplit("/", 1)[-1]
    return UserError(
        Problem.PREVIEW_FORBIDDEN_ROLE, env=env, role=role, verb=verb, resource=resource
    )

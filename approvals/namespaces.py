"""Which policy action a change inside a namespace is: the hub's, a preview's, or core
infrastructure's — decided from what the cluster says the namespace is, never from its name.

A spec is built (synchronously, from a command or stored parameters) with `action_before_reading`:
the hub's namespace is known from the config, and every other namespace is core infrastructure
until `namespace_action` has read its `rtb.io/preview` label. So a path that forgets to read it
refuses; it never lets a `preview-…` name pass for a preview. The gate reads it before deciding
(`MutationSpec.classified`), and again right before an approved change runs.
"""

from __future__ import annotations

from typing import Literal

from approvals.policy import CORE_INFRASTRUCTURE
from ops import preview_namespace_state
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import Problem, UserError

PREVIEW_WORKLOAD = "preview.workload"


NamespaceKind = Literal["hub", "preview", "core", "missing"]


async def namespace_kind(backends: Backends, env: EnvName, name: str) -> NamespaceKind:
    """What a namespace is, for the policy: the one definition every change goes by.

    The hub's namespace (config `hub.namespace`) is the hub, whatever its labels; any other is a
    preview only while the API says it carries `rtb.io/preview=true` (read now, never guessed
    from a `preview-…` name); every other existing namespace is core infrastructure.
    """
    if name == backends.config.hub.namespace:
        return "hub"
    state = await preview_namespace_state.read_namespace(backends, env, name)
    if state is None:
        return "missing"
    return "preview" if state.is_preview else "core"


def action_before_reading(config: Config, namespace: str, hub_action: str) -> str:
    """The hub's namespace → `hub_action`; any other → core infrastructure (until read)."""
    return hub_action if namespace == config.hub.namespace else CORE_INFRASTRUCTURE


async def namespace_action(
    backends: Backends,
    env: EnvName,
    namespace: str,
    *,
    hub: str,
    preview: str,
    missing: UserError | None = None,
) -> str:
    """`hub` in the hub's namespace, `preview` in a namespace labelled a preview now, core
    infrastructure in any other; `missing` (default: one naming the namespace) when it does not
    exist: a typo is answered as a typo, not as a refusal."""
    kind = await namespace_kind(backends, env, namespace)
    if kind == "missing":
        raise missing or UserError(Problem.NO_NAMESPACE, env=env, namespace=namespace)
    return {"hub": hub, "preview": preview}.get(kind, CORE_INFRASTRUCTURE)

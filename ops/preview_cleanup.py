"""`/rtb preview cleanup` the runbook's way (§5.1 step 4, "cleanupExpired 수동 호출").

The hub keeps its own records of its previews (`GET /api/previews`). Deleting an expired
preview's namespace behind its back leaves a record of a preview that is gone, which the hub
still counts; calling its cleanupExpired() makes the hub remove the namespaces and its records
together. So when the hub exposes that endpoint (`hub.cleanup_path`), the cleanup is the
hub's; the bot deletes the expired namespaces itself only when the endpoint is not configured,
or the hub answers 404 there (an older hub).

The hub runs in int (runbook §3.1) and manages every env's previews, so the call goes to int's
`hub_api_url` with the env named in it, whatever env is cleaned: the bot never changes anything
through a hub outside int (core infrastructure there, which the policy never lets it modify).
Whichever way, it is the same `preview.delete` change of that env at the policy gate: what
changes is the env's previews.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ops.backends.container import Backends
from ops.backends.hub_api import CLEANUP_HUB_ENV, CleanupEndpointMissing
from ops.config import Config, EnvName

CleanupWay = Literal["hub", "namespaces"]


def cleanup_way(config: Config, env: EnvName) -> CleanupWay:
    """ "hub" when the hub's cleanup endpoint and int's hub API are both configured."""
    hub_env = config.environments.get(CLEANUP_HUB_ENV)
    if config.hub.cleanup_path and hub_env is not None and hub_env.hub_api_url:
        return "hub"
    return "namespaces"


@dataclass(frozen=True)
class HubCleanupRan:
    """What the hub said its cleanupExpired() removed."""

    removed: tuple[str, ...] | None  # the previews it named; None: it named none
    count: int | None  # how many; None: it did not say


async def hub_cleanup(backends: Backends, env: EnvName) -> HubCleanupRan | None:
    """Run the hub's cleanupExpired() in `env`; None when the hub has no such endpoint (404).

    Raises BackendError (with `may_have_applied`) when it failed or may have."""
    try:
        answer = await backends.hub_api.cleanup_expired(env)
    except CleanupEndpointMissing:
        return None
    return hub_answer(answer)


def hub_answer(answer: Any) -> HubCleanupRan:
    """`{"removed": ["PROJ-1", …]}`, `{"removed": 2}` or a bare list: what the hub removed."""
    removed = answer.get("removed") if isinstance(answer, dict) else answer
    if isinstance(removed, list):
        names = tuple(
            str(item.get("id", "?")) if isinstance(item, dict) else str(item) for item in removed
        )
        return HubCleanupRan(names, len(names))
    if isinstance(removed, int) and not isinstance(removed, bool) and removed >= 0:
        return HubCleanupRan(None, removed)
    return HubCleanupRan(None, None)

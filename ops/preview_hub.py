"""`/rtb previews` beside the hub's own list: where rtb-ai-hub and the clusters disagree.

The hub keeps its previews in its database and shows them at `GET /api/previews`
(`id, env, createdAt, status`); the clusters hold the `preview-<key>` namespaces. Normally both
list the same previews. When they do not, something went wrong that the runbook cares about: a
namespace the hub does not know (created or left behind outside the hub: nobody will clean it
up) or a preview the hub lists without a namespace (deleted by hand, or never created: the hub
still counts it). An env whose hub did not answer is said so, never shown as agreeing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ops.backends.container import Backends
from ops.config import EnvName
from ops.fanout import gather_parts
from ops.previews import Preview, PreviewReport


@dataclass(frozen=True)
class HubListing:
    env: EnvName
    statuses: Mapping[str, str] | None  # ISSUE-KEY → the hub's status; None: not read
    failure: str | None = None  # why it was not read
    configured: bool = True  # False: the env has no hub API (nothing to read)


@dataclass(frozen=True)
class HubOnly:
    env: EnvName
    issue_key: str
    status: str


@dataclass(frozen=True)
class HubJoin:
    listings: tuple[HubListing, ...]
    hub_only: tuple[HubOnly, ...]  # the hub lists them; no namespace in the cluster
    cluster_only: tuple[Preview, ...]  # a namespace the hub does not list

    def status_of(self, preview: Preview) -> str | None:
        """The hub's status of a preview; None when its env's hub was not read or does not
        list it (`cluster_only` tells which)."""
        listing = next((li for li in self.listings if li.env == preview.env), None)
        if listing is None or listing.statuses is None:
            return None
        return listing.statuses.get(preview.issue_key.upper())

    @property
    def unread(self) -> tuple[HubListing, ...]:
        """Configured hubs that did not answer."""
        return tuple(li for li in self.listings if li.statuses is None and li.configured)

    @property
    def consulted(self) -> bool:
        """Whether any env has a hub API configured (else there is nothing to show)."""
        return any(li.configured for li in self.listings)


async def hub_listings(backends: Backends, envs: Sequence[EnvName]) -> tuple[HubListing, ...]:
    """Every configured env's `GET /api/previews` at once, each within the backend timeout."""
    asked = [env for env in envs if backends.hub_api.configured(env)]
    parts = await gather_parts(
        {env: backends.hub_api.list_previews(env) for env in asked},
        backends.config.timeouts.backend_seconds,
    )
    listings = []
    for env in envs:
        part = parts.get(env)
        if part is None:
            listings.append(HubListing(env, None, configured=False))
        elif part.failure is not None:
            listings.append(HubListing(env, None, part.failure.reason))
        else:
            statuses = {
                str(entry.get("id", "")).upper(): str(entry.get("status") or "?")
                for entry in part.value or ()
            }
            listings.append(HubListing(env, statuses))
    return tuple(listings)


def join_hub(report: PreviewReport, listings: Sequence[HubListing]) -> HubJoin:
    """Pure. Envs whose cluster did not answer are left out of both sides (not known gone)."""
    answered = {env for env in report.envs} - {f.env for f in report.failures}
    present = {(p.env, p.issue_key.upper()) for p in report.previews}
    hub_only = tuple(
        HubOnly(listing.env, key, status)
        for listing in listings
        if listing.statuses is not None and listing.env in answered
        for key, status in sorted(listing.statuses.items())
        if (listing.env, key) not in present
    )
    read = {li.env: li.statuses for li in listings if li.statuses is not None}
    cluster_only = tuple(
        p for p in report.previews if p.env in read and p.issue_key.upper() not in read[p.env]
    )
    return HubJoin(tuple(listings), hub_only, cluster_only)

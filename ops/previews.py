"""Preview environments (`preview-<ISSUE-KEY>` namespaces) in every env's cluster.

A preview namespace carries the label `rtb.io/preview=true`, its issue key in the label
`rtb.io/issue-key` (else it is read from the name) and its TTL in the annotation
`rtb.io/expires-at` (ISO 8601). One that has expired but is still there (and is not being
deleted) means the hub's `cleanupExpired()` failed. `list_previews` is shared by `/rtb previews`,
`/rtb status` (the active count) and the digests.

What a preview is has one definition, `is_preview` (the label, on any namespace but the hub's),
and every listing goes through `preview_namespaces` so that a count, a list, a TTL notice and
a change all agree on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.backends.faults import UNTOLD, Details
from ops.config import EnvName
from ops.fanout import gather_parts
from ops.kube_objects import Json, Meta, Namespace, listed
from ops.pods import PodSummary, summarize_pod
from ops.timestamps import now_utc, parse_time

PREVIEW_LABEL = "rtb.io/preview"  # "true" on every preview namespace
PREVIEW_SELECTOR = f"{PREVIEW_LABEL}=true"
ISSUE_LABEL = "rtb.io/issue-key"
EXPIRES_AT = "rtb.io/expires-at"
REQUESTED_BY = "rtb.io/requested-by"  # the Slack user id of whoever asked for it
NAME_PREFIX = "preview-"


def is_preview(namespace: Json, hub_namespace: str) -> bool:
    """What makes a namespace a preview: the label, on any namespace but the hub's."""
    meta = Meta.of(namespace)
    return meta.labels.get(PREVIEW_LABEL) == "true" and meta.name != hub_namespace


async def preview_namespaces(backends: Backends, env: EnvName, *, actor: Actor = BOT) -> list[Json]:
    """The preview namespaces of `env` (terminating ones included), as the API lists them."""
    answer = await backends.kube.call(
        env, "core", "list_namespace", actor=actor, label_selector=PREVIEW_SELECTOR
    )
    hub = backends.config.hub.namespace
    return [ns for ns in listed(answer) if is_preview(ns, hub)]


@dataclass(frozen=True)
class Preview:
    env: EnvName
    namespace: str
    issue_key: str
    created_at: datetime | None
    expires_at: datetime | None  # None: no TTL annotation, or one that cannot be read
    expiry_unreadable: bool  # the annotation is there but is not ISO 8601
    terminating: bool  # the namespace is being deleted
    pods: tuple[PodSummary, ...]
    expired: bool  # past its TTL and not being deleted: cleanup failed
    expiring_soon: bool  # TTL ends within the notice window

    @property
    def pods_ready(self) -> int:
        return sum(1 for p in self.pods if p.phase == "Running" and p.ready == p.containers)

    @property
    def oom_killed(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pods if p.oom_killed)

    @property
    def crash_looping(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pods if p.crash_looping)

    @property
    def slow_starts(self) -> tuple[PodSummary, ...]:
        return tuple(p for p in self.pods if p.slow_start)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.expired
            or self.expiring_soon
            or self.expiry_unreadable
            or self.oom_killed
            or self.crash_looping
            or self.slow_starts
        )


@dataclass(frozen=True)
class EnvFailure:
    env: EnvName
    backend: str
    reason: str  # the log's English; a reader is told `details`
    details: Details = UNTOLD


@dataclass(frozen=True)
class PreviewReport:
    envs: tuple[EnvName, ...]  # the envs asked about
    previews: tuple[Preview, ...]
    failures: tuple[EnvFailure, ...]  # envs that did not answer (their previews are unknown)
    checked_at: datetime
    notice_hours: float

    @property
    def active(self) -> int:
        """Preview namespaces present and not being deleted (the §3.1 indicator)."""
        return sum(1 for p in self.previews if not p.terminating)

    @property
    def cleanup_failures(self) -> tuple[Preview, ...]:
        return tuple(p for p in self.previews if p.expired)

    @property
    def expiring(self) -> tuple[Preview, ...]:
        return tuple(p for p in self.previews if p.expiring_soon)


async def list_previews(
    backends: Backends, envs: Sequence[EnvName], *, now: datetime | None = None
) -> PreviewReport:
    """Every env at once, each within the fan-out timeout; a failing env is reported, not fatal."""
    config = backends.config
    moment = now or now_utc()
    notice = timedelta(hours=config.thresholds.preview_expiry_notice_hours)
    parts = await gather_parts(
        {env: _env_previews(backends, env, moment, notice) for env in envs},
        config.timeouts.fanout_seconds,
    )
    previews: list[Preview] = []
    failures: list[EnvFailure] = []
    for env in envs:
        part = parts[env]
        if part.failure is not None:
            failures.append(
                EnvFailure(env, part.failure.backend, part.failure.reason, part.failure.details)
            )
        else:
            previews.extend(part.value or ())
    return PreviewReport(
        tuple(envs),
        tuple(previews),
        tuple(failures),
        moment,
        config.thresholds.preview_expiry_notice_hours,
    )


async def _env_previews(
    backends: Backends, env: EnvName, now: datetime, notice: timedelta
) -> tuple[Preview, ...]:
    namespaces = await preview_namespaces(backends, env)
    pod_lists = await asyncio.gather(
        *(
            backends.kube.call(env, "core", "list_namespaced_pod", namespace=Meta.of(ns).name)
            for ns in namespaces
        )
    )
    threshold = backends.config.thresholds.pod_start_seconds
    previews = (
        preview_from(env, ns, [summarize_pod(p, threshold) for p in listed(pods)], now, notice)
        for ns, pods in zip(namespaces, pod_lists, strict=True)
    )
    return tuple(sorted(previews, key=lambda p: p.issue_key))


def preview_from(
    env: EnvName, namespace: Json, pods: Sequence[PodSummary], now: datetime, notice: timedelta
) -> Preview:
    """A preview from its namespace object and pods (pure: `now` decides expiry)."""
    ns = Namespace.of(namespace)
    raw_expiry = ns.meta.annotations.get(EXPIRES_AT)
    expires_at = parse_time(raw_expiry)
    terminating = ns.meta.deleting or ns.phase == "Terminating"
    left = expires_at - now if expires_at is not None else None
    return Preview(
        env=env,
        namespace=ns.name,
        issue_key=issue_key_of(ns.meta),
        created_at=ns.meta.created_at,
        expires_at=expires_at,
        expiry_unreadable=raw_expiry is not None and expires_at is None,
        terminating=terminating,
        pods=tuple(sorted(pods, key=lambda p: p.name)),
        expired=left is not None and left <= timedelta(0) and not terminating,
        expiring_soon=left is not None and timedelta(0) < left <= notice,
    )


def issue_key_of(meta: Meta) -> str:
    """The `rtb.io/issue-key` label, else the name: `preview-proj-123` → `PROJ-123`."""
    label = meta.labels.get(ISSUE_LABEL)
    if label:
        return label
    name = meta.name
    return name[len(NAME_PREFIX) :].upper() if name.startswith(NAME_PREFIX) else name

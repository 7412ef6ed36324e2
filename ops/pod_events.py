"""A pod's events (`kubectl describe pod`'s Events): what the kubelet and scheduler said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ops.backends.container import Backends
from ops.config import EnvName
from ops.kube_objects import Json, listed
from ops.timestamps import parse_time

MAX_EVENTS = 20  # the newest ones; older events of a crash loop repeat the same few reasons


@dataclass(frozen=True)
class PodEvent:
    type: str  # Normal | Warning
    reason: str
    message: str
    count: int
    last_seen: datetime | None


@dataclass(frozen=True)
class PodEvents:
    env: EnvName
    namespace: str
    pod: str
    events: tuple[PodEvent, ...]  # oldest first
    total: int  # before keeping the newest MAX_EVENTS


def _event(item: Json) -> PodEvent:
    seen = item.get("lastTimestamp") or item.get("eventTime") or item.get("firstTimestamp")
    return PodEvent(
        str(item.get("type") or "Normal"),
        str(item.get("reason") or ""),
        str(item.get("message") or "").strip(),
        int(item.get("count") or 1),
        parse_time(seen),
    )


async def pod_events(backends: Backends, env: EnvName, namespace: str, pod: str) -> PodEvents:
    body = await backends.kube.call(
        env,
        "core",
        "list_namespaced_event",
        namespace=namespace,
        field_selector=f"involvedObject.kind=Pod,involvedObject.name={pod}",
    )
    events = sorted(
        (_event(item) for item in listed(body)),
        key=lambda e: e.last_seen.timestamp() if e.last_seen else 0.0,
    )
    return PodEvents(env, namespace, pod, tuple(events[-MAX_EVENTS:]), len(events))

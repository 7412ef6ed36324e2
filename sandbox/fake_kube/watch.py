"""The watch API's semantics over the store's change history (no HTTP here; server.py streams).

As a real API server answers `GET …?watch=true`:
- no `resourceVersion` (or "0"): an ADDED event for every object selected now, then changes;
- `resourceVersion=N`: every change after N, then changes as they happen; N older than the
  history kept (`ObjectStore.compact`, or more than `WATCH_HISTORY` changes ago) is one ERROR
  event carrying a Status 410 Gone ("too old resource version"), and the stream ends;
- with a selector, an object that leaves the selection is a DELETED event for that watch, one
  that enters it an ADDED event (the API server's watch cache does the same);
- `allowWatchBookmarks=true`: BOOKMARK events (only `metadata.resourceVersion`) now and then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.fake_kube.errors import status_body
from sandbox.fake_kube.routes import Route
from sandbox.fake_kube.selectors import select
from sandbox.fake_kube.store import Change, Obj, ObjectStore

DEFAULT_TIMEOUT_SECONDS = 1800.0  # a real server ends a watch after 30-60 min without one


@dataclass(frozen=True)
class WatchRequest:
    route: Route
    labels: str
    fields: str
    since: int | None  # None: start with the current state
    timeout_seconds: float
    bookmarks: bool


def is_watch(query: Mapping[str, str]) -> bool:
    return query.get("watch") in ("true", "1")


def watch_request(route: Route, query: Mapping[str, str]) -> WatchRequest:
    """ValueError for a resourceVersion or timeoutSeconds that is not a number."""
    version = query.get("resourceVersion", "")
    timeout = query.get("timeoutSeconds")
    return WatchRequest(
        route,
        query.get("labelSelector", ""),
        query.get("fieldSelector", ""),
        int(version) if version not in ("", "0") else None,
        float(int(timeout)) if timeout else DEFAULT_TIMEOUT_SECONDS,
        query.get("allowWatchBookmarks") in ("true", "1"),
    )


def line(kind: str, obj: Any) -> bytes:
    return (json.dumps({"type": kind, "object": obj}) + "\n").encode()


def gone(since: int, store: ObjectStore) -> bytes:
    message = f"too old resource version: {since} ({store.oldest_watchable})"
    return line("ERROR", status_body(410, "Expired", message))


def too_old(since: int, store: ObjectStore) -> bool:
    return since < store.oldest_watchable


def current_state(store: ObjectStore, w: WatchRequest) -> list[bytes]:
    r = w.route
    return [
        line("ADDED", o)
        for o in select(store.items(r.group, r.plural, r.scope), w.labels, w.fields)
    ]


def _selected(w: WatchRequest, obj: Obj | None) -> bool:
    return obj is not None and bool(select([obj], w.labels, w.fields))


def _in_scope(w: WatchRequest, change: Change) -> bool:
    group, plural, namespace, _ = change.key
    r = w.route
    return (group, plural) == (r.group, r.plural) and (r.scope is None or namespace == r.scope)


def _as_seen(w: WatchRequest, change: Change) -> str | None:
    """The event type this watch sees for a change, or None when it sees nothing."""
    now, before = _selected(w, change.obj), _selected(w, change.before)
    if change.type == "MODIFIED" and now != before:
        return "ADDED" if now else "DELETED"
    if change.type == "DELETED":
        return "DELETED" if before else None
    return change.type if now else None


def changes_after(store: ObjectStore, w: WatchRequest, since: int) -> list[bytes]:
    """The events after version `since`, in order (the caller checked `too_old` first)."""
    out = []
    for change in store.changes:
        if change.rv <= since or not _in_scope(w, change):
            continue
        kind = _as_seen(w, change)
        if kind is not None:
            out.append(line(kind, change.obj))
    return out


def bookmark(w: WatchRequest, store: ObjectStore) -> bytes:
    kind = "Pod" if w.route.plural == "pods" else "Object"
    meta = {"resourceVersion": str(store.resource_version)}
    return line("BOOKMARK", {"kind": kind, "apiVersion": w.route.api_version, "metadata": meta})

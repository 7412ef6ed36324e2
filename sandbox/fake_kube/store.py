"""The object store: keyed objects, server-set metadata, the resourceVersion counter."""

from __future__ import annotations

import copy
import re
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sandbox.fake_kube.clock import Clock
from sandbox.fake_kube.errors import KubeError, invalid

Obj = dict[str, Any]
Key = tuple[str, str, str, str]  # group, plural, namespace ("" when cluster-scoped), name

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAMED = {"namespaces", "services"}


def validate_name(group: str, plural: str, name: str) -> None:
    """Namespaces and services need a DNS-1123 label, everything else a subdomain."""
    as_label = plural in _LABEL_NAMED
    pattern, limit = (_DNS_LABEL, 63) if as_label else (_DNS_SUBDOMAIN, 253)
    if not name:
        raise KubeError(422, "name or generateName is required")
    if len(name) > limit or not pattern.match(name):
        what = "DNS-1123 label" if as_label else "DNS-1123 subdomain"
        raise invalid(
            group,
            plural,
            name,
            f"metadata.name: Invalid value: {name!r}: "
            f"a lowercase RFC 1123 {what} must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric",
        )


WATCH_HISTORY = 1000  # changes a watch can resume across; an older version is 410 Gone


@dataclass(frozen=True)
class Change:
    """One write, as the watch API tells it: ADDED, MODIFIED or DELETED at `rv`. `before` is
    the object as it was (None for ADDED), so a watch with a selector can tell an object
    leaving its selection (a DELETED for that watch) from one changing inside it."""

    rv: int
    type: str
    key: Key
    obj: Obj
    before: Obj | None


def meta(obj: Obj) -> dict[str, Any]:
    m: dict[str, Any] = obj.setdefault("metadata", {})
    return m


def key_of(group: str, plural: str, namespace: str | None, name: str) -> Key:
    return (group, plural, namespace or "", name)


class ObjectStore:
    """Plain dict storage. Callers hold the server lock; objects handed out are copies.
    `clock` is the cluster's: a new object's creationTimestamp is its time, as an API server
    stamps it with its own (so a seed replaying a history at past times dates it right)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._objects: dict[Key, Obj] = {}
        self.resource_version = 0
        self.changes: deque[Change] = deque(maxlen=WATCH_HISTORY)
        self.oldest_watchable = 0  # a watch from a version below this one is 410 Gone
        self.listeners: list[Callable[[], None]] = []  # told after every change (watch streams)

    def _next_rv(self) -> str:
        self.resource_version += 1
        return str(self.resource_version)

    def _record(self, kind: str, key: Key, obj: Obj, before: Obj | None) -> None:
        if len(self.changes) == self.changes.maxlen:
            self.oldest_watchable = self.changes[0].rv
        self.changes.append(Change(self.resource_version, kind, key, copy.deepcopy(obj), before))
        for listener in list(self.listeners):
            listener()

    def compact(self) -> None:
        """Forget the change history, as etcd's compaction does: every watch from a version
        before now is answered 410 Gone."""
        self.changes.clear()
        self.oldest_watchable = self.resource_version

    def empty(self) -> bool:
        return not self._objects

    def get(self, key: Key) -> Obj | None:
        obj = self._objects.get(key)
        return copy.deepcopy(obj) if obj is not None else None

    def items(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        keys = sorted(
            k
            for k in self._objects
            if k[:2] == (group, plural) and (namespace is None or k[2] == namespace)
        )
        return [copy.deepcopy(self._objects[k]) for k in keys]

    def peek(self, group: str, plural: str) -> Iterator[tuple[Key, Obj]]:
        """The stored objects themselves, not copies: for looking only, never for changing."""
        return ((k, o) for k, o in list(self._objects.items()) if k[:2] == (group, plural))

    def owner_uids(self) -> Iterator[tuple[Key, list[str]]]:
        """(key, the uids of its ownerReferences) for every object that has owners."""
        for key, obj in list(self._objects.items()):
            refs = obj.get("metadata", {}).get("ownerReferences") or []
            if refs:
                yield key, [str(r.get("uid")) for r in refs]

    def all_keys(self) -> Iterator[Key]:
        return iter(list(self._objects))

    def uids(self) -> set[str]:
        return {o["metadata"].get("uid", "") for o in self._objects.values()}

    def insert(self, key: Key, obj: Obj) -> Obj:
        """Store a new object, setting the metadata only the server sets."""
        obj = copy.deepcopy(obj)
        m = meta(obj)
        # A given creationTimestamp is kept (a real server ignores it) so seeds can back-date.
        m.update(
            name=key[3],
            uid=m.get("uid") or str(uuid.uuid4()),
            creationTimestamp=m.get("creationTimestamp") or self.clock.iso(),
            generation=1,
            resourceVersion=self._next_rv(),
        )
        if key[2]:
            m["namespace"] = key[2]
        self._objects[key] = obj
        self._record("ADDED", key, obj, None)
        return copy.deepcopy(obj)

    def update(self, key: Key, obj: Obj) -> Obj:
        """Replace an object; a no-op write keeps its resourceVersion, as the API server does."""
        old = self._objects[key]
        obj = copy.deepcopy(obj)
        m, old_m = meta(obj), old["metadata"]
        for field in ("uid", "creationTimestamp", "name", "namespace"):
            if field in old_m:
                m[field] = old_m[field]
        spec_changed = obj.get("spec") != old.get("spec")
        m["generation"] = old_m.get("generation", 1) + (1 if spec_changed else 0)
        m["resourceVersion"] = old_m["resourceVersion"]
        if obj == old:
            return copy.deepcopy(old)
        m["resourceVersion"] = self._next_rv()
        self._objects[key] = obj
        self._record("MODIFIED", key, obj, old)
        return copy.deepcopy(obj)

    def remove(self, key: Key) -> Obj | None:
        """Delete an object; like any write, a delete moves the resourceVersion on."""
        removed = self._objects.pop(key, None)
        if removed is not None:
            gone = copy.deepcopy(removed)
            meta(gone)["resourceVersion"] = self._next_rv()  # as a real DELETED event carries
            self._record("DELETED", key, gone, removed)
        return removed

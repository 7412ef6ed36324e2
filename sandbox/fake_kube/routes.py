"""URL paths -> resource routes, plus the minimal discovery documents."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sandbox.fake_kube.kinds import KNOWN, known

_NAMESPACE_SUBRESOURCES = {"status", "finalize"}


@dataclass(frozen=True)
class Route:
    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def scope(self) -> str | None:
        """The namespace objects are stored under (None for cluster-scoped kinds)."""
        rt = known(self.group, self.plural)
        return None if rt is not None and not rt.namespaced else self.namespace

    def parent(self) -> Route:
        return replace(self, subresource=None)


def parse_route(path: str) -> Route | None:
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    is_namespace_itself = len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES
    if len(rest) >= 3 and rest[0] == "namespaces" and not is_namespace_itself:
        namespace, rest = rest[1], rest[2:]
    if not 1 <= len(rest) <= 3:
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return Route(group, version, rest[0], namespace, name, sub)


def discovery(path: str) -> dict[str, Any] | None:
    path = path.rstrip("/")
    if path == "/version":
        return {
            "major": "1",
            "minor": "31",
            "gitVersion": "v1.31.0-fake",
            "gitCommit": "fake",
            "gitTreeState": "clean",
            "buildDate": "2024-08-13T00:00:00Z",
            "goVersion": "go1.22.5",
            "compiler": "gc",
            "platform": "linux/amd64",
        }
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    if path == "/apis":
        return _group_list()
    parts = [p for p in path.split("/") if p]
    if parts == ["api", "v1"]:
        return _resource_list("", "v1")
    if len(parts) == 3 and parts[0] == "apis":
        return _resource_list(parts[1], parts[2])
    return None


def _group_list() -> dict[str, Any]:
    groups = sorted({(rt.group, rt.version) for rt in KNOWN.values() if rt.group})
    groups.append(("authorization.k8s.io", "v1"))
    entries = []
    for group, version in groups:
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        entries.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": entries}


def _resource_list(group: str, version: str) -> dict[str, Any]:
    resources = [
        {
            "name": rt.plural,
            "singularName": rt.kind.lower(),
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": ["create", "delete", "get", "list", "patch", "update"],
        }
        for rt in KNOWN.values()
        if (rt.group, rt.version) == (group, version)
    ]
    gv = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }

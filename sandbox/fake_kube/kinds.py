"""What the fake knows about resource types: kind names, API groups, scope."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def _rt(group: str, version: str, plural: str, kind: str, namespaced: bool = True) -> ResourceType:
    return ResourceType(group, version, plural, kind, namespaced)


KNOWN: dict[str, ResourceType] = {
    rt.plural: rt
    for rt in (
        _rt("", "v1", "namespaces", "Namespace", namespaced=False),
        _rt("", "v1", "nodes", "Node", namespaced=False),
        _rt("", "v1", "pods", "Pod"),
        _rt("", "v1", "services", "Service"),
        _rt("", "v1", "configmaps", "ConfigMap"),
        _rt("", "v1", "secrets", "Secret"),
        _rt("", "v1", "serviceaccounts", "ServiceAccount"),
        _rt("", "v1", "events", "Event"),
        _rt("", "v1", "endpoints", "Endpoints"),
        _rt("apps", "v1", "deployments", "Deployment"),
        _rt("apps", "v1", "replicasets", "ReplicaSet"),
        _rt("apps", "v1", "statefulsets", "StatefulSet"),
        _rt("apps", "v1", "daemonsets", "DaemonSet"),
        _rt("batch", "v1", "jobs", "Job"),
        _rt("batch", "v1", "cronjobs", "CronJob"),
        _rt("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    )
}
_BY_KIND = {rt.kind: rt for rt in KNOWN.values()}


def known(group: str, plural: str) -> ResourceType | None:
    rt = KNOWN.get(plural)
    return rt if rt is not None and rt.group == group else None


def default_group(plural: str) -> str:
    """The group a bare plural lives in ("deployments" -> "apps"); "" when unknown."""
    rt = KNOWN.get(plural)
    return rt.group if rt else ""


def kind_for(group: str, plural: str) -> str:
    rt = known(group, plural)
    if rt:
        return rt.kind
    singular = plural[:-1] if plural.endswith("s") else plural
    return singular[:1].upper() + singular[1:]


def plural_for(kind: str) -> str:
    rt = _BY_KIND.get(kind)
    return rt.plural if rt else kind.lower() + "s"


def is_builtin_group(group: str) -> bool:
    """Built-in APIs accept strategic-merge patches; custom resources do not."""
    return "." not in group or group.endswith(".k8s.io")


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version

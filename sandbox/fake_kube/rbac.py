"""Rules registered with `FakeKubeServer.allow()`: they answer access reviews
(`selfsubjectaccessreviews`, `subjectaccessreviews`, `localsubjectaccessreviews`) and decide
every impersonated request (authz.py). A rule is one RBAC PolicyRule bound to one user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.fake_kube.kinds import default_group

SUPERUSER = "admin"


@dataclass(frozen=True)
class Rule:
    user: str
    verb: str
    resource: str  # "deployments", "deployments/scale", "pods/*" or "*"
    namespace: str | None  # None: every namespace and cluster-scoped objects
    group: str  # "" means the resource's own group ("deployments" -> "apps"); "*" any
    name: str | None = None  # resourceNames: None any; a name never matches a list or create

    def matches(self, user: str, attrs: dict[str, Any]) -> bool:
        resource = attrs.get("resource", "")
        target = f"{resource}/{attrs['subresource']}" if attrs.get("subresource") else resource
        group = self.group or default_group(self.resource.split("/")[0])
        return (
            self.user in ("*", user)
            and self.verb in ("*", attrs.get("verb"))
            and _resource_matches(self.resource, target)
            and self.namespace in (None, attrs.get("namespace") or None)
            and group in ("*", attrs.get("group", ""))
            and self.name in (None, attrs.get("name") or None)
        )

    def allowed_reason(self) -> str:
        """What a real API server's RBAC authorizer says, for the binding this rule stands
        for (named after the verb and resource: the fake keeps no binding objects)."""
        role = f"{self.verb}-{self.resource}".replace("*", "all").replace("/", "-")
        if self.namespace is None:
            binding = f'ClusterRoleBinding "{role}" of ClusterRole "{role}"'
        else:
            binding = f'RoleBinding "{role}/{self.namespace}" of Role "{role}"'
        return f"RBAC: allowed by {binding} to {_subject(self.user)}"


def _subject(user: str) -> str:
    """`ServiceAccount "name/namespace"` or `User "name"`, as RBAC names its subjects."""
    parts = user.split(":")
    if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
        return f'ServiceAccount "{parts[3]}/{parts[2]}"'
    return f'User "{user}"'


def _resource_matches(rule: str, target: str) -> bool:
    if rule in ("*", target):
        return True
    return rule.endswith("/*") and target.startswith(rule[:-1])


class AccessRules:
    def __init__(self) -> None:
        self.rules: list[Rule] = []

    def allow(
        self,
        user: str,
        verb: str,
        resource: str,
        namespace: str | None = None,
        group: str = "",
        name: str | None = None,
    ) -> None:
        self.rules.append(Rule(user, verb, resource, namespace, group, name))

    def decide(self, user: str, attrs: dict[str, Any]) -> tuple[bool, str]:
        if user == SUPERUSER:
            return True, "superuser"
        for rule in self.rules:
            if rule.matches(user, attrs):
                return True, rule.allowed_reason()
        return (
            False,
            f'no rule allows user "{user}" to {attrs.get("verb")} {attrs.get("resource", "")}',
        )

    def review(
        self, plural: str, body: dict[str, Any], requester: str | None, namespace: str | None
    ) -> dict[str, Any]:
        """Answer a (Self|Local)SubjectAccessReview body with its status filled in."""
        spec = body.get("spec") or {}
        attrs = dict(spec.get("resourceAttributes") or spec.get("nonResourceAttributes") or {})
        if namespace:  # LocalSubjectAccessReview is scoped by its URL
            attrs["namespace"] = namespace
        if plural == "selfsubjectaccessreviews":
            user = requester or SUPERUSER
        else:
            user = spec.get("user", "")
        allowed, reason = self.decide(user, attrs)
        kind = body.get("kind") or _review_kind(plural)
        return {
            "kind": kind,
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": body.get("metadata") or {},
            "spec": spec,
            "status": {"allowed": allowed, "reason": reason},
        }


def _review_kind(plural: str) -> str:
    return {
        "selfsubjectaccessreviews": "SelfSubjectAccessReview",
        "localsubjectaccessreviews": "LocalSubjectAccessReview",
    }.get(plural, "SubjectAccessReview")

"""Access manifests (RBAC roles and bindings, ValidatingAdmissionPolicies and their bindings)
loaded into a FakeKubeServer, so a test runs under exactly the YAML a cluster is given.

RBAC: each (Cluster)RoleBinding of a User or ServiceAccount to a (Cluster)Role becomes the
fake's rules, one per verb × API group × resource (× resourceName); cluster-wide for a
ClusterRoleBinding, in its namespace for a RoleBinding. Admission: each policy binding becomes
one NamespaceGuard (admission.py). What the fake cannot decide the way a cluster would (a Group
subject, CEL beyond the one match condition, a policy's own namespace selector, a validation
other than `false`) is refused with ManifestError, never loaded loosely.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sandbox.fake_kube.admission import NamespaceGuard
from sandbox.fake_kube.kinds import default_group
from sandbox.fake_kube.selectors import parse_label_selector
from sandbox.fake_kube.server import FakeKubeServer

Obj = dict[str, Any]
_USERNAME_IS = re.compile(r"^request\.userInfo\.username == '([^']+)'$")
_OPERATORS = {"In": "in", "NotIn": "notin"}


class ManifestError(ValueError):
    """A manifest the fake would not enforce as a cluster does."""


def load_access(server: FakeKubeServer, docs: Iterable[Obj]) -> None:
    by_kind: dict[str, list[Obj]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    roles = {_role_key(doc): doc.get("rules") or [] for doc in _of(by_kind, "ClusterRole", "Role")}
    for binding in _of(by_kind, "ClusterRoleBinding", "RoleBinding"):
        _load_binding(server, binding, roles)
    policies = {doc["metadata"]["name"]: doc for doc in _of(by_kind, "ValidatingAdmissionPolicy")}
    for binding in _of(by_kind, "ValidatingAdmissionPolicyBinding"):
        server.guard(_guard(binding, policies[binding["spec"]["policyName"]]))


def _of(by_kind: dict[str, list[Obj]], *kinds: str) -> list[Obj]:
    return [doc for kind in kinds for doc in by_kind.get(kind, [])]


def _role_key(doc: Obj) -> tuple[str, str | None]:
    meta = doc["metadata"]
    return meta["name"], meta.get("namespace") if doc["kind"] == "Role" else None


def _load_binding(
    server: FakeKubeServer, binding: Obj, roles: dict[tuple[str, str | None], list[Obj]]
) -> None:
    namespace = binding["metadata"].get("namespace") if binding["kind"] == "RoleBinding" else None
    ref = binding["roleRef"]
    rules = roles[(ref["name"], namespace if ref["kind"] == "Role" else None)]
    for subject in binding.get("subjects") or []:
        user = _user(subject)
        for rule in rules:
            for verb, group, resource, name in _expand(rule):
                server.allow(user, verb, resource, namespace, group, name)


def _user(subject: Obj) -> str:
    if subject["kind"] == "User":
        return str(subject["name"])
    if subject["kind"] == "ServiceAccount":
        return f"system:serviceaccount:{subject['namespace']}:{subject['name']}"
    raise ManifestError(f"the fake has no groups: cannot bind {subject['kind']} {subject['name']}")


def _expand(rule: Obj) -> Iterable[tuple[str, str, str, str | None]]:
    if "nonResourceURLs" in rule:
        raise ManifestError("the fake does not authorize non-resource URLs")
    names = rule.get("resourceNames") or [None]
    for group in rule["apiGroups"]:
        for resource in rule["resources"]:
            if group == "" and default_group(resource.split("/")[0]) not in ("", "*"):
                # the core group has no such resource: a cluster would never match the rule
                raise ManifestError(f'"{resource}" is not in the core API group')
            for verb in rule["verbs"]:
                for name in names:
                    yield verb, group or "", resource, name


def _guard(binding: Obj, policy: Obj) -> NamespaceGuard:
    spec = policy["spec"]
    constraints = spec["matchConstraints"]
    if "namespaceSelector" in constraints or "objectSelector" in constraints:
        raise ManifestError("the fake matches namespaces by the binding's selector only")
    if [v["expression"] for v in spec["validations"]] != ["false"]:
        raise ManifestError("the fake models validations that always refuse (`false`) only")
    operations: set[str] = set()
    resources: set[tuple[str, str]] = set()
    for rule in constraints["resourceRules"]:
        operations.update(rule["operations"])
        resources.update((g, r) for g in rule["apiGroups"] for r in rule["resources"])
    return NamespaceGuard(
        policy=policy["metadata"]["name"],
        binding=binding["metadata"]["name"],
        user=_matched_user(spec.get("matchConditions") or []),
        operations=frozenset(operations),
        resources=frozenset(resources),
        selects=_selector(binding["spec"]["matchResources"]["namespaceSelector"]),
        message=" ".join(spec["validations"][0]["message"].split()),
    )


def _matched_user(conditions: list[Obj]) -> str:
    found = [_USERNAME_IS.match(c["expression"]) for c in conditions]
    if len(found) != 1 or found[0] is None:
        raise ManifestError("the fake understands one condition: request.userInfo.username == ''")
    return found[0].group(1)


def _selector(selector: Obj) -> Any:
    terms = [f"{key}={value}" for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        if operator in _OPERATORS:
            terms.append(f"{key} {_OPERATORS[operator]} ({','.join(expression['values'])})")
        else:
            terms.append(key if operator == "Exists" else f"!{key}")
    requirements = parse_label_selector(",".join(terms))
    return lambda labels: all(requirement(labels) for requirement in requirements)

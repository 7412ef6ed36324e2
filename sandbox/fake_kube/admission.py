"""ValidatingAdmissionPolicies of one shape: "this user's writes to these resources are refused
in namespaces whose labels match a selector" (deploy/rbac/ has them: RBAC cannot say "only in
namespaces labelled a preview", admission can). One NamespaceGuard is one policy with one of its
bindings.

What is modelled is the matching, not CEL: `matchConstraints.resourceRules` (operations, API
groups, resources; a subresource such as `deployments/scale` matches only when listed, as in
the API server), the binding's namespace selector (for a Namespace itself its own labels: the
request body's on CREATE, the stored object's on UPDATE and DELETE;
`kubernetes.io/metadata.name` is always set, as the API server sets it) and one user name (the
policy's `request.userInfo.username == '…'` match condition). The validation is taken to fail
(`false`): a matched request is refused with the API server's 403 wording.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.fake_kube import errors
from sandbox.fake_kube.authz import Caller
from sandbox.fake_kube.routes import Route
from sandbox.fake_kube.store import ObjectStore, key_of

_OPERATIONS = {"POST": "CREATE", "PUT": "UPDATE", "PATCH": "UPDATE", "DELETE": "DELETE"}
Labels = Mapping[str, str]


@dataclass(frozen=True)
class NamespaceGuard:
    policy: str  # the ValidatingAdmissionPolicy's name
    binding: str  # its binding's name
    user: str
    operations: frozenset[str]  # CREATE, UPDATE, DELETE
    resources: frozenset[tuple[str, str]]  # (API group, resource) as the rules list them
    selects: Callable[[Labels], bool]  # the namespace selectors of policy and binding
    message: str

    def matches(self, user: str | None, operation: str, group: str, resource: str) -> bool:
        return (
            user == self.user
            and operation in self.operations
            and ((group, resource) in self.resources or ("*", resource) in self.resources)
        )


def check(
    guards: list[NamespaceGuard],
    store: ObjectStore,
    caller: Caller,
    route: Route,
    method: str,
    body: Any,
) -> None:
    operation = _OPERATIONS.get(method)
    if operation is None or not guards:
        return
    resource = route.plural + (f"/{route.subresource}" if route.subresource else "")
    for guard in guards:
        if not guard.matches(caller.user, operation, route.group, resource):
            continue
        if guard.selects(_namespace_labels(store, route, operation, body)):
            why = (
                f"ValidatingAdmissionPolicy '{guard.policy}' with binding '{guard.binding}' "
                f"denied request: {guard.message}"
            )
            raise errors.forbidden(route.group, route.plural, route.name, why)


def _namespace_labels(store: ObjectStore, route: Route, operation: str, body: Any) -> Labels:
    """The namespace's labels, with `kubernetes.io/metadata.name` as the API server sets it."""
    is_namespace = route.group == "" and route.plural == "namespaces"
    if is_namespace and operation == "CREATE":
        obj = body
        name = ((body or {}).get("metadata") or {}).get("name") if isinstance(body, dict) else None
    else:
        name = route.name if is_namespace else route.namespace
        obj = store.get(key_of("", "namespaces", None, name)) if name else None
    return {**_labels(obj), "kubernetes.io/metadata.name": str(name or "")}


def _labels(obj: Any) -> dict[str, str]:
    if not isinstance(obj, dict):
        return {}
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return dict(labels) if isinstance(labels, dict) else {}

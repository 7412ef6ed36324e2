"""RBAC on impersonated requests, as the API server applies it.

A request carrying `Impersonate-User` (and maybe `Impersonate-Group`) is checked twice, as a
real API server does: the caller who authenticated (its bearer token's user, or the fake's
superuser when it sent none) must be allowed to `impersonate` that user (`users`, or
`serviceaccounts` in their namespace for `system:serviceaccount:<ns>:<name>`) and each group;
then the request itself must be allowed for the impersonated user by the rules registered with
`FakeKubeServer.allow()`. Either refusal is a 403 Status worded like the API server's.

Requests without impersonation are served as before (the bot's own identity is trusted here;
access reviews answer for anyone), unless the server was started with a `default_user`: then a
request without a token is that user's, decided by the rules like an impersonated one (as EKS
maps the bot's IAM role to a Kubernetes user). Every user may read discovery and create a
SelfSubjectAccessReview (the built-in system:discovery and system:basic-user roles).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.fake_kube import errors
from sandbox.fake_kube.rbac import SUPERUSER, AccessRules
from sandbox.fake_kube.routes import Route

_SERVICE_ACCOUNT = "system:serviceaccount:"
_OPEN_TO_EVERYONE = {("authorization.k8s.io", "selfsubjectaccessreviews")}
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


@dataclass(frozen=True)
class Caller:
    user: str | None  # who the request acts as: the impersonated user, else the token's
    impersonator: str | None = None  # who authenticated, when impersonating; else None
    groups: tuple[str, ...] = ()  # Impersonate-Group headers
    under_rbac: bool = False  # decided by the rules although not impersonated (default_user)


def check_impersonation(rules: AccessRules, caller: Caller) -> None:
    if caller.impersonator is None:
        return
    real = caller.impersonator or SUPERUSER
    targets = [_impersonated_user(caller.user or "")]
    targets += [("groups", None, group) for group in caller.groups]
    for resource, namespace, name in targets:
        attrs = {"verb": "impersonate", "resource": resource, "namespace": namespace}
        if not rules.decide(real, attrs | {"group": "", "name": name})[0]:
            raise errors.forbidden("", resource, name, _cannot(real, "impersonate", attrs))


def _impersonated_user(user: str) -> tuple[str, str | None, str]:
    """users/<name>, or serviceaccounts/<name> in its namespace for a service account."""
    if user.startswith(_SERVICE_ACCOUNT):
        namespace, _, name = user[len(_SERVICE_ACCOUNT) :].partition(":")
        return "serviceaccounts", namespace, name
    return "users", None, user


def request_attributes(route: Route, method: str, query: Mapping[str, str]) -> dict[str, Any]:
    """The authorizer's attributes of a resource request (verb, group, resource, ...)."""
    if method == "GET":
        listing = route.name is None
        watching = query.get("watch") in ("true", "1")
        verb = "watch" if watching else "list" if listing else "get"
    elif method == "DELETE":
        verb = "deletecollection" if route.name is None else "delete"
    else:
        verb = _VERBS.get(method, method.lower())
    namespace = route.namespace
    if route.group == "" and route.plural == "namespaces":
        namespace = route.name  # a namespace's own requests are in that namespace, as for RBAC
    return {
        "verb": verb,
        "group": route.group,
        "resource": route.plural,
        "subresource": route.subresource or "",
        "namespace": namespace or "",
        "name": route.name or "",
    }


def check_request(
    rules: AccessRules, caller: Caller, route: Route, method: str, query: Mapping[str, str]
) -> None:
    checked = caller.impersonator is not None or caller.under_rbac
    if not checked or (route.group, route.plural) in _OPEN_TO_EVERYONE:
        return
    attrs = request_attributes(route, method, query)
    user = caller.user or ""
    if not rules.decide(user, attrs)[0]:
        raise errors.forbidden(route.group, route.plural, route.name, _cannot(user, "", attrs))


def _cannot(user: str, verb: str, attrs: Mapping[str, Any]) -> str:
    resource = attrs["resource"]
    if attrs.get("subresource"):
        resource += "/" + attrs["subresource"]
    namespace = attrs.get("namespace")
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    return (
        f'User "{user}" cannot {verb or attrs["verb"]} resource "{resource}" in API group '
        f'"{attrs.get("group", "")}" {where}'
    )

"""The Kubernetes operations the bot performs, as REST routes the official `ApiClient` sends.

Why not the generated API classes (`CoreV1Api().list_namespaced_pod(...)`): loading one
imports every model it can deserialize into — `CoreV1Api` alone is 254 modules and +21.5 MB,
`AppsV1Api` +3.8 MB — and the bot never keeps a model: it wants the JSON the server sent. That
was ~25 MB of every replica's idle memory, loaded by the first push job that read a cluster
(bench/monitors.py). A route is the method name the generated client uses (so call sites read
as before), its verb, path and what the generated code would send: the same Accept and
Content-Type headers, query names and path quoting, through the same `ApiClient` (auth, TLS,
retries, timeouts, `ApiException` for a non-2xx status).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

Verb = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
# The generated client's default for a PATCH of a built-in kind: its REST layer turns it into a
# strategic merge patch when the body is an object, a JSON patch when it is a list.
BUILT_IN_PATCH = "application/json-patch+json"
CUSTOM_PATCH = "application/merge-patch+json"  # what it sends for a custom resource


@dataclass(frozen=True)
class Route:
    verb: Verb
    path: str  # with `{placeholders}` filled from the call's keyword arguments
    returns: Literal["object", "str"] = "object"
    patch_type: str = BUILT_IN_PATCH

    # What the generated client sends: Accept application/json everywhere (a log included:
    # its first JSON-like choice), a Content-Type only on a PATCH (a POST's JSON body has none).
    accept = "application/json"

    @property
    def content_type(self) -> str | None:
        return self.patch_type if self.verb == "PATCH" else None


_NAMESPACED = "/namespaces/{namespace}"
_CORE, _APPS = "/api/v1", "/apis/apps/v1"
_CUSTOM = "/apis/{group}/{version}" + _NAMESPACED + "/{plural}"

# The operations by name, so that a call site's typo is a mypy error, not a TypeError at runtime
# (tests/ops/test_kube_routes.py checks these names are exactly the table's keys).
Api = Literal["version", "core", "apps", "custom", "auth"]
Operation = Literal[
    "get_code",
    "list_namespace",
    "create_namespace",
    "patch_namespace",
    "delete_namespace",
    "list_namespaced_pod",
    "read_namespaced_pod_log",
    "list_namespaced_event",
    "list_namespaced_secret",
    "list_namespaced_deployment",
    "create_namespaced_deployment",
    "read_namespaced_deployment",
    "replace_namespaced_deployment",
    "patch_namespaced_deployment",
    "delete_namespaced_deployment",
    "patch_namespaced_deployment_scale",
    "list_namespaced_replica_set",
    "list_namespaced_custom_object",
    "patch_namespaced_custom_object",
    "create_subject_access_review",
]
OPERATIONS: tuple[Operation, ...] = get_args(Operation)

ROUTES: Mapping[tuple[Api, Operation], Route] = {
    ("version", "get_code"): Route("GET", "/version/"),
    ("core", "list_namespace"): Route("GET", f"{_CORE}/namespaces"),
    ("core", "create_namespace"): Route("POST", f"{_CORE}/namespaces"),
    ("core", "patch_namespace"): Route("PATCH", f"{_CORE}/namespaces/{{name}}"),
    ("core", "delete_namespace"): Route("DELETE", f"{_CORE}/namespaces/{{name}}"),
    ("core", "list_namespaced_pod"): Route("GET", f"{_CORE}{_NAMESPACED}/pods"),
    ("core", "read_namespaced_pod_log"): Route(
        "GET", f"{_CORE}{_NAMESPACED}/pods/{{name}}/log", returns="str"
    ),
    ("core", "list_namespaced_event"): Route("GET", f"{_CORE}{_NAMESPACED}/events"),
    ("core", "list_namespaced_secret"): Route("GET", f"{_CORE}{_NAMESPACED}/secrets"),
    ("apps", "list_namespaced_deployment"): Route("GET", f"{_APPS}{_NAMESPACED}/deployments"),
    ("apps", "create_namespaced_deployment"): Route("POST", f"{_APPS}{_NAMESPACED}/deployments"),
    ("apps", "read_namespaced_deployment"): Route(
        "GET", f"{_APPS}{_NAMESPACED}/deployments/{{name}}"
    ),
    ("apps", "replace_namespaced_deployment"): Route(
        "PUT", f"{_APPS}{_NAMESPACED}/deployments/{{name}}"
    ),
    ("apps", "patch_namespaced_deployment"): Route(
        "PATCH", f"{_APPS}{_NAMESPACED}/deployments/{{name}}"
    ),
    ("apps", "delete_namespaced_deployment"): Route(
        "DELETE", f"{_APPS}{_NAMESPACED}/deployments/{{name}}"
    ),
    ("apps", "patch_namespaced_deployment_scale"): Route(
        "PATCH", f"{_APPS}{_NAMESPACED}/deployments/{{name}}/scale"
    ),
    ("apps", "list_namespaced_replica_set"): Route("GET", f"{_APPS}{_NAMESPACED}/replicasets"),
    ("custom", "list_namespaced_custom_object"): Route("GET", _CUSTOM),
    ("custom", "patch_namespaced_custom_object"): Route(
        "PATCH", _CUSTOM + "/{name}", patch_type=CUSTOM_PATCH
    ),
    ("auth", "create_subject_access_review"): Route(
        "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews"
    ),
}

# The generated client's keyword arguments → the API server's query parameter names.
QUERY_NAMES: Mapping[str, str] = {
    "label_selector": "labelSelector",
    "field_selector": "fieldSelector",
    "limit": "limit",
    "_continue": "continue",
    "resource_version": "resourceVersion",
    "container": "container",
    "previous": "previous",
    "tail_lines": "tailLines",
    "since_seconds": "sinceSeconds",
    "timestamps": "timestamps",
    "limit_bytes": "limitBytes",
    "dry_run": "dryRun",
    "field_manager": "fieldManager",
    "grace_period_seconds": "gracePeriodSeconds",
    "propagation_policy": "propagationPolicy",
}


@dataclass(frozen=True)
class Request:
    """One call, split the way `ApiClient.param_serialize` takes it."""

    route: Route
    path_params: dict[str, Any]
    query: list[tuple[str, Any]]
    body: Any


def request_for(api: Api, method: Operation, kwargs: Mapping[str, Any]) -> Request:
    """The route and its parameters; a TypeError (a bug in the caller, as the generated client
    would raise) for an operation or argument the table does not know."""
    route = ROUTES.get((api, method))
    if route is None:
        raise TypeError(f"no Kubernetes route for {api}.{method}")
    path_params, query, body = {}, [], None
    for name, value in kwargs.items():
        if "{" + name + "}" in route.path:
            path_params[name] = value
        elif name == "body":
            body = value
        elif name in QUERY_NAMES:
            if value is not None:
                query.append((QUERY_NAMES[name], value))
        else:
            raise TypeError(f"{method}() got an unexpected keyword argument {name!r}")
    missing = [p for p in _placeholders(route.path) if p not in path_params]
    if missing:
        raise TypeError(f"{method}() missing required arguments: {', '.join(missing)}")
    return Request(route, path_params, query, body)


def _placeholders(path: str) -> list[str]:
    return [part.split("}")[0] for part in path.split("{")[1:]]

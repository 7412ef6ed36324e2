"""HTTP verbs on routes -> Cluster operations. Knows nothing about aiohttp."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.fake_kube import admission, authz
from sandbox.fake_kube.authz import Caller
from sandbox.fake_kube.cluster import Cluster
from sandbox.fake_kube.errors import KubeError
from sandbox.fake_kube.kinds import known
from sandbox.fake_kube.routes import Route, discovery, parse_route
from sandbox.fake_kube.watch import WatchRequest, is_watch, watch_request

_REVIEWS = {"selfsubjectaccessreviews", "subjectaccessreviews", "localsubjectaccessreviews"}


@dataclass
class ApiRequest:
    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    content_type: str
    caller: Caller


@dataclass
class ApiResponse:
    status: int
    body: Any
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Cluster, Route, ApiRequest], ApiResponse]


def _ok(body: Any, status: int = 200) -> ApiResponse:
    return ApiResponse(status, body)


def _dry(req: ApiRequest) -> bool:
    return "dryRun" in req.query


def _list(c: Cluster, r: Route, req: ApiRequest) -> ApiResponse:
    return _ok(c.list(r, req.query.get("labelSelector", ""), req.query.get("fieldSelector", "")))


def _create(c: Cluster, r: Route, req: ApiRequest) -> ApiResponse:
    rt = known(r.group, r.plural)
    if rt is not None and rt.namespaced and r.namespace is None:
        raise KubeError(405, f"create {r.plural} needs a namespace in the URL")
    return _ok(c.create(r, req.body, _dry(req)), 201)


def _delete_collection(c: Cluster, r: Route, req: ApiRequest) -> ApiResponse:
    q = req.query
    return _ok(c.delete_collection(r, q.get("labelSelector", ""), q.get("fieldSelector", "")))


def _patch(c: Cluster, r: Route, req: ApiRequest) -> ApiResponse:
    return _ok(c.patch(r, req.body, req.content_type, _dry(req)))


def _log(c: Cluster, r: Route, req: ApiRequest) -> ApiResponse:
    tail = req.query.get("tailLines")
    if tail is not None and not tail.lstrip("-").isdigit():
        raise KubeError(400, f"invalid tailLines {tail!r}")
    previous = req.query.get("previous") in ("true", "1")
    lines = int(tail) if tail is not None else None
    text = c.pod_log(r, req.query.get("container"), lines, previous)
    return ApiResponse(200, text, content_type="text/plain")


_HANDLERS: dict[tuple[str, str], Handler] = {
    ("collection", "GET"): _list,
    ("collection", "POST"): _create,
    ("collection", "DELETE"): _delete_collection,
    ("item", "GET"): lambda c, r, q: _ok(c.read(r)),
    ("item", "PUT"): lambda c, r, q: _ok(c.replace(r, q.body, _dry(q))),
    ("item", "PATCH"): _patch,
    ("item", "DELETE"): lambda c, r, q: _ok(c.delete(r, q.body, _dry(q))),
    ("scale", "GET"): lambda c, r, q: _ok(c.read_scale(r)),
    ("scale", "PUT"): lambda c, r, q: _ok(c.write_scale(r, q.body)),
    ("scale", "PATCH"): lambda c, r, q: _ok(c.patch_scale(r, q.body, q.content_type)),
    ("status", "GET"): lambda c, r, q: _ok(c.read(r.parent())),
    ("status", "PUT"): lambda c, r, q: _ok(c.write_status(r, q.body)),
    ("status", "PATCH"): lambda c, r, q: _ok(c.write_status(r, q.body, q.content_type)),
    ("log", "GET"): _log,
}


def _shape(r: Route) -> str:
    if r.name is None:
        return "collection"
    return r.subresource or "item"


def watch_of(cluster: Cluster, req: ApiRequest) -> WatchRequest | None:
    """The watch a `GET …?watch=true` on a collection asks for (RBAC's `watch` verb checked),
    None for any other request (`handle` answers those)."""
    if req.method != "GET" or not is_watch(req.query):
        return None
    route = parse_route(req.path)
    if route is None or route.name is not None:
        return None
    authz.check_impersonation(cluster.rules, req.caller)
    authz.check_request(cluster.rules, req.caller, route, req.method, req.query)
    try:
        return watch_request(route, req.query)
    except ValueError:
        raise KubeError(400, "resourceVersion and timeoutSeconds must be numbers") from None


def handle(cluster: Cluster, req: ApiRequest) -> ApiResponse:
    authz.check_impersonation(cluster.rules, req.caller)
    doc = discovery(req.path)
    if doc is not None:
        return _ok(doc)
    route = parse_route(req.path)
    if route is None:
        raise KubeError(404, "the server could not find the requested resource")
    authz.check_request(cluster.rules, req.caller, route, req.method, req.query)
    if route.group == "authorization.k8s.io" and route.plural in _REVIEWS:
        if req.method != "POST" or not isinstance(req.body, dict):
            raise KubeError(405, "access reviews only accept POST with a JSON object")
        answer = cluster.rules.review(route.plural, req.body, req.caller.user, route.namespace)
        return _ok(answer, 201)
    handler = _HANDLERS.get((_shape(route), req.method))
    if handler is None:
        raise KubeError(
            405 if _shape(route) in ("collection", "item") else 404,
            f"{req.method} is not supported on {req.path}",
        )
    admission.check(cluster.guards, cluster.store, req.caller, route, req.method, req.body)
    if cluster.controller.pending():
        cluster.controller.reconcile()  # what fell due on the clock happens before anyone looks
    return handler(cluster, route, req)

"""One env's pods over the Kubernetes watch API, blocking (run in the watcher's own thread).

`list_pods` returns every pod and the list's resourceVersion; `follow` opens one watch from a
version (`GET /api/v1/pods?watch=true&resourceVersion=…&timeoutSeconds=…&allowWatchBookmarks
=true`) and hands each event to a callback, returning the newest version seen when the server
ends the stream (its timeout, a restart, a load balancer cutting it). A version too old to
resume from (the API's ERROR event with a Status 410 Gone) is `WatchExpired`: the caller lists
again. Any other failure is the client's ApiException or a connection error.

The requests go through the official ApiClient (auth, the EKS token hook, TLS, the connection
pool) and its own line splitter (`iter_resp_lines`), but not through `CoreV1Api` and
`watch.Watch`: `Watch.stop()` does not cut the stream with client v37 (it looks for the socket
at `_resp.connection`, which the RESTResponse wrapper lacks, so a stopping bot waited for the
server's timeout; tests/handlers/test_pod_alerts.py caught it), and every event would be
deserialized into V1Pod models (loading CoreV1Api and the pod models) only to be read as plain
JSON. The fake API server's own tests run `watch.Watch().stream` against it.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from ops.backends.kube import Kube
from ops.config import EnvName

Obj = dict[str, Any]
EventSink = Callable[[str, Obj], None]  # (ADDED | MODIFIED | DELETED, pod)
PODS = "/api/v1/pods"
CONNECT_SECONDS = 10
READ_SLACK_SECONDS = 30  # a stream silent this long past its own timeout is a dead connection
_GONE = 410


class WatchExpired(Exception):
    """The version to resume from is older than the server keeps: list again."""


class PodStream:
    """The blocking calls of one env's pod watch; `stop()` may be called from any thread."""

    def __init__(self, kube: Kube, env: EnvName) -> None:
        self._kube, self._env = kube, env
        self._lock = threading.Lock()
        self._open: Any = None  # the urllib3 response being read
        self._stopped = False

    def _get(self, query: list[tuple[str, str]], timeout: Any) -> Any:
        """The response, its body not read yet; an ApiException for a non-2xx status."""
        client = self._kube.client(self._env)
        request = client.param_serialize(
            "GET",
            PODS,
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = client.call_api(*request, _request_timeout=timeout)
        if not 200 <= response.status <= 299:
            response.read()
            client.response_deserialize(response, {"200": "object"})  # raises ApiException
        return response

    def list_pods(self, timeout: float) -> tuple[list[Obj], str]:
        response = self._get([], timeout)
        body = json.loads(response.read())
        return list(body.get("items") or []), str(body["metadata"]["resourceVersion"])

    def follow(self, version: str, seconds: int, sink: EventSink) -> str:
        """Watch from `version` until the server ends the stream; the newest version seen."""
        query = [
            ("watch", "true"),
            ("resourceVersion", version),
            ("timeoutSeconds", str(seconds)),
            ("allowWatchBookmarks", "true"),
        ]
        if self._stopped:
            return version
        raw = self._get(query, (CONNECT_SECONDS, seconds + READ_SLACK_SECONDS)).response
        with self._lock:
            self._open = raw
            if self._stopped:
                _cut(raw)
        try:
            for line in iter_resp_lines(raw):
                if line.strip():
                    version = _handle(json.loads(line), sink) or version
        finally:
            with self._lock:
                self._open = None
            raw.close()
            raw.release_conn()
        return version

    def stop(self) -> None:
        """End the open stream now (its read returns) and open no other."""
        with self._lock:
            self._stopped = True
            if self._open is not None:
                _cut(self._open)


def _cut(raw: Any) -> None:
    """urllib3's `HTTPResponse.shutdown()` (SHUT_RD, made for this) ends a blocked read at
    once, from another thread."""
    with contextlib.suppress(Exception):  # already closed or released: nothing to end
        raw.shutdown()


def _handle(event: Obj, sink: EventSink) -> str | None:
    """One event: to the sink, or WatchExpired / ApiException for an ERROR; its version."""
    kind, obj = event.get("type"), event.get("object") or {}
    if kind == "ERROR":
        code = int(obj.get("code") or 500)
        if code == _GONE:
            raise WatchExpired(str(obj.get("message", "")))
        raise ApiException(status=code, reason=str(obj.get("reason", "")))
    if kind in ("ADDED", "MODIFIED", "DELETED"):
        sink(str(kind), obj)
    found = (obj.get("metadata") or {}).get("resourceVersion")
    return str(found) if found else None

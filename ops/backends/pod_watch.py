"""One env's pods over the Kubernetes watch API, blocking (run in the watcher's own thread).

`list_pods` returns every pod and the list's resourceVersion; `follow` opens one watch from a
version (`kubernetes.watch.Watch().stream` with `timeoutSeconds`, bookmarks allowed) and hands
each event to a callback, returning the newest version seen when the server ends the stream
(its timeout, a restart, a load balancer cutting it). A version too old to resume from (the
API's ERROR event with a Status 410 Gone) is `WatchExpired`: the caller lists again. Objects
stay plain JSON dicts (`raw_object`), as everything above ops/backends expects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import kubernetes.client as k8s
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from ops.backends.kube import Kube
from ops.config import EnvName

Obj = dict[str, Any]
EventSink = Callable[[str, Obj], None]  # (ADDED | MODIFIED | DELETED, pod)
READ_SLACK_SECONDS = 30  # a stream silent this long past its own timeout is a dead connection
_GONE = 410


class WatchExpired(Exception):
    """The version to resume from is older than the server keeps: list again."""


class PodStream:
    """The blocking calls of one env's pod watch; `stop()` may be called from any thread."""

    def __init__(self, kube: Kube, env: EnvName) -> None:
        self._kube, self._env = kube, env
        self._watch: watch.Watch | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def _core(self) -> Any:
        return k8s.CoreV1Api(self._kube.client(self._env))

    def list_pods(self, timeout: float) -> tuple[list[Obj], str]:
        api = self._kube.client(self._env)
        listing = self._core().list_pod_for_all_namespaces(_request_timeout=timeout)
        body = api.sanitize_for_serialization(listing)
        return list(body.get("items") or []), str(body["metadata"]["resourceVersion"])

    def follow(self, version: str, seconds: int, sink: EventSink) -> str:
        """Watch from `version` until the server ends the stream; the newest version seen."""
        with self._lock:
            if self._stopped:
                return version
            self._watch = w = watch.Watch()
        try:
            for event in w.stream(
                self._core().list_pod_for_all_namespaces,
                resource_version=version,
                timeout_seconds=seconds,
                allow_watch_bookmarks=True,
                _request_timeout=(10, seconds + READ_SLACK_SECONDS),
            ):
                version = _version_of(event) or version
                if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                    sink(event["type"], event["raw_object"])
        except ApiException as exc:
            if exc.status == _GONE:
                raise WatchExpired(str(version)) from None
            raise
        finally:
            with self._lock:
                self._watch = None
        return version

    def stop(self) -> None:
        """End the open stream now (the client shuts its socket down) and open no other."""
        with self._lock:
            self._stopped = True
            if self._watch is not None:
                self._watch.stop()


def _version_of(event: Obj) -> str | None:
    meta = (event.get("raw_object") or {}).get("metadata") or {}
    version = meta.get("resourceVersion")
    return str(version) if version else None

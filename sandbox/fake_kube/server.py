"""FakeKubeServer: the Kubernetes API over HTTP (aiohttp, in a daemon thread).

The official `kubernetes` client talks to it like to a real API server; tests and the local
console sandbox seed and inspect state through the methods below. All state sits behind one
lock because the server thread and the caller's thread both touch it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from sandbox.fake_kube import watch
from sandbox.fake_kube.admission import NamespaceGuard
from sandbox.fake_kube.api import ApiRequest, ApiResponse, handle, watch_of
from sandbox.fake_kube.authz import Caller
from sandbox.fake_kube.cluster import Cluster
from sandbox.fake_kube.errors import KubeError
from sandbox.fake_kube.faults import Faults
from sandbox.fake_kube.kinds import default_group
from sandbox.fake_kube.rbac import SUPERUSER
from sandbox.threaded_http import ThreadedHttpServer

log = logging.getLogger(__name__)

RequestRecord = tuple[str, str, str | None]  # method, path (no query), user


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body), headers=headers, content_type="application/json"
    )


def _error(exc: KubeError) -> web.Response:
    headers = {"Retry-After": "1"} if exc.code == 429 else None
    return _json(exc.code, exc.status(), headers)


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise KubeError(400, f"request body is not JSON: {exc}") from exc


def _to_http(resp: ApiResponse) -> web.Response:
    if resp.content_type == "application/json":
        return _json(resp.status, resp.body, resp.headers)
    return web.Response(
        status=resp.status, text=resp.body, headers=resp.headers, content_type=resp.content_type
    )


class FakeKubeServer:
    def __init__(
        self,
        token_users: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        default_user: str | None = None,
    ) -> None:
        """`token_users` maps bearer tokens to user names; when given, unknown tokens get 401.
        `default_user`: who a request without a token (and not impersonating) is, under the
        access rules and admission guards; None (the default): the superuser."""
        self.token_users = dict(token_users or {})
        self.default_user = default_user
        self.host = host
        self.url = ""
        self.requests: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._cluster = Cluster()
        self._faults = Faults()
        self._releases = 0  # release_held() calls so far: a held request waits for the next
        self._held = 0
        self._disconnects = 0  # disconnect_watches() calls so far: open watches end at the next
        self.bookmark_seconds = 60.0  # how often a watch with allowWatchBookmarks gets one
        self._server = ThreadedHttpServer(
            self._handle, name="fake-kube", host=host, client_max_size=64 * 1024 * 1024
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        self.url = self._server.start()
        return self.url

    def stop(self) -> None:
        self.release_held()
        self.disconnect_watches()
        self._server.stop()

    def __enter__(self) -> FakeKubeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._respond(request)
        except KubeError as exc:
            return _error(exc)
        except Exception as exc:  # the fake must keep serving whatever a request does
            log.exception("fake kube: %s %s failed", request.method, request.path)
            return _error(KubeError(500, f"fake kube internal error: {exc!r}"))

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        caller, known_caller = self._caller(request)
        with self._lock:
            self.requests.append((request.method, request.path, caller.user))
            fault = self._faults.take(request.method, request.path)
            arrived_in = self._cluster
        if fault is not None and fault.hold:
            await self._hold()
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
            if self._cluster is not arrived_in:  # a test's late write must not reach the next
                raise KubeError(503, "the cluster was reset while this request waited")
        if fault is not None and fault.status:
            raise KubeError(fault.status, f"injected fault ({fault.status})")
        if not known_caller:
            raise KubeError(401, "Unauthorized")
        req = ApiRequest(
            request.method,
            request.path,
            dict(request.query),
            _decode(raw),
            request.content_type,
            caller,
        )
        with self._lock:
            watching = watch_of(self._cluster, req)
            if watching is None:
                response = _to_http(handle(self._cluster, req))
        if watching is not None:
            return await self._stream_watch(request, watching)
        if fault is not None and fault.after is not None:
            fault.after()
        return response

    async def _stream_watch(
        self, request: web.Request, w: watch.WatchRequest
    ) -> web.StreamResponse:
        """Newline-delimited JSON events over a chunked response, until `timeoutSeconds`, a
        `disconnect_watches()`, a `reset()` or the client going away."""
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()
        with self._lock:
            cluster, disconnects = self._cluster, self._disconnects
            store = cluster.store
            if w.since is not None and watch.too_old(w.since, store):
                first, since = [watch.gone(w.since, store)], None
            elif w.since is None:
                first, since = watch.current_state(store, w), store.resource_version
            else:
                first, since = [], w.since

            def wake() -> None:
                loop.call_soon_threadsafe(woken.set)

            store.listeners.append(wake)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for chunk in first:
                await response.write(chunk)
            if since is not None:
                await self._follow(response, w, cluster, since, disconnects, woken)
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the client went away: nothing to finish
        finally:
            with self._lock:
                store.listeners.remove(wake)
        return response

    async def _follow(
        self,
        response: web.StreamResponse,
        w: watch.WatchRequest,
        cluster: Cluster,
        since: int,
        disconnects: int,
        woken: asyncio.Event,
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + w.timeout_seconds
        next_bookmark = loop.time() + self.bookmark_seconds
        while loop.time() < deadline:
            woken.clear()
            with self._lock:
                if self._cluster is not cluster or self._disconnects != disconnects:
                    return
                if cluster.controller.pending():  # what falls due on the clock happens by itself
                    cluster.controller.reconcile()
                if watch.too_old(since, cluster.store):  # compacted while watching
                    await response.write(watch.gone(since, cluster.store))
                    return
                chunks = watch.changes_after(cluster.store, w, since)
                since = cluster.store.resource_version
                mark = w.bookmarks and loop.time() >= next_bookmark
                if mark:
                    chunks.append(watch.bookmark(w, cluster.store))
                    next_bookmark = loop.time() + self.bookmark_seconds
            for chunk in chunks:
                await response.write(chunk)
            wait = min(deadline, next_bookmark if w.bookmarks else deadline) - loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), max(0.0, min(wait, 0.5)))

    async def _hold(self) -> None:
        with self._lock:
            self._held += 1  # until release_held(), even if its client gives up meanwhile
            released_by = self._releases + 1
        # released from the test's thread: a counter under the lock, polled (an asyncio Event
        # belongs to this server's loop and cannot be set from there)
        while self._releases < released_by:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    def _caller(self, request: web.Request) -> tuple[Caller, bool]:
        """(caller, authenticated). Tokens map through token_users; a request without one is
        the superuser's. Impersonate-User names who it acts as (authz.py checks both)."""
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        token_user = self.token_users.get(token) if token else None
        known = token is None or not self.token_users or token_user is not None
        impersonated = request.headers.get("Impersonate-User")
        if impersonated is None and token is None and self.default_user is not None:
            return Caller(self.default_user, under_rbac=True), known
        if impersonated is None:
            return Caller(token_user), known
        groups = tuple(request.headers.getall("Impersonate-Group", []))
        return Caller(impersonated, token_user or SUPERUSER, groups), known

    # -- seeding and inspection (called from the test thread) --------------------------------

    def reset(self) -> None:
        """Drop all objects, faults, access rules, pod logs and the request log."""
        with self._lock:
            for wake in list(self._cluster.store.listeners):  # its watches end
                wake()
            self._cluster = Cluster()
            self._faults.clear()
            self.requests.clear()
        self.release_held()

    def disconnect_watches(self) -> None:
        """End every open watch stream, as an API server restart or a load balancer's idle
        timeout does: a client resumes from the last resourceVersion it saw."""
        with self._lock:
            self._disconnects += 1
            for wake in list(self._cluster.store.listeners):
                wake()

    def compact_watch_history(self) -> None:
        """Forget the change history (etcd compaction): a watch resumed from any version seen
        so far is answered 410 Gone, and only a new list gives a version to watch from."""
        with self._lock:
            self._cluster.store.compact()

    @property
    def resource_version(self) -> int:
        """The newest change's resourceVersion (a test waits for a watcher to have seen it)."""
        with self._lock:
            return self._cluster.store.resource_version

    def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace an object as given (namespace auto-created); returns it stored."""
        with self._lock:
            return self._cluster.apply(dict(obj))

    def get(self, kind_plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """`kind_plural` is "deployments" or, for custom resources, "scaledobjects[.keda.sh]"."""
        with self._lock:
            group, plural = self._resolve(kind_plural)
            return self._cluster.store.get((group, plural, namespace or "", name))

    def remove(self, kind_plural: str, namespace: str | None, name: str) -> None:
        """Delete an object at once, as someone else at the cluster would (no finalizers): safe
        to call from an `after` hook, which runs in the server's thread."""
        with self._lock:
            group, plural = self._resolve(kind_plural)
            self._cluster.store.remove((group, plural, namespace or "", name))

    def list(self, kind_plural: str, namespace: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            group, plural = self._resolve(kind_plural)
            return self._cluster.store.items(group, plural, namespace)

    def inject_fault(
        self,
        method: str = "*",
        path_regex: str = ".*",
        status: int | None = 500,
        delay: float = 0.0,
        count: int | None = 1,
        after: Callable[[], None] | None = None,
        hold: bool = False,
    ) -> None:
        """The next `count` requests matching `method` and `path_regex` wait `delay` seconds,
        then fail with `status` (None: answered normally). With `hold`, they first wait until
        `release_held()` (or `reset()`, `stop()`): a server hung for exactly as long as the test
        needs, so a test asserts that the bot answered while the server still held its request
        (`held_requests`) instead of asserting a duration. `after` (with `status=None`) runs in
        the server's thread once the request is handled, before its answer is sent: the moment
        to cut something the caller depends on."""
        with self._lock:
            self._faults.add(method, path_regex, status, delay, count, after, hold)

    @property
    def held_requests(self) -> int:
        """How many requests a `hold` fault caught since the last release: the server has not
        answered them (a client that gave up on one does not make it answered)."""
        with self._lock:
            return self._held

    def release_held(self) -> None:
        """Let every request held so far go on (later ones are held again)."""
        with self._lock:
            self._releases += 1
            self._held = 0

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def allow(
        self,
        user: str,
        verb: str,
        resource: str,
        namespace: str | None = None,
        group: str = "",
        name: str | None = None,
    ) -> None:
        """Let `user` do `verb` on `resource` ("deployments", "pods/log", "*"), in `namespace`
        (None: everywhere), on the object `name` only when given (RBAC's resourceNames). To
        impersonate someone, the caller needs `allow(caller, "impersonate", "users",
        name=...)` ("serviceaccounts" in the account's namespace, "groups" for groups)."""
        with self._lock:
            self._cluster.rules.allow(user, verb, resource, namespace, group, name)

    def guard(self, guard: NamespaceGuard) -> None:
        """Add a ValidatingAdmissionPolicy of admission.py's shape, applied after RBAC."""
        with self._lock:
            self._cluster.guards.append(guard)

    def set_pod_logs(
        self,
        namespace: str,
        pod: str,
        text: str,
        container: str | None = None,
        *,
        previous: bool = False,
    ) -> None:
        """`previous`: the log of the last terminated run (served only once the container's
        status has a `lastState.terminated`, as a kubelet does)."""
        with self._lock:
            logs = self._cluster.previous_logs if previous else self._cluster.logs
            logs[(namespace, pod, container)] = text

    # -- the controller and its clock (see controller.py) -------------------------------------

    @property
    def rollout_delay_seconds(self) -> float:
        """How long a new pod takes to turn Ready, on the cluster's clock (0: at once)."""
        return self._cluster.controller.rollout_delay_seconds

    @rollout_delay_seconds.setter
    def rollout_delay_seconds(self, seconds: float) -> None:
        with self._lock:
            self._cluster.controller.rollout_delay_seconds = seconds

    @property
    def namespace_termination_seconds(self) -> float:
        """How long a deleted namespace stays Terminating, on the cluster's clock (0: it is gone
        by the time its delete is answered, though the answer says Terminating)."""
        return self._cluster.controller.namespace_termination_seconds

    @namespace_termination_seconds.setter
    def namespace_termination_seconds(self, seconds: float) -> None:
        with self._lock:
            self._cluster.controller.namespace_termination_seconds = seconds

    def break_image(self, image: str, reason: str = "ImagePullBackOff") -> None:
        """Pods of `image` never turn Ready (their containers wait with `reason`)."""
        with self._lock:
            self._cluster.controller.broken_images[image] = reason

    def advance(self, seconds: float) -> None:
        """Move the cluster's clock on and let the controller catch up (no sleeping)."""
        with self._lock:
            self._cluster.clock.advance(seconds)
            self._cluster.controller.reconcile()

    def is_empty(self) -> bool:
        with self._lock:
            return self._cluster.store.empty()

    def start_history_at(self, moment: datetime) -> None:
        """Set the cluster's clock back to `moment`, so what a seed writes next is dated then
        (creationTimestamp, pod start, conditions), as a cluster that lived through it would
        have dated it; `advance_to` moves through the history, `catch_up_with_wall_time` ends
        it. Only an empty cluster may go back in time: nothing in it is then younger than its
        clock."""
        with self._lock:
            if not self._cluster.store.empty():
                raise RuntimeError("only an empty cluster's clock can be set back")
            self._cluster.clock.start_at(moment.timestamp())

    def advance_to(self, moment: datetime) -> None:
        """`advance` up to `moment`; nothing when the clock is already there or past it."""
        with self._lock:
            clock = self._cluster.clock
            clock.advance(max(0.0, moment.timestamp() - clock.now()))
            self._reconcile_if_pending()

    def catch_up_with_wall_time(self) -> None:
        """The clock back to wall time after a replayed history (one ahead of it stays)."""
        with self._lock:
            self._cluster.clock.catch_up_with_wall_time()
            self._reconcile_if_pending()

    def _reconcile_if_pending(self) -> None:
        """Only what the clock alone may change (a settled cluster has nothing: a seed's many
        small steps through its history then cost no controller pass each)."""
        if self._cluster.controller.pending():
            self._cluster.controller.reconcile()

    def pause_controller(self) -> None:
        """Stop the controllers, as when kube-controller-manager lags: writes are stored and
        generation moves on, but observedGeneration, ReplicaSets and pods stay as they are."""
        with self._lock:
            self._cluster.controller.paused = True

    def resume_controller(self) -> None:
        with self._lock:
            self._cluster.controller.paused = False
            self._cluster.controller.reconcile()

    def _resolve(self, kind_plural: str) -> tuple[str, str]:
        plural, _, group = kind_plural.partition(".")
        if group or default_group(plural):
            return group or default_group(plural), plural
        stored = {k[0] for k in self._cluster.store.all_keys() if k[1] == plural}
        return (min(stored) if stored else ""), plural

"""REST semantics over the store: create/replace/patch/delete, subresources, the direct
`apply()` used by tests. Every write runs the controller before answering."""

from __future__ import annotations

from typing import Any

from sandbox.fake_kube import errors
from sandbox.fake_kube.admission import NamespaceGuard
from sandbox.fake_kube.clock import Clock
from sandbox.fake_kube.controller import Controller
from sandbox.fake_kube.defaults import with_defaults
from sandbox.fake_kube.errors import KubeError
from sandbox.fake_kube.kinds import is_builtin_group, kind_for, known, plural_for
from sandbox.fake_kube.kinds import split_api_version as split_av
from sandbox.fake_kube.objects import random_suffix
from sandbox.fake_kube.patch import PATCH_TYPES, STRATEGIC_MERGE_PATCH, PatchError, apply_patch
from sandbox.fake_kube.rbac import AccessRules
from sandbox.fake_kube.routes import Route
from sandbox.fake_kube.selectors import match_labels_to_selector, select
from sandbox.fake_kube.store import Key, Obj, ObjectStore, key_of, validate_name

LogKey = tuple[str, str, str | None]  # namespace, pod, container (None: any container)


class Cluster:
    def __init__(self) -> None:
        self.clock = Clock()
        self.store = ObjectStore(self.clock)
        self.controller = Controller(self.store, self.clock)
        self.rules = AccessRules()
        self.guards: list[NamespaceGuard] = []  # admission after RBAC (admission.py)
        self.logs: dict[LogKey, str] = {}
        self.previous_logs: dict[LogKey, str] = {}  # the last terminated run's (`?previous=true`)

    # -- reads -----------------------------------------------------------------------------

    def key(self, r: Route, name: str | None = None) -> Key:
        return key_of(r.group, r.plural, r.scope, name or r.name or "")

    def read(self, r: Route) -> Obj:
        obj = self.store.get(self.key(r))
        if obj is None:
            raise errors.not_found(r.group, r.plural, r.name or "")
        return obj

    def list(self, r: Route, labels: str = "", fields: str = "") -> Obj:
        items = select(self.store.items(r.group, r.plural, r.scope), labels, fields)
        kind = items[0]["kind"] if items else kind_for(r.group, r.plural)
        return {
            "kind": f"{kind}List",
            "apiVersion": r.api_version,
            "metadata": {"resourceVersion": str(self.store.resource_version)},
            "items": items,
        }

    # -- writes ----------------------------------------------------------------------------

    def create(self, r: Route, body: Obj, dry_run: bool = False) -> Obj:
        body = self._typed(r, body)
        meta = body["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + random_suffix()
        validate_name(r.group, r.plural, meta.get("name", ""))
        self._check_namespace(r)
        key = self.key(r, meta["name"])
        if self.store.get(key) is not None:
            raise errors.already_exists(r.group, r.plural, meta["name"])
        if r.plural == "namespaces" and r.group == "":
            body["spec"] = {"finalizers": ["kubernetes"]}
            body["status"] = {"phase": "Active"}
        if dry_run:
            return body
        self.store.insert(key, body)
        return self._after_write(key)

    def replace(self, r: Route, body: Obj, dry_run: bool = False) -> Obj:
        current = self.read(r)
        body = self._typed(r, body)
        if body["metadata"].get("name", r.name) != r.name:
            raise KubeError(400, "the name of the object does not match the name on the URL")
        return self._update(r, current, body, dry_run)

    def patch(self, r: Route, patch: Any, content_type: str, dry_run: bool = False) -> Obj:
        builtin = is_builtin_group(r.group)
        if content_type not in PATCH_TYPES or (
            content_type == STRATEGIC_MERGE_PATCH and not builtin
        ):
            raise KubeError(
                415,
                f"the body of the request was in an unknown format - accepted "
                f"media types include: application/json-patch+json, "
                f"application/merge-patch+json (not {content_type})",
            )
        current = self.read(r)
        return self._update(r, current, self._patched(r, current, patch, content_type), dry_run)

    def delete(self, r: Route, options: Any = None, dry_run: bool = False) -> Obj:
        """DeleteOptions.preconditions (uid, resourceVersion) that do not hold are a 409 and
        delete nothing, as on a real API server."""
        obj = self.read(r)
        _check_preconditions(r, obj, options)
        if r.plural == "namespaces" and r.group == "":
            return self._delete_namespace(obj, dry_run)
        if dry_run:
            return obj
        self.store.remove(self.key(r))
        self._after_write(None)
        if r.plural == "pods" and r.group == "":
            obj["metadata"]["deletionTimestamp"] = self.clock.iso()
            return obj
        m = obj["metadata"]
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {"name": m["name"], "group": r.group, "kind": r.plural, "uid": m["uid"]},
        }

    def delete_collection(self, r: Route, labels: str, fields: str) -> Obj:
        doomed = self.list(r, labels, fields)
        for obj in doomed["items"]:
            self.store.remove(self.key(r, obj["metadata"]["name"]))
        self._after_write(None)
        return doomed

    def apply(self, obj: Obj) -> Obj:
        """Create or replace `obj` as given (status included), creating its namespace."""
        group, _ = split_av(obj["apiVersion"])
        plural = plural_for(obj["kind"])
        obj = with_defaults(group, plural, obj)
        rt = known(group, plural)
        namespace = obj["metadata"].get("namespace")
        if rt is not None:
            namespace = (namespace or "default") if rt.namespaced else None
        if plural == "namespaces" and not group:
            obj.setdefault("status", {"phase": "Active"})
        if namespace:
            self._ensure_namespace(namespace)
        key = key_of(group, plural, namespace, obj["metadata"]["name"])
        write = self.store.update if self.store.get(key) is not None else self.store.insert
        write(key, obj)
        return self._after_write(key)

    # -- subresources ----------------------------------------------------------------------

    def read_scale(self, r: Route) -> Obj:
        obj = self.read(r.parent())
        m = obj["metadata"]
        replicas = obj.get("spec", {}).get("replicas", 1)
        selector = match_labels_to_selector(obj.get("spec", {}).get("selector") or {})
        meta = {
            k: m[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in m
        }
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": meta,
            "spec": {"replicas": replicas},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0), "selector": selector},
        }

    def write_scale(self, r: Route, scale: Obj) -> Obj:
        current = self.read(r.parent())
        rv = scale.get("metadata", {}).get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(r.group, r.plural, r.name or "")
        current.setdefault("spec", {})["replicas"] = scale.get("spec", {}).get("replicas", 0)
        self._update(r.parent(), current, current, dry_run=False)
        return self.read_scale(r)

    def patch_scale(self, r: Route, patch: Any, content_type: str) -> Obj:
        return self.write_scale(r, self._patched(r, self.read_scale(r), patch, content_type))

    def write_status(self, r: Route, body: Obj, patch_type: str | None = None) -> Obj:
        current = self.read(r.parent())
        if patch_type:
            body = self._patched(r, current, body, patch_type)
        return self._update(
            r.parent(),
            current,
            {**current, "status": body.get("status")},
            dry_run=False,
            of_status=True,
        )

    def pod_log(
        self, r: Route, container: str | None, tail_lines: int | None, previous: bool = False
    ) -> str:
        """`previous`: the log of the container's last terminated run, which exists only once
        it restarted (a real kubelet answers 400 before that, as here)."""
        pod = self.read(r.parent())
        names = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
        if container is None and len(names) > 1:
            raise KubeError(
                400,
                f"a container name must be specified for pod {r.name}, "
                f"choose one of: [{' '.join(names)}]",
            )
        if container is not None and names and container not in names:
            raise KubeError(400, f"container {container} is not valid for pod {r.name}")
        ns, name = r.namespace or "", r.name or ""
        logs = self.previous_logs if previous else self.logs
        if previous and not _restarted(pod, container or (names[0] if names else "")):
            shown = container or (names[0] if names else "")
            raise KubeError(
                400, f'previous terminated container "{shown}" in pod "{name}" not found'
            )
        text = logs.get((ns, name, container), logs.get((ns, name, None), ""))
        if tail_lines is None:
            return text
        lines = text.splitlines(keepends=True)
        return "".join(lines[-tail_lines:]) if tail_lines > 0 else ""

    # -- helpers ---------------------------------------------------------------------------

    def _typed(self, r: Route, body: Obj) -> Obj:
        if not isinstance(body, dict):
            raise KubeError(400, "the request body must be a JSON object")
        body = with_defaults(r.group, r.plural, body)
        body.setdefault("apiVersion", r.api_version)
        body.setdefault("kind", kind_for(r.group, r.plural))
        meta = body.setdefault("metadata", {})
        if r.scope and meta.setdefault("namespace", r.scope) != r.scope:
            raise KubeError(
                400,
                "the namespace of the provided object does not match the "
                "namespace sent on the request",
            )
        return body

    def _patched(self, r: Route, current: Obj, patch: Any, content_type: str) -> Obj:
        try:
            result = apply_patch(current, patch, content_type)
        except PatchError as exc:
            raise errors.invalid(r.group, r.plural, r.name or "", str(exc)) from exc
        if not isinstance(result, dict):
            raise errors.invalid(r.group, r.plural, r.name or "", "patch result is not an object")
        return result

    def _update(
        self, r: Route, current: Obj, body: Obj, dry_run: bool, *, of_status: bool = False
    ) -> Obj:
        """A write of the object (its status kept: only the status subresource changes that,
        as for every built-in kind) or, `of_status`, of its status alone."""
        rv = body.get("metadata", {}).get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(r.group, r.plural, r.name or "")
        body = with_defaults(r.group, r.plural, body)
        if is_builtin_group(r.group) and not of_status and "status" in current:
            body["status"] = current["status"]
        if dry_run:
            return body
        key = self.key(r)
        self.store.update(key, body)
        return self._after_write(key)

    def _after_write(self, key: Key | None) -> Obj:
        self.controller.reconcile()
        return (self.store.get(key) or {}) if key else {}

    def _check_namespace(self, r: Route) -> None:
        """New objects need a namespace that exists and is not being terminated."""
        if not r.scope:
            return
        ns = self.store.get(key_of("", "namespaces", None, r.scope))
        if ns is None:
            raise errors.not_found("", "namespaces", r.scope)
        if ns["metadata"].get("deletionTimestamp"):
            why = (
                f"unable to create new content in namespace {r.scope} because it is being "
                "terminated"
            )
            field = "metadata.namespace"
            cause = {"reason": "NamespaceTerminating", "message": why, "field": field}
            raise errors.forbidden(r.group, r.plural, None, why, [cause])

    def _ensure_namespace(self, name: str) -> None:
        key = key_of("", "namespaces", None, name)
        if self.store.get(key) is None:
            self.store.insert(
                key,
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": name},
                    "status": {"phase": "Active"},
                },
            )

    def _delete_namespace(self, ns: Obj, dry_run: bool) -> Obj:
        """The first delete marks it Terminating (its content and then itself go when the
        controller finishes it); a second one, while it terminates, is a 409 as on a real
        server."""
        name = ns["metadata"]["name"]
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.conflict(
                "",
                "namespaces",
                name,
                "The system is ensuring all content is removed from this namespace.  Upon "
                "completion, this namespace will automatically be purged by the system.",
            )
        ns["status"] = {"phase": "Terminating"}
        ns["metadata"]["deletionTimestamp"] = self.clock.iso()
        if dry_run:
            return ns
        key = key_of("", "namespaces", None, name)
        terminating = self.store.update(key, ns)
        self.logs = {k: v for k, v in self.logs.items() if k[0] != name}
        self._after_write(None)
        return terminating


def _check_preconditions(r: Route, obj: Obj, options: Any) -> None:
    wanted = (options.get("preconditions") if isinstance(options, dict) else None) or {}
    meta = obj["metadata"]
    for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
        if wanted.get(field) is not None and wanted[field] != meta.get(field):
            raise errors.conflict(
                r.group,
                r.plural,
                r.name or "",
                f"Precondition failed: {label} in precondition: {wanted[field]}, "
                f"{label} in object meta: {meta.get(field)}",
            )


def _restarted(pod: Obj, container: str) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return any(
        s.get("name") == container and (s.get("lastState") or {}).get("terminated")
        for s in statuses
    )

"""A synchronous mini kube-controller-manager: Deployments -> ReplicaSets -> Pods, namespaces
that finish terminating, garbage collection by ownerReferences.

It does what `kubectl rollout status/history/undo` observe, the way the real controllers do:
- one ReplicaSet per distinct pod template, revision annotations, `revisionHistoryLimit` (old
  ReplicaSets scaled to zero beyond it are deleted once the rollout is complete);
- RollingUpdate within `maxSurge` / `maxUnavailable` (25 % each by default: surge rounds up,
  unavailable down, never both 0), Recreate (old pods gone before new ones start);
- pods that turn Ready `rollout_delay_seconds` after they are created, or never when their image
  is broken (`broken_images`: waiting in ImagePullBackOff or whatever reason is given);
- Deployment status as the deployment controller writes it: `observedGeneration`, replicas /
  updated / ready / available / unavailable, the `Available` condition and the `Progressing`
  one (NewReplicaSetCreated, ReplicaSetUpdated, NewReplicaSetAvailable, and `False` with
  ProgressDeadlineExceeded once `progressDeadlineSeconds` pass without progress).

Time is the cluster's Clock (tests advance it instead of sleeping). `paused` stops the whole
controller, as a lagging kube-controller-manager would: writes are stored, generation moves
ahead of observedGeneration, nothing rolls until it runs again. Each reconcile runs passes until
nothing changes, so a rollout without delays completes within the write that started it.
"""

from __future__ import annotations

import copy
from typing import Any

from sandbox.fake_kube.clock import Clock, from_iso
from sandbox.fake_kube.objects import (
    CHANGE_CAUSE,
    HASH_LABEL,
    REVISION,
    new_replicaset,
    owned_by,
    owner_ref,
    pod_ready,
    pod_status,
    random_suffix,
    revision,
    template_hash,
)
from sandbox.fake_kube.rollout import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_PROGRESS_DEADLINE,
    DONE,
    TIMED_OUT,
    UPDATED,
    available,
    complete,
    condition,
    progressed,
    rolling_limits,
    set_condition,
    settled,
    spec_replicas,
    status_count,
)
from sandbox.fake_kube.store import Obj, ObjectStore, key_of

_MAX_PASSES = 50  # a reconcile stops when a pass changes nothing; this only bounds a bug


class Controller:
    def __init__(self, store: ObjectStore, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or Clock()
        self.rollout_delay_seconds = 0.0
        self.namespace_termination_seconds = 0.0
        self.broken_images: dict[str, str] = {}  # image -> the waiting reason its pods show
        self.paused = False
        self._ready_at: dict[str, float] = {}  # pod uid -> clock time it turns Ready

    def pending(self) -> bool:
        """Whether the clock alone may change something (a pod due Ready, a deadline, a
        namespace finishing): then a read reconciles first. Writes always reconcile."""
        if self.paused:
            return False
        if self._ready_at:
            return True
        namespaces = self.store.peek("", "namespaces")
        if any(ns["metadata"].get("deletionTimestamp") for _, ns in namespaces):
            return True
        return not all(settled(dep) for _, dep in self.store.peek("apps", "deployments"))

    def reconcile(self) -> None:
        if self.paused:
            return
        for _ in range(_MAX_PASSES):
            before = self.store.resource_version
            self._pass()
            if self.store.resource_version == before:
                return

    def _pass(self) -> None:
        self._collect_orphans()
        self._finish_namespaces()
        for dep in self.store.items("apps", "deployments"):
            self._sync_deployment(dep)
        for rs in self.store.items("apps", "replicasets"):
            self._sync_pods(rs)

    def _owned(self, group: str, plural: str, owner: Obj) -> list[Obj]:
        ns, uid = owner["metadata"].get("namespace"), owner["metadata"]["uid"]
        return [o for o in self.store.items(group, plural, ns) if owned_by(o, uid)]

    def _put(self, obj: Obj, group: str, plural: str) -> Obj:
        m = obj["metadata"]
        key = key_of(group, plural, m.get("namespace"), m["name"])
        exists = self.store.get(key) is not None
        return self.store.update(key, obj) if exists else self.store.insert(key, obj)

    # -- deployments ---------------------------------------------------------------------------

    def _sync_deployment(self, dep: Obj) -> None:
        owned = self._owned("apps", "replicasets", dep)
        new, created = self._new_replicaset(dep, owned)
        old = [rs for rs in owned if rs["metadata"]["uid"] != new["metadata"]["uid"]]
        if (dep["spec"].get("strategy") or {}).get("type") == "Recreate":
            self._recreate(dep, new, old)
        else:
            self._roll(dep, new, old)
        new = self._fresh(new) or new
        old = [fresh for rs in old if (fresh := self._fresh(rs)) is not None]
        dep = self._sync_status(dep, new, old, created)
        if complete(dep, dep["status"]):
            self._trim_history(dep, old)

    def _fresh(self, rs: Obj) -> Obj | None:
        m = rs["metadata"]
        return self.store.get(key_of("apps", "replicasets", m["namespace"], m["name"]))

    def _new_replicaset(self, dep: Obj, owned: list[Obj]) -> tuple[Obj, bool]:
        """The ReplicaSet of the current template (created at revision max+1 when missing; an
        old one coming back becomes the newest revision, as `rollout undo` shows it)."""
        pod_hash = template_hash(dep["spec"].get("template", {}))
        top = max((revision(rs) for rs in owned), default=0)
        current = next(
            (rs for rs in owned if rs["metadata"].get("labels", {}).get(HASH_LABEL) == pod_hash),
            None,
        )
        created = current is None
        if current is None:
            current = new_replicaset(dep, pod_hash, top + 1)
        elif revision(current) < top:
            current["metadata"]["annotations"][REVISION] = str(top + 1)
        cause = dep["metadata"].get("annotations", {}).get(CHANGE_CAUSE)
        if cause:
            current["metadata"].setdefault("annotations", {})[CHANGE_CAUSE] = cause
        current = self._put(current, "apps", "replicasets")
        annotations = dep["metadata"].setdefault("annotations", {})
        annotations[REVISION] = current["metadata"]["annotations"][REVISION]
        return current, created

    def _scale(self, rs: Obj, replicas: int) -> None:
        if spec_replicas(rs) != replicas:
            rs["spec"]["replicas"] = replicas
            self._put(rs, "apps", "replicasets")

    def _roll(self, dep: Obj, new: Obj, old: list[Obj]) -> None:
        """One step of a RollingUpdate: scale the new ReplicaSet up within maxSurge, then the old
        ones down (their unavailable pods first) while maxUnavailable allows."""
        desired = int(dep["spec"].get("replicas", 1))
        surge, unavailable = rolling_limits(dep["spec"])
        total = spec_replicas(new) + sum(spec_replicas(rs) for rs in old)
        want = spec_replicas(new)
        if want > desired:
            want = desired
        elif want < desired:
            want += max(0, min(desired + surge - total, desired - want))
        self._scale(new, want)
        oldest_first = sorted(old, key=revision)
        min_available = desired - unavailable
        room = want + sum(spec_replicas(rs) for rs in old) - min_available - (want - available(new))
        if room <= 0:
            return
        for rs in oldest_first:
            cut = min(max(0, spec_replicas(rs) - available(rs)), room)
            self._scale(rs, spec_replicas(rs) - cut)
            room -= cut
        spare = available(new) + sum(available(rs) for rs in old) - min_available
        for rs in oldest_first:
            cut = min(spec_replicas(rs), max(0, spare))
            self._scale(rs, spec_replicas(rs) - cut)
            spare -= cut

    def _recreate(self, dep: Obj, new: Obj, old: list[Obj]) -> None:
        for rs in old:
            self._scale(rs, 0)
        if all(status_count(rs, "replicas") == 0 for rs in old):
            self._scale(new, int(dep["spec"].get("replicas", 1)))

    def _sync_status(self, dep: Obj, new: Obj, old: list[Obj], created: bool) -> Obj:
        everyone = [new, *old]
        status: dict[str, Any] = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": sum(status_count(rs, "replicas") for rs in everyone),
            "updatedReplicas": status_count(new, "replicas"),
            "readyReplicas": sum(status_count(rs, "readyReplicas") for rs in everyone),
            "availableReplicas": sum(available(rs) for rs in everyone),
        }
        unavailable = sum(spec_replicas(rs) for rs in everyone) - status["availableReplicas"]
        if unavailable > 0:
            status["unavailableReplicas"] = unavailable
        before = dep.get("status") or {}
        conditions = {c["type"]: c for c in before.get("conditions", []) if "type" in c}
        self._available_condition(dep, status, conditions)
        self._progressing_condition(dep, new, before, status, conditions, created)
        status["conditions"] = [conditions[k] for k in ("Available", "Progressing")]
        dep["status"] = status
        return self._put(dep, "apps", "deployments")

    def _available_condition(
        self, dep: Obj, status: dict[str, Any], conditions: dict[str, dict[str, Any]]
    ) -> None:
        desired = int(dep["spec"].get("replicas", 1))
        _, unavailable = rolling_limits(dep["spec"])
        if status["availableReplicas"] >= desired - unavailable:
            wanted = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            wanted = (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        set_condition(conditions, "Available", condition(*wanted, self.clock.iso()))

    def _progressing_condition(
        self,
        dep: Obj,
        new: Obj,
        before: dict[str, Any],
        status: dict[str, Any],
        conditions: dict[str, dict[str, Any]],
        created: bool,
    ) -> None:
        rs, now = new["metadata"]["name"], self.clock.iso()

        def put(status: str, reason: str, message: str) -> None:
            set_condition(conditions, "Progressing", condition(status, reason, message, now))

        if created:
            put("True", "NewReplicaSetCreated", f'Created new replica set "{rs}"')
        elif "Progressing" not in conditions:
            put("True", "FoundNewReplicaSet", f'Found new replica set "{rs}"')
        current = conditions["Progressing"]
        if status["replicas"] == status["updatedReplicas"] and current.get("reason") == DONE:
            return
        if complete(dep, status):
            put("True", DONE, f'ReplicaSet "{rs}" has successfully progressed.')
        elif progressed(before, status):  # every step of progress restarts the deadline
            moving = condition("True", UPDATED, f'ReplicaSet "{rs}" is progressing.', now)
            if current.get("status") == "True":
                moving["lastTransitionTime"] = current.get("lastTransitionTime", now)
            conditions["Progressing"] = {"type": "Progressing", **moving}
        elif self._timed_out(dep, current):
            put("False", TIMED_OUT, f'ReplicaSet "{rs}" has timed out progressing.')

    def _timed_out(self, dep: Obj, progressing: dict[str, Any]) -> bool:
        if progressing.get("reason") == TIMED_OUT:
            return True
        deadline = int(dep["spec"].get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE))
        since = from_iso(progressing.get("lastUpdateTime") or self.clock.iso())
        return since + deadline < self.clock.now()

    def _trim_history(self, dep: Obj, old: list[Obj]) -> None:
        """Old ReplicaSets at zero beyond revisionHistoryLimit go, oldest revision first."""
        limit = int(dep["spec"].get("revisionHistoryLimit", DEFAULT_HISTORY_LIMIT))
        idle = sorted(
            (rs for rs in old if spec_replicas(rs) == 0 and status_count(rs, "replicas") == 0),
            key=revision,
        )
        for rs in idle[: max(0, len(idle) - limit)]:
            m = rs["metadata"]
            self.store.remove(key_of("apps", "replicasets", m["namespace"], m["name"]))

    # -- pods ----------------------------------------------------------------------------------

    def _sync_pods(self, rs: Obj) -> None:
        want = spec_replicas(rs)
        pods = [self._refresh_readiness(p) for p in self._owned("", "pods", rs)]
        pods.sort(key=lambda p: (pod_ready(p), p["metadata"]["name"]))  # unready ones go first
        surplus, pods = pods[: max(0, len(pods) - want)], pods[max(0, len(pods) - want) :]
        for pod in surplus:
            self._ready_at.pop(pod["metadata"]["uid"], None)
            self.store.remove(
                key_of("", "pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
            )
        pods += [self._create_pod(rs) for _ in range(want - len(pods))]
        ready = sum(pod_ready(p) for p in pods)
        rs["status"] = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        self._put(rs, "apps", "replicasets")

    def _broken(self, spec: dict[str, Any]) -> str | None:
        images = [c.get("image", "") for c in spec.get("containers", [])]
        return next((self.broken_images[i] for i in images if i in self.broken_images), None)

    def _create_pod(self, rs: Obj) -> Obj:
        template = rs["spec"]["template"]
        meta = copy.deepcopy(template.get("metadata", {}))
        meta.update(
            name=f"{rs['metadata']['name']}-{random_suffix()}",
            namespace=rs["metadata"]["namespace"],
            ownerReferences=[owner_ref(rs)],
        )
        spec = {**copy.deepcopy(template.get("spec", {})), "nodeName": "fake-node-1"}
        broken = self._broken(spec)
        ready = broken is None and self.rollout_delay_seconds <= 0
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": spec,
            "status": pod_status(spec, ready, self.clock.iso(), broken or "ContainerCreating"),
        }
        pod = self._put(pod, "", "pods")
        if not ready and broken is None:
            self._ready_at[pod["metadata"]["uid"]] = self.clock.now() + self.rollout_delay_seconds
        return pod

    def _refresh_readiness(self, pod: Obj) -> Obj:
        uid = pod["metadata"]["uid"]
        due = self._ready_at.get(uid)
        if due is None or self.clock.now() < due:
            return pod
        del self._ready_at[uid]
        pod["status"] = pod_status(pod["spec"], True, self.clock.iso())
        return self._put(pod, "", "pods")

    # -- namespaces and garbage --------------------------------------------------------------

    def _finish_namespaces(self) -> None:
        """A Terminating namespace's content goes, then the namespace itself, once
        `namespace_termination_seconds` passed since its deletion (never while it still has
        metadata.finalizers: how a real namespace gets stuck in Terminating)."""
        for ns in self.store.items("", "namespaces"):
            m = ns["metadata"]
            stamp = m.get("deletionTimestamp")
            if not stamp or m.get("finalizers"):
                continue
            if from_iso(stamp) + self.namespace_termination_seconds > self.clock.now():
                continue
            name = ns["metadata"]["name"]
            for key in self.store.all_keys():
                if key[2] == name:
                    self.store.remove(key)
            self.store.remove(key_of("", "namespaces", None, name))

    def _collect_orphans(self) -> None:
        """Delete objects whose owners are all gone, repeatedly (RS first, then its pods)."""
        while True:
            uids = self.store.uids()
            doomed = [k for k, owners in self.store.owner_uids() if uids.isdisjoint(owners)]
            if not doomed:
                return
            for key in doomed:
                self.store.remove(key)

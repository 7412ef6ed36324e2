"""A synchronous mini controller: Deployments -> ReplicaSets (with revisions) -> Pods.

It does what `kubectl rollout status/history/undo` observe, nothing more: one ReplicaSet per
distinct pod template, revision annotations, pods that are Running and Ready at once (or after
`rollout_delay_seconds`), and garbage collection by ownerReferences.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import time
from typing import Any

from sandbox.fake_kube.store import Key, Obj, ObjectStore, key_of, now_iso

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes uses for generated suffixes


def template_hash(template: dict[str, Any]) -> str:
    """Stable 10-char hash of a pod template, ignoring its pod-template-hash label."""
    normal = copy.deepcopy(template)
    normal.get("metadata", {}).get("labels", {}).pop(HASH_LABEL, None)
    digest = hashlib.sha256(json.dumps(normal, sort_keys=True).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def random_suffix(length: int = 5) -> str:
    return "".join(secrets.choice(_SAFE) for _ in range(length))


def owner_ref(owner: Obj) -> dict[str, Any]:
    m = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": m["name"],
        "uid": m["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned_by(obj: Obj, uid: str) -> bool:
    return any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences", []))


def revision(obj: Obj) -> int:
    return int(obj["metadata"].get("annotations", {}).get(REVISION, "0"))


def pod_ready(pod: Obj) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_status(spec: dict[str, Any], ready: bool, started: str) -> dict[str, Any]:
    state = (
        {"running": {"startedAt": started}}
        if ready
        else {"waiting": {"reason": "ContainerCreating"}}
    )
    statuses = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "ready": ready,
            "started": ready,
            "restartCount": 0,
            "state": copy.deepcopy(state),
        }
        for c in spec.get("containers", [])
    ]
    flag = "True" if ready else "False"
    conditions = [
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": flag},
        {"type": "ContainersReady", "status": flag},
        {"type": "PodScheduled", "status": "True"},
    ]
    return {
        "phase": "Running" if ready else "Pending",
        "conditions": conditions,
        "containerStatuses": statuses,
        "startTime": started,
        "hostIP": "10.0.0.10",
        "podIP": "10.244.0.10",
        "qosClass": "BestEffort",
    }


def new_replicaset(dep: Obj, pod_hash: str, rev: int) -> Obj:
    template = copy.deepcopy(dep["spec"]["template"])
    labels = {**template.setdefault("metadata", {}).get("labels", {}), HASH_LABEL: pod_hash}
    template["metadata"]["labels"] = labels
    selector = copy.deepcopy(dep["spec"].get("selector") or {"matchLabels": dict(labels)})
    selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
    meta = {
        "name": f"{dep['metadata']['name']}-{pod_hash}",
        "labels": labels,
        "namespace": dep["metadata"]["namespace"],
        "annotations": {REVISION: str(rev)},
        "ownerReferences": [owner_ref(dep)],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta,
        "spec": {"replicas": 0, "selector": selector, "template": template},
        "status": {"replicas": 0},
    }


def deployment_conditions(
    old: list[dict[str, Any]], available: bool, complete: bool
) -> list[dict[str, Any]]:
    wanted = [
        (
            "Available",
            "True" if available else "False",
            "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
        ),
        ("Progressing", "True", "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated"),
    ]
    out = []
    for kind, status, reason in wanted:
        prev = next((c for c in old if c.get("type") == kind), None)
        if prev and (prev.get("status"), prev.get("reason")) == (status, reason):
            out.append(prev)
            continue
        stamp = now_iso()
        out.append(
            {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": reason,
                "lastUpdateTime": stamp,
                "lastTransitionTime": stamp,
            }
        )
    return out


class Controller:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.rollout_delay_seconds = 0.0
        self._ready_at: dict[str, float] = {}  # pod uid -> monotonic time it turns Ready

    def pending(self) -> bool:
        return bool(self._ready_at)

    def reconcile(self) -> None:
        self._collect_orphans()
        for dep in self.store.items("apps", "deployments"):
            self._sync_replicasets(dep)
        for rs in self.store.items("apps", "replicasets"):
            self._sync_pods(rs)
        for dep in self.store.items("apps", "deployments"):
            self._sync_deployment_status(dep)

    def _owned(self, group: str, plural: str, owner: Obj) -> list[Obj]:
        ns, uid = owner["metadata"].get("namespace"), owner["metadata"]["uid"]
        return [o for o in self.store.items(group, plural, ns) if owned_by(o, uid)]

    def _put(self, obj: Obj, group: str, plural: str) -> Obj:
        m = obj["metadata"]
        key = key_of(group, plural, m.get("namespace"), m["name"])
        exists = self.store.get(key) is not None
        return self.store.update(key, obj) if exists else self.store.insert(key, obj)

    def _sync_replicasets(self, dep: Obj) -> None:
        owned = self._owned("apps", "replicasets", dep)
        pod_hash = template_hash(dep["spec"].get("template", {}))
        current = next(
            (rs for rs in owned if rs["metadata"].get("labels", {}).get(HASH_LABEL) == pod_hash),
            None,
        )
        top = max((revision(rs) for rs in owned), default=0)
        if current is None:
            current = self._put(new_replicaset(dep, pod_hash, top + 1), "apps", "replicasets")
            owned.append(current)
        elif revision(current) < top:  # back to an old template: it becomes the newest revision
            current["metadata"]["annotations"][REVISION] = str(top + 1)
        for rs in owned:
            is_current = rs["metadata"]["uid"] == current["metadata"]["uid"]
            self._scale_replicaset(current if is_current else rs, dep, is_current)
        annotations = dep["metadata"].setdefault("annotations", {})
        annotations[REVISION] = current["metadata"]["annotations"][REVISION]
        self._put(dep, "apps", "deployments")

    def _scale_replicaset(self, rs: Obj, dep: Obj, is_current: bool) -> None:
        rs["spec"]["replicas"] = dep["spec"].get("replicas", 1) if is_current else 0
        cause = dep["metadata"].get("annotations", {}).get(CHANGE_CAUSE)
        if is_current and cause:
            rs["metadata"].setdefault("annotations", {})[CHANGE_CAUSE] = cause
        self._put(rs, "apps", "replicasets")

    def _sync_pods(self, rs: Obj) -> None:
        pods = self._owned("", "pods", rs)
        want = rs["spec"].get("replicas", 1)
        for pod in pods[want:]:
            self._ready_at.pop(pod["metadata"]["uid"], None)
            self.store.remove(
                key_of("", "pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
            )
        pods = [self._refresh_readiness(p) for p in pods[:want]]
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

    def _create_pod(self, rs: Obj) -> Obj:
        template = rs["spec"]["template"]
        meta = copy.deepcopy(template.get("metadata", {}))
        meta.update(
            name=f"{rs['metadata']['name']}-{random_suffix()}",
            namespace=rs["metadata"]["namespace"],
            ownerReferences=[owner_ref(rs)],
        )
        spec = {**copy.deepcopy(template.get("spec", {})), "nodeName": "fake-node-1"}
        ready = self.rollout_delay_seconds <= 0
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": spec,
            "status": pod_status(spec, ready, now_iso()),
        }
        pod = self._put(pod, "", "pods")
        if not ready:
            self._ready_at[pod["metadata"]["uid"]] = time.monotonic() + self.rollout_delay_seconds
        return pod

    def _refresh_readiness(self, pod: Obj) -> Obj:
        uid = pod["metadata"]["uid"]
        due = self._ready_at.get(uid)
        if due is None or time.monotonic() < due:
            return pod
        del self._ready_at[uid]
        pod["status"] = pod_status(pod["spec"], True, now_iso())
        return self._put(pod, "", "pods")

    def _sync_deployment_status(self, dep: Obj) -> None:
        pod_hash = template_hash(dep["spec"].get("template", {}))
        pods = [
            (rs["metadata"].get("labels", {}).get(HASH_LABEL) == pod_hash, p)
            for rs in self._owned("apps", "replicasets", dep)
            for p in self._owned("", "pods", rs)
        ]
        ready = sum(pod_ready(p) for _, p in pods)
        updated = sum(is_new and pod_ready(p) for is_new, p in pods)
        want = dep["spec"].get("replicas", 1)
        status = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": len(pods),
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
        }
        if want > ready:
            status["unavailableReplicas"] = want - ready
        old = dep.get("status", {}).get("conditions", [])
        status["conditions"] = deployment_conditions(old, ready >= want, updated >= want)
        dep["status"] = status
        self._put(dep, "apps", "deployments")

    def _collect_orphans(self) -> None:
        """Delete objects whose owners are all gone, repeatedly (RS first, then its pods)."""
        while True:
            uids = self.store.uids()
            doomed = [k for k in self.store.all_keys() if self._orphaned(k, uids)]
            if not doomed:
                return
            for key in doomed:
                self.store.remove(key)

    def _orphaned(self, key: Key, uids: set[str]) -> bool:
        obj = self.store.get(key) or {}
        refs = obj.get("metadata", {}).get("ownerReferences") or []
        return bool(refs) and not any(r.get("uid") in uids for r in refs)

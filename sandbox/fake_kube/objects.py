"""The objects the controller makes and reads: ReplicaSets from a Deployment's template, pods
with the status a kubelet would report, owner references, revisions."""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from typing import Any

from sandbox.fake_kube.store import Obj

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


def pod_status(
    spec: dict[str, Any], ready: bool, started: str, waiting: str = "ContainerCreating"
) -> dict[str, Any]:
    state = {"running": {"startedAt": started}} if ready else {"waiting": {"reason": waiting}}
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

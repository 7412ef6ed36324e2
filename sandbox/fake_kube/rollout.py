"""The deployment controller's arithmetic, as pure functions of Deployment and ReplicaSet
objects: maxSurge/maxUnavailable fenceposts, completeness, progress, and the conditions it sets
(`Available`, `Progressing` with its reasons)."""

from __future__ import annotations

import math
from typing import Any

from sandbox.fake_kube.store import Obj

DEFAULT_PROGRESS_DEADLINE = 600
DEFAULT_HISTORY_LIMIT = 10
DONE, UPDATED = "NewReplicaSetAvailable", "ReplicaSetUpdated"
TIMED_OUT = "ProgressDeadlineExceeded"


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """An IntOrString of the API (`1` or `"25%"`) against `total` replicas."""
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def rolling_limits(spec: dict[str, Any]) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) in pods, as the controller resolves them (its fenceposts)."""
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    desired = int(spec.get("replicas", 1))
    surge = _scaled(rolling.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable", "25%"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, desired)


def spec_replicas(rs: Obj) -> int:
    return int(rs["spec"].get("replicas", 0))


def available(rs: Obj) -> int:
    return int((rs.get("status") or {}).get("availableReplicas", 0))


def status_count(rs: Obj, field: str) -> int:
    return int((rs.get("status") or {}).get(field, 0))


def condition(status: str, reason: str, message: str, now: str) -> dict[str, Any]:
    return {
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
    }


def set_condition(conditions: dict[str, dict[str, Any]], kind: str, new: dict[str, Any]) -> None:
    """The API's SetDeploymentCondition: same status and reason keeps the old one; same status
    keeps its lastTransitionTime."""
    old = conditions.get(kind)
    if old and (old.get("status"), old.get("reason")) == (new["status"], new["reason"]):
        return
    if old and old.get("status") == new["status"]:
        new = {**new, "lastTransitionTime": old.get("lastTransitionTime", new["lastUpdateTime"])}
    conditions[kind] = {"type": kind, **new}


def complete(dep: Obj, status: dict[str, Any]) -> bool:
    desired = int(dep["spec"].get("replicas", 1))
    return (
        status["updatedReplicas"] == desired
        and status["replicas"] == desired
        and status["availableReplicas"] == desired
        and status["observedGeneration"] >= dep["metadata"].get("generation", 1)
    )


def settled(dep: Obj) -> bool:
    """Rolled out, or past its deadline: nothing left for the clock to change."""
    conditions = (dep.get("status") or {}).get("conditions") or []
    reason = next((c.get("reason") for c in conditions if c.get("type") == "Progressing"), None)
    return reason in (DONE, TIMED_OUT)


def progressed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """The deployment controller's DeploymentProgressing: any count moved the right way."""
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new["replicas"] - new["updatedReplicas"]
    return (
        new["updatedReplicas"] > old.get("updatedReplicas", 0)
        or new_old < old_old
        or new["readyReplicas"] > old.get("readyReplicas", 0)
        or new["availableReplicas"] > old.get("availableReplicas", 0)
    )

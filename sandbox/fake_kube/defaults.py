"""Defaults the API server fills into objects it stores (apps/v1 defaulting), so a client reads
back what it would read from a real cluster."""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]

_DEPLOYMENT_SPEC = {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600}
_ROLLING_UPDATE = {"maxSurge": "25%", "maxUnavailable": "25%"}


def with_defaults(group: str, plural: str, body: Obj) -> Obj:
    """A copy of `body` with the defaults of its kind filled in (only Deployments have any)."""
    body = copy.deepcopy(body)
    if (group, plural) != ("apps", "deployments") or not isinstance(body.get("spec"), dict):
        return body
    spec = body["spec"]
    for field, value in _DEPLOYMENT_SPEC.items():
        spec.setdefault(field, value)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        for limit, percent in _ROLLING_UPDATE.items():
            rolling.setdefault(limit, percent)
    return body

"""Each env's fake EKS cluster, in the state the runbook's checks expect to find.

Every cluster has the hub's namespace `rtb-ai-hub` (in int it is the hub itself, in stg/prd it
is core infrastructure) with webhook-listener (2 replicas, 2 revisions: v1.41.1 -> v1.42.0),
workflow-engine (1, KEDA-driven, 3 revisions: v1.41.0 -> v1.41.1 -> v1.42.0) and auth-service
(1), plus preview namespaces `preview-proj-<n>`. Images come from int's ECR repository (account
111111111111, as seeded by sandbox/seed_aws.py), so the §7 emergency rollback and set-image
have something to go back to:

* int: PROJ-123 expires in 1 h 30 min (inside the 2 h notice), PROJ-130 expired 5 h ago but is
  still there (a `cleanupExpired()` failure), PROJ-141 expires in 20 h.
* stg: PROJ-118 has an extra pod `worker` that is OOMKilled (restartCount 3, CrashLoopBackOff),
  PROJ-125 is healthy.
* prd: PROJ-101's `app` pod took 95 s from creation to Ready (Fargate cold start), PROJ-109 is
  healthy.

RBAC: the hub's service account may create namespaces in int and stg but not in prd.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.fake_kube import FakeKubeServer

Obj = dict[str, Any]

HUB_NAMESPACE = "rtb-ai-hub"
IMAGE_REPO = "111111111111.dkr.ecr.ap-northeast-2.amazonaws.com/rtb-hub"  # int's repository
SERVICE_ACCOUNT = "rtb-hub-sa"
SA_USER = f"system:serviceaccount:{HUB_NAMESPACE}:{SERVICE_ACCOUNT}"
CHANGE_CAUSE = "kubernetes.io/change-cause"
PREVIEW_LABEL = "rtb.io/preview"
ISSUE_LABEL = "rtb.io/issue-key"
EXPIRES_AT = "rtb.io/expires-at"
REQUESTED_BY = "rtb.io/requested-by"
SLOW_START = timedelta(seconds=95)

# deployment -> (replicas, image history oldest first: (tag, change cause)).
HUB_DEPLOYMENTS: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = {
    "webhook-listener": (2, (("v1.41.1", "release v1.41.1"), ("v1.42.0", "release v1.42.0"))),
    "workflow-engine": (
        1,
        (
            ("v1.41.0", "release v1.41.0"),
            ("v1.41.1", "hotfix v1.41.1: back off on Claude 529"),
            ("v1.42.0", "release v1.42.0"),
        ),
    ),
    "auth-service": (1, (("v1.42.0", "release v1.42.0"),)),
}
KEDA_TARGET = "workflow-engine"


@dataclass(frozen=True)
class Preview:
    issue: str
    requested_by: str
    expires_in: timedelta  # negative: already expired
    extra: str | None = None  # "oom-pod" | "slow-start"


PREVIEWS: dict[str, tuple[Preview, ...]] = {
    "int": (
        Preview("PROJ-123", "UOPERATOR1", timedelta(hours=1, minutes=30)),
        Preview("PROJ-130", "UOPERATOR2", -timedelta(hours=5)),
        Preview("PROJ-141", "ULEAD1", timedelta(hours=20)),
    ),
    "stg": (
        Preview("PROJ-118", "UOPERATOR1", timedelta(hours=12), extra="oom-pod"),
        Preview("PROJ-125", "UOPERATOR2", timedelta(hours=30)),
    ),
    "prd": (
        Preview("PROJ-101", "ULEAD1", timedelta(hours=6), extra="slow-start"),
        Preview("PROJ-109", "UOPERATOR1", timedelta(hours=40)),
    ),
}

# (verb, resource, namespace or None for all) granted to the hub's service account.
SA_RULES: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "int": (
        ("create", "namespaces", None),
        ("delete", "namespaces", None),
        ("create", "deployments", None),
        ("list", "pods", None),
    ),
    "stg": (
        ("create", "namespaces", None),
        ("delete", "namespaces", None),
        ("create", "deployments", None),
        ("list", "pods", None),
    ),
    "prd": (
        ("delete", "namespaces", None),
        ("create", "deployments", None),
        ("list", "pods", None),
    ),
}

# Pino lines of workflow-engine: (seconds before now, level, issue, workflow, ms, message).
ENGINE_LOG: tuple[tuple[int, str, str, str, int | None, str], ...] = (
    (840, "info", "PROJ-120", "jira-auto-dev", None, "workflow started"),
    (812, "info", "PROJ-120", "jira-auto-dev", 27900, "workflow completed"),
    (700, "info", "PROJ-121", "pr-review", None, "workflow started"),
    (688, "info", "PROJ-121", "pr-review", 11800, "workflow completed"),
    (610, "info", "PROJ-123", "jira-auto-dev", None, "workflow started"),
    (598, "error", "PROJ-123", "jira-auto-dev", 12400, "Claude API 529 overloaded"),
    (540, "info", "PROJ-126", "preview-deploy", 31200, "workflow completed"),
    (420, "info", "PROJ-123", "jira-auto-dev", None, "retrying after Claude API 529"),
    (401, "error", "PROJ-123", "jira-auto-dev", 18900, "Claude API 529 overloaded"),
    (330, "info", "PROJ-127", "jira-auto-dev", None, "workflow started"),
    (296, "error", "PROJ-127", "jira-auto-dev", 34100, "git push rejected: non-fast-forward"),
    (240, "info", "PROJ-128", "incident-summary", 5400, "workflow completed"),
    (180, "error", "PROJ-129", "jira-auto-dev", 9800, "Claude API 529 overloaded"),
    (120, "info", "PROJ-131", "jira-auto-dev", None, "workflow started"),
    (60, "warn", "PROJ-131", "jira-auto-dev", None, "Claude API slow response (8.2 s)"),
    (20, "info", "PROJ-132", "pr-review", 10900, "workflow completed"),
)
OOM_LOG = (
    "<--- Last few GCs --->\n"
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n"
)


def seed_cluster(server: FakeKubeServer, env: str, *, now: datetime) -> None:
    """Fill `server` (the fake cluster of `env`: int, stg or prd)."""
    now = now.astimezone(UTC)
    seed_hub_namespace(server)
    set_engine_logs(server, env, now)
    for preview in PREVIEWS[env]:
        seed_preview(server, preview, now)
    for verb, resource, namespace in SA_RULES[env]:
        server.allow(SA_USER, verb, resource, namespace)


# -- the hub ---------------------------------------------------------------------------------


def seed_hub_namespace(server: FakeKubeServer) -> None:
    server.apply(namespace(HUB_NAMESPACE, {"app.kubernetes.io/part-of": "rtb-ai-hub"}))
    server.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": HUB_NAMESPACE},
        }
    )
    for name, (replicas, history) in HUB_DEPLOYMENTS.items():
        for tag, cause in history:  # each apply is a rollout: a new ReplicaSet revision
            server.apply(hub_deployment(name, replicas, tag, cause))
    server.apply(scaled_object(KEDA_TARGET))
    server.apply(keda_hpa(KEDA_TARGET))


def hub_deployment(name: str, replicas: int, tag: str, cause: str) -> Obj:
    annotations = {CHANGE_CAUSE: cause}
    if name == KEDA_TARGET:
        annotations |= {"rtb.io/autoscaler": "keda", "rtb.io/scaled-object": KEDA_TARGET}
    container = {
        "name": name,
        "image": f"{IMAGE_REPO}:{tag}",
        "ports": [{"containerPort": 3000}],
        "env": [{"name": "NODE_ENV", "value": "production"}],
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
    }
    return deployment(
        name,
        HUB_NAMESPACE,
        replicas,
        container,
        annotations,
        {"app.kubernetes.io/part-of": "rtb-ai-hub"},
        SERVICE_ACCOUNT,
    )


def scaled_object(target: str) -> Obj:
    trigger = {
        "type": "redis",
        "metadata": {
            "address": "redis.rtb-ai-hub.svc:6379",
            "listName": "bull:jira-queue:wait",
            "listLength": "5",
        },
    }
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": target, "namespace": HUB_NAMESPACE},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicaCount": 0,
            "maxReplicaCount": 10,
            "pollingInterval": 15,
            "cooldownPeriod": 300,
            "triggers": [trigger],
        },
        "status": {
            "scaleTargetKind": "apps/v1.Deployment",
            "hpaName": f"keda-hpa-{target}",
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Active", "status": "True"},
            ],
        },
    }


def keda_hpa(target: str) -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": f"keda-hpa-{target}",
            "namespace": HUB_NAMESPACE,
            "labels": {"scaledobject.keda.sh/name": target},
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 1,
            "maxReplicas": 10,
        },
        "status": {"currentReplicas": 1, "desiredReplicas": 1},
    }


def set_engine_logs(server: FakeKubeServer, env: str, now: datetime) -> None:
    text = "".join(pino_line(env, now, *event) + "\n" for event in ENGINE_LOG)
    for pod in pods_of(server, HUB_NAMESPACE, KEDA_TARGET):
        server.set_pod_logs(HUB_NAMESPACE, pod["metadata"]["name"], text)


def pino_line(
    env: str,
    now: datetime,
    seconds_ago: int,
    level: str,
    issue: str,
    workflow: str,
    duration_ms: int | None,
    msg: str,
) -> str:
    moment = now - timedelta(seconds=seconds_ago)
    line: Obj = {
        "level": level,
        "time": int(moment.timestamp() * 1000),
        "service": KEDA_TARGET,
        "env": env,
        "issueKey": issue,
        "workflowType": workflow,
    }
    if duration_ms is not None:
        line["durationMs"] = duration_ms
    line["msg"] = msg
    return json.dumps(line, separators=(",", ":"))


# -- previews --------------------------------------------------------------------------------


def seed_preview(server: FakeKubeServer, preview: Preview, now: datetime) -> None:
    ns = f"preview-{preview.issue.lower()}"  # DNS-1123 names are lowercase; the label keeps the key
    labels = {PREVIEW_LABEL: "true", ISSUE_LABEL: preview.issue}
    annotations = {EXPIRES_AT: iso(now + preview.expires_in), REQUESTED_BY: preview.requested_by}
    created = min(now - timedelta(hours=1), now + preview.expires_in - timedelta(hours=24))
    ns_obj = namespace(ns, labels, annotations)
    ns_obj["metadata"]["creationTimestamp"] = iso(created)
    server.apply(ns_obj)
    container = {
        "name": "app",
        "image": f"{IMAGE_REPO}:preview-{preview.issue.lower()}",
        "resources": {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"memory": "512Mi"},
        },
    }
    server.apply(deployment("app", ns, 1, container, {}, labels))
    if preview.extra == "oom-pod":
        server.apply(oom_pod(ns, labels, now))
        server.set_pod_logs(ns, "worker", OOM_LOG)
        server.set_pod_logs(ns, "worker", OOM_LOG, previous=True)  # the killed run's (--previous)
    elif preview.extra == "slow-start":
        for pod in pods_of(server, ns, "app"):
            server.apply(slow_started(pod))


def oom_pod(ns: str, labels: dict[str, str], now: datetime) -> Obj:
    last_run = {
        "terminated": {
            "reason": "OOMKilled",
            "exitCode": 137,
            "startedAt": iso(now - timedelta(seconds=95)),
            "finishedAt": iso(now - timedelta(seconds=40)),
        }
    }
    waiting = {
        "waiting": {
            "reason": "CrashLoopBackOff",
            "message": "back-off 40s restarting failed container=worker",
        }
    }
    image = f"{IMAGE_REPO}:preview-{labels[ISSUE_LABEL].lower()}"
    status = {
        "name": "worker",
        "image": image,
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": 3,
        "state": waiting,
        "lastState": last_run,
    }
    conditions = [
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
        {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady"},
        {"type": "PodScheduled", "status": "True"},
    ]
    spec = {
        "containers": [
            {
                "name": "worker",
                "image": image,
                "command": ["node", "worker.js"],
                "resources": {"limits": {"memory": "256Mi"}},
            }
        ],
        "restartPolicy": "Always",
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "worker", "namespace": ns, "labels": {**labels, "app": "worker"}},
        "spec": spec,
        "status": {
            "phase": "Running",
            "conditions": conditions,
            "containerStatuses": [status],
            "startTime": iso(now - timedelta(minutes=6)),
        },
    }


def slow_started(pod: Obj) -> Obj:
    """The pod as the controller made it, but Ready 95 s after its creationTimestamp."""
    created = parse_iso(pod["metadata"]["creationTimestamp"])
    ready_at = iso(created + SLOW_START)
    status = pod["status"]
    status["startTime"] = iso(created + timedelta(seconds=62))  # Fargate node provisioning
    for condition in status["conditions"]:
        condition["lastTransitionTime"] = iso(created + timedelta(seconds=1))
        if condition["type"] in ("Ready", "ContainersReady"):
            condition["lastTransitionTime"] = ready_at
    for container in status["containerStatuses"]:
        container["state"] = {"running": {"startedAt": iso(created + timedelta(seconds=88))}}
    return pod


# -- helpers ---------------------------------------------------------------------------------


def namespace(name: str, labels: dict[str, str], annotations: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta,
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def deployment(
    name: str,
    ns: str,
    replicas: int,
    container: Obj,
    annotations: dict[str, str],
    labels: dict[str, str],
    service_account: str | None = None,
) -> Obj:
    pod_labels = {"app": name, **labels}
    pod_spec: Obj = {"containers": [container]}
    if service_account:
        pod_spec["serviceAccountName"] = service_account
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": pod_labels,
            "annotations": annotations,
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec},
        },
    }


def pods_of(server: FakeKubeServer, ns: str, app: str) -> Iterator[Obj]:
    return (p for p in server.list("pods", ns) if p["metadata"].get("labels", {}).get("app") == app)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

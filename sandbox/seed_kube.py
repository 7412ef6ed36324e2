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

Time: the seed replays the clusters' history on their clocks (`Step`s, oldest first), so every
timestamp is the one a real cluster would have written: the hub's ReplicaSets at their
releases (days apart, the current revision newest), a preview's namespace at its creation
(24 h before its TTL ends), its pods seconds later, a restart or an OOMKill when it happened.
Everything is relative to one `now` (the stack's); the clock then catches up with wall time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
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

# Releases of the hub, as long ago as they were rolled out (each service a few minutes after
# the one before it, in HUB_DEPLOYMENTS' order).
RELEASED_AGO = {
    "v1.41.0": timedelta(days=23, hours=4),
    "v1.41.1": timedelta(days=9, hours=6),
    "v1.42.0": timedelta(days=2, hours=5),
}
HUB_CREATED_AGO = timedelta(days=90)  # the rtb-ai-hub namespace, long before any of these
BETWEEN_SERVICES = timedelta(minutes=3)

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


POD_AFTER_NAMESPACE = timedelta(seconds=6)  # the hub creates the deployment right after


@dataclass(frozen=True)
class Preview:
    issue: str
    requested_by: str
    age: timedelta  # since its namespace was created
    ttl: timedelta  # `/rtb preview create … --ttl` (the bot's default is 8 h; these are longer)
    extra: str | None = None  # "oom-pod" | "slow-start"

    @property
    def expires_in(self) -> timedelta:
        """Negative: already expired."""
        return self.ttl - self.age

    def created(self, now: datetime) -> datetime:
        return now - self.age

    @property
    def namespace(self) -> str:
        return f"preview-{self.issue.lower()}"  # DNS-1123 names are lowercase; a label keeps it


DAY = timedelta(days=1)
PREVIEWS: dict[str, tuple[Preview, ...]] = {
    "int": (
        Preview("PROJ-123", "UOPERATOR1", timedelta(hours=22, minutes=30), DAY),  # 1 h 30 left
        Preview("PROJ-130", "UOPERATOR2", timedelta(hours=29), DAY),  # expired 5 h ago
        Preview("PROJ-141", "ULEAD1", timedelta(hours=4), DAY),
    ),
    "stg": (
        Preview("PROJ-118", "UOPERATOR1", timedelta(hours=12), DAY, extra="oom-pod"),
        Preview("PROJ-125", "UOPERATOR2", timedelta(hours=17), 2 * DAY),  # 31 h left
    ),
    "prd": (
        Preview("PROJ-101", "ULEAD1", timedelta(hours=18), DAY, extra="slow-start"),  # 6 h left
        Preview("PROJ-109", "UOPERATOR1", timedelta(hours=8), 2 * DAY),  # 40 h left
    ),
}

# The OOMKilled worker of stg's PROJ-118 (oom-pod): fine for hours, then killed 4 times in the
# last minutes (restartCount 3, the kubelet's back-off doubling from 10 s: now 80 s).
OOM_RESTARTS = 3
OOM_LAST_RUN = (timedelta(minutes=6), timedelta(seconds=40))  # started, killed: this long ago
OOM_BACK_OFF = "1m20s"
# prd's PROJ-101 (slow-start): its app was restarted this long ago (`kubectl rollout restart`,
# a new revision) and the new pod took SLOW_START to turn Ready (a Fargate cold start).
RESTARTED_AGO = timedelta(minutes=21, seconds=35)

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
    (540, "info", "PROJ-126", "pr-review", 9200, "workflow completed"),
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


@dataclass(frozen=True)
class Step:
    """One write of the cluster's history, at the moment it happened."""

    at: datetime
    write: Callable[[], object]


def seed_cluster(server: FakeKubeServer, env: str, *, now: datetime) -> None:
    """Fill `server` (the fake cluster of `env`: int, stg or prd, empty) by replaying its
    history up to `now` on the cluster's clock."""
    now = now.astimezone(UTC)
    steps = hub_steps(server, now) + [
        step for preview in PREVIEWS[env] for step in preview_steps(server, preview, now)
    ]
    replay(server, steps, now)
    set_engine_logs(server, env, now)
    for verb, resource, namespace in SA_RULES[env]:
        server.allow(SA_USER, verb, resource, namespace)


def replay(server: FakeKubeServer, steps: list[Step], now: datetime) -> None:
    """Run `steps` oldest first, each at its moment, then bring the clock to `now` and on to
    wall time. A cluster that already has objects cannot go back: its steps all run now."""
    steps = sorted(steps, key=lambda step: step.at)
    if steps and server.is_empty():
        server.start_history_at(steps[0].at)
    for step in steps:
        server.advance_to(step.at)
        step.write()
    server.advance_to(now)
    server.catch_up_with_wall_time()


# -- the hub ---------------------------------------------------------------------------------


def seed_hub_namespace(server: FakeKubeServer, now: datetime | None = None) -> None:
    """The hub's namespace, its three deployments (one rollout per release) and KEDA."""
    moment = now or datetime.now(UTC).replace(microsecond=0)  # whole seconds, as the API's
    replay(server, hub_steps(server, moment), moment)


def hub_steps(server: FakeKubeServer, now: datetime) -> list[Step]:
    def created() -> None:
        server.apply(namespace(HUB_NAMESPACE, {"app.kubernetes.io/part-of": "rtb-ai-hub"}))
        server.apply(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": SERVICE_ACCOUNT, "namespace": HUB_NAMESPACE},
            }
        )

    def rollout(name: str, replicas: int, tag: str, cause: str) -> Step:
        order = list(HUB_DEPLOYMENTS).index(name)
        at = now - RELEASED_AGO[tag] + order * BETWEEN_SERVICES
        return Step(at, lambda: server.apply(hub_deployment(name, replicas, tag, cause)))

    def autoscaled() -> None:
        server.apply(scaled_object(KEDA_TARGET))
        server.apply(keda_hpa(KEDA_TARGET))

    rollouts = [  # each apply is a rollout: a new ReplicaSet revision
        rollout(name, replicas, tag, cause)
        for name, (replicas, history) in HUB_DEPLOYMENTS.items()
        for tag, cause in history
    ]
    first_engine = min(step.at for step in rollouts)
    return [
        Step(now - HUB_CREATED_AGO, created),
        *rollouts,
        Step(first_engine + timedelta(minutes=1), autoscaled),
    ]


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


def preview_steps(server: FakeKubeServer, preview: Preview, now: datetime) -> list[Step]:
    """Its namespace and app at its creation, then what happened to it since."""
    ns = preview.namespace
    labels = {PREVIEW_LABEL: "true", ISSUE_LABEL: preview.issue}
    created = preview.created(now)
    annotations = {EXPIRES_AT: iso(now + preview.expires_in), REQUESTED_BY: preview.requested_by}
    container = {
        "name": "app",
        "image": f"{IMAGE_REPO}:preview-{preview.issue.lower()}",
        "resources": {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"memory": "512Mi"},
        },
    }

    def app(template_annotations: dict[str, str] | None = None) -> None:
        server.apply(deployment("app", ns, 1, container, {}, labels, None, template_annotations))

    steps = [
        Step(created, lambda: server.apply(namespace(ns, labels, annotations))),
        Step(created + POD_AFTER_NAMESPACE, app),
    ]
    if preview.extra == "oom-pod":
        steps += oom_steps(server, ns, labels, created, now)
    elif preview.extra == "slow-start":
        restarted = now - RESTARTED_AGO

        def restart() -> None:  # `kubectl rollout restart`: a new revision, a new pod
            app({"kubectl.kubernetes.io/restartedAt": iso(restarted)})
            for pod in pods_of(server, ns, "app"):
                server.apply(slow_started(pod))

        steps.append(Step(restarted, restart))
    return steps


def oom_steps(
    server: FakeKubeServer, ns: str, labels: dict[str, str], created: datetime, now: datetime
) -> list[Step]:
    """The worker pod, running since the preview began; then its OOMKills of the last minutes
    and the kubelet's events about them."""
    started = created + POD_AFTER_NAMESPACE + timedelta(seconds=4)
    run_started, killed = (now - ago for ago in OOM_LAST_RUN)

    def running() -> None:
        server.apply(worker_pod(ns, labels, started, None))

    def crash_looping() -> None:
        server.apply(worker_pod(ns, labels, started, (run_started, killed)))
        for event in worker_events(ns, run_started, killed):
            server.apply(event)
        server.set_pod_logs(ns, "worker", OOM_LOG)
        server.set_pod_logs(ns, "worker", OOM_LOG, previous=True)  # the killed run's (--previous)

    return [Step(started, running), Step(killed, crash_looping)]


def worker_pod(
    ns: str, labels: dict[str, str], started: datetime, last_run: tuple[datetime, datetime] | None
) -> Obj:
    """The worker as its kubelet reports it: running since `started`, or (`last_run`: the
    killed run's start and end) OOMKilled and waiting in CrashLoopBackOff."""
    image = f"{IMAGE_REPO}:preview-{labels[ISSUE_LABEL].lower()}"
    status: Obj = {"name": "worker", "image": image, "imageID": ""}
    if last_run is None:
        state = {"running": {"startedAt": iso(started)}}
        status |= {"ready": True, "started": True, "restartCount": 0, "state": state}
        ready = "True"
    else:
        terminated = {
            "reason": "OOMKilled",
            "exitCode": 137,
            "startedAt": iso(last_run[0]),
            "finishedAt": iso(last_run[1]),
        }
        waiting = {
            "reason": "CrashLoopBackOff",
            "message": f"back-off {OOM_BACK_OFF} restarting failed container=worker",
        }
        status |= {
            "ready": False,
            "started": False,
            "restartCount": OOM_RESTARTS,
            "state": {"waiting": waiting},
            "lastState": {"terminated": terminated},
        }
        ready = "False"
    conditions = [
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": ready},
        {"type": "ContainersReady", "status": ready},
        {"type": "PodScheduled", "status": "True"},
    ]
    for condition in conditions[1:3]:
        if ready == "False":
            condition["reason"] = "ContainersNotReady"
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
            "startTime": iso(started),
        },
    }


def worker_events(ns: str, run_started: datetime, killed: datetime) -> list[Obj]:
    """`kubectl describe pod worker`'s Events: the restarts of the crash loop (older events
    have expired: the API server keeps them an hour)."""
    first_kill = run_started - timedelta(minutes=2)
    image = f"{IMAGE_REPO}:preview-{ns.removeprefix('preview-')}"
    said = (
        ("Normal", "Pulled", f'Container image "{image}" already present on machine', 3),
        ("Normal", "Created", "Created container worker", 3),
        ("Normal", "Started", "Started container worker", 3),
        ("Warning", "BackOff", "Back-off restarting failed container worker in pod worker", 4),
    )
    return [
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"worker.{reason.lower()}", "namespace": ns},
            "involvedObject": {"kind": "Pod", "name": "worker", "namespace": ns},
            "type": kind,
            "reason": reason,
            "message": message,
            "count": count,
            "firstTimestamp": iso(first_kill),
            "lastTimestamp": iso(killed if reason == "BackOff" else run_started),
        }
        for kind, reason, message, count in said
    ]


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
    template_annotations: dict[str, str] | None = None,
) -> Obj:
    pod_labels = {"app": name, **labels}
    pod_spec: Obj = {"containers": [container]}
    if service_account:
        pod_spec["serviceAccountName"] = service_account
    template_meta: Obj = {"labels": pod_labels}
    if template_annotations:
        template_meta["annotations"] = template_annotations
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
            "template": {"metadata": template_meta, "spec": pod_spec},
        },
    }


def pods_of(server: FakeKubeServer, ns: str, app: str) -> Iterator[Obj]:
    return (p for p in server.list("pods", ns) if p["metadata"].get("labels", {}).get("app") == app)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

"""Kubernetes reads in one env: pods, pod logs, rollout history and status, access reviews.

Slack-agnostic: async functions take the backends and parsed arguments and return frozen
dataclasses; the words a user reads are in handlers/render/cluster.py. Nothing here changes a
cluster: every call is a GET, except the SubjectAccessReview POST, which the API server
evaluates and does not store.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import UserError

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
OOM_KILLED = "OOMKilled"
CRASH_LOOP = "CrashLoopBackOff"


# -- small helpers shared with ops.previews -------------------------------------------------


def parse_time(text: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp as an aware datetime (naive ones are taken as UTC)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


def _meta(obj: Obj) -> Obj:
    meta: Obj = obj.get("metadata") or {}
    return meta


def _annotation(obj: Obj, key: str) -> str | None:
    value = (_meta(obj).get("annotations") or {}).get(key)
    return value if isinstance(value, str) else None


# -- label selectors -------------------------------------------------------------------------

_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
_LABEL_KEY = re.compile(rf"(?:{_PREFIX}/)?{_NAME}")
_LABEL_VALUE = re.compile(rf"(?:{_NAME})?")
_TERM = re.compile(r"(?P<key>[^=!\s]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^=!\s]*)")


def check_label_selector(text: str) -> str:
    """The equality subset of label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated.

    Returns the selector normalised (no spaces); raises ValueError on anything else, so the
    user's text is never passed on to the API server unchecked.
    """
    if not text.strip() or len(text) > 1000:
        raise ValueError("expected key=value (or key!=value), comma-separated")
    return ",".join(_selector_term(term.strip()) for term in text.split(","))


def _selector_term(term: str) -> str:
    match = _TERM.fullmatch(term)
    if match:
        key, op, value = match["key"], match["op"], match["value"]
        _check_key(key)
        if not _LABEL_VALUE.fullmatch(value):
            raise ValueError(f"`{value[:40]}` is not a label value (letters, digits, - _ .)")
        return f"{key}{op}{value}"
    key = term[1:] if term.startswith("!") else term
    _check_key(key)
    return term


def _check_key(key: str) -> None:
    prefix = key.rpartition("/")[0]
    if len(prefix) > 253 or not _LABEL_KEY.fullmatch(key):
        raise ValueError(
            f"`{key[:40]}` is not a label key (letters, digits, - _ . and an optional "
            "dns-prefix/); expected key=value or key!=value, comma-separated"
        )


# -- pods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Termination:
    """How a container's run ended: its current state or, when running again, its last one."""

    container: str
    reason: str  # OOMKilled, Error, Completed, …
    exit_code: int | None
    finished_at: datetime | None


@dataclass(frozen=True)
class PodSummary:
    name: str
    namespace: str
    phase: str  # Pending, Running, Succeeded, Failed, Unknown, or Terminating when deleted
    ready: int  # ready containers
    containers: int
    restarts: int
    created_at: datetime | None
    start_seconds: float | None  # creationTimestamp → Ready condition; None while not Ready
    slow_start: bool  # start_seconds above the Fargate cold-start threshold
    waiting_reason: str | None  # CrashLoopBackOff, ImagePullBackOff, ContainerCreating, …
    last_termination: Termination | None

    @property
    def oom_killed(self) -> bool:
        return self.last_termination is not None and self.last_termination.reason == OOM_KILLED

    @property
    def crash_looping(self) -> bool:
        return self.waiting_reason == CRASH_LOOP

    @property
    def healthy(self) -> bool:
        if self.oom_killed or self.crash_looping:
            return False
        return self.phase == "Succeeded" or (
            self.phase == "Running" and self.ready == self.containers
        )


@dataclass(frozen=True)
class PodList:
    env: EnvName
    namespace: str
    selector: str | None
    pods: tuple[PodSummary, ...]
    checked_at: datetime
    slow_start_seconds: float


def summarize_pod(pod: Obj, slow_start_seconds: float) -> PodSummary:
    """What `kubectl get pods` shows, plus start duration and the last termination reason."""
    meta, status = _meta(pod), pod.get("status") or {}
    statuses: list[Obj] = status.get("containerStatuses") or []
    created = parse_time(meta.get("creationTimestamp"))
    start = _start_seconds(created, status.get("conditions") or [])
    return PodSummary(
        name=meta.get("name", "?"),
        namespace=meta.get("namespace", ""),
        phase="Terminating" if meta.get("deletionTimestamp") else status.get("phase", "Unknown"),
        ready=sum(1 for s in statuses if s.get("ready")),
        containers=len((pod.get("spec") or {}).get("containers") or statuses),
        restarts=sum(int(s.get("restartCount") or 0) for s in statuses),
        created_at=created,
        start_seconds=start,
        slow_start=start is not None and start > slow_start_seconds,
        waiting_reason=_waiting_reason(statuses),
        last_termination=_last_termination(statuses),
    )


def _start_seconds(created: datetime | None, conditions: list[Obj]) -> float | None:
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    if created is None or ready is None or ready.get("status") != "True":
        return None
    became_ready = parse_time(ready.get("lastTransitionTime"))
    if became_ready is None:
        return None
    return max(0.0, (became_ready - created).total_seconds())


def _waiting_reason(statuses: list[Obj]) -> str | None:
    reasons = [((s.get("state") or {}).get("waiting") or {}).get("reason") for s in statuses]
    named = [r for r in reasons if r]
    return CRASH_LOOP if CRASH_LOOP in named else (named[0] if named else None)


def _last_termination(statuses: list[Obj]) -> Termination | None:
    """An OOMKilled run wins (the runbook alerts on it at once), then the newest one."""
    ended: list[Termination] = []
    for status in statuses:
        for state in (status.get("state") or {}, status.get("lastState") or {}):
            terminated = state.get("terminated")
            if terminated:
                ended.append(
                    Termination(
                        container=status.get("name", "?"),
                        reason=terminated.get("reason") or "Unknown",
                        exit_code=terminated.get("exitCode"),
                        finished_at=parse_time(terminated.get("finishedAt")),
                    )
                )
    if not ended:
        return None
    oom = [t for t in ended if t.reason == OOM_KILLED]
    oldest = datetime.min.replace(tzinfo=UTC)
    return (oom or sorted(ended, key=lambda t: t.finished_at or oldest, reverse=True))[0]


async def list_pods(
    backends: Backends, env: EnvName, namespace: str, selector: str | None = None
) -> PodList:
    kwargs: Obj = {"namespace": namespace}
    if selector:
        kwargs["label_selector"] = check_label_selector(selector)
    result = await backends.kube.call(env, "core", "list_namespaced_pod", **kwargs)
    threshold = backends.config.thresholds.pod_start_seconds
    pods = sorted(
        (summarize_pod(p, threshold) for p in result.get("items") or []), key=lambda p: p.name
    )
    return PodList(env, namespace, selector, tuple(pods), now_utc(), threshold)


# -- logs ------------------------------------------------------------------------------------

PINO_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
LEVEL_ORDER = ("fatal", "error", "warn", "info", "debug", "trace")


@dataclass(frozen=True)
class LogLine:
    """One log line; the Pino fields are filled in when the line is Pino JSON."""

    text: str
    level: str | None = None
    time: datetime | None = None
    msg: str | None = None
    issue_key: str | None = None
    workflow_type: str | None = None
    duration_ms: float | None = None


@dataclass(frozen=True)
class PodLogs:
    env: EnvName
    namespace: str
    pod: str
    container: str
    deployment: str | None  # set when the user named a deployment
    tail: int
    since: timedelta | None
    text: str
    lines: tuple[LogLine, ...]
    previous: bool = False  # the container's last terminated run (`--previous`)

    @property
    def level_counts(self) -> dict[str, int]:
        """Pino lines per level, most severe first; empty when no line is Pino JSON."""
        counts = Counter(line.level for line in self.lines if line.level)
        return {level: counts[level] for level in LEVEL_ORDER if counts[level]} | {
            level: n for level, n in counts.items() if level not in LEVEL_ORDER
        }


def parse_log_line(text: str) -> LogLine:
    if not text.startswith("{"):
        return LogLine(text)
    try:
        data = json.loads(text)
    except ValueError:
        return LogLine(text)
    if not isinstance(data, dict) or "level" not in data:
        return LogLine(text)
    level = data["level"]
    name = PINO_LEVELS.get(level, str(level)) if isinstance(level, int) else str(level).lower()
    moment = data.get("time")
    duration = data.get("durationMs")
    return LogLine(
        text=text,
        level=name,
        time=datetime.fromtimestamp(moment / 1000, UTC)
        if isinstance(moment, int | float)
        else None,
        msg=str(data["msg"]) if "msg" in data else None,
        issue_key=str(data["issueKey"]) if data.get("issueKey") else None,
        workflow_type=str(data["workflowType"]) if data.get("workflowType") else None,
        duration_ms=float(duration) if isinstance(duration, int | float) else None,
    )


async def pod_logs(
    backends: Backends,
    env: EnvName,
    namespace: str,
    target: str,
    *,
    tail: int = 100,
    since: timedelta | None = None,
    container: str | None = None,
    previous: bool = False,
) -> PodLogs:
    """`target` is a deployment (its newest pod is read) or a pod name; `container` (default:
    the pod's default container) must be one of the pod's; `previous` reads the container's
    last terminated run (what an OOMKilled container wrote before it was killed)."""
    pod, deployment = await _log_pod(backends, env, namespace, target)
    container = _chosen_container(pod, container) if container else _log_container(pod)
    kwargs: Obj = {"tail_lines": tail}
    if since is not None:
        kwargs["since_seconds"] = max(1, int(since.total_seconds()))
    if previous:
        _check_restarted(pod, container)
        kwargs["previous"] = True
    text = await backends.kube.call(
        env,
        "core",
        "read_namespaced_pod_log",
        name=_meta(pod)["name"],
        namespace=namespace,
        container=container,
        **kwargs,
    )
    text = text if isinstance(text, str) else ""
    lines = tuple(parse_log_line(line) for line in text.splitlines() if line.strip())
    name = _meta(pod)["name"]
    return PodLogs(env, namespace, name, container, deployment, tail, since, text, lines, previous)


def _check_restarted(pod: Obj, container: str) -> None:
    """`--previous` needs a terminated run; the API's answer otherwise is a bare 400."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    status: Obj = next((s for s in statuses if s.get("name") == container), {})
    if not (status.get("lastState") or {}).get("terminated"):
        raise UserError(
            f"Container `{container}` of pod `{_meta(pod).get('name')}` has not restarted: there"
            " is no previous run to read (drop `--previous` for its current log)."
        )


def _chosen_container(pod: Obj, container: str) -> str:
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    if container not in names:
        shown = ", ".join(f"`{n}`" for n in names) or "none"
        raise UserError(f"Pod `{_meta(pod).get('name')}` has no container `{container}` ({shown}).")
    return container


async def _log_pod(
    backends: Backends, env: EnvName, namespace: str, target: str
) -> tuple[Obj, str | None]:
    deployment = await _find(backends, env, "apps", "deployment", namespace, target)
    if deployment is not None:
        pods = await _deployment_pods(backends, env, deployment)
        if not pods:
            raise UserError(
                f"Deployment `{target}` in `{namespace}` ({env}) has no pods (scaled to 0?)."
            )
        oldest = datetime.min.replace(tzinfo=UTC)
        newest = max(pods, key=lambda p: parse_time(_meta(p).get("creationTimestamp")) or oldest)
        return newest, target
    pod = await _find(backends, env, "core", "pod", namespace, target)
    if pod is None:
        raise UserError(f"No deployment or pod `{target}` in `{namespace}` ({env}).")
    return pod, None


def _log_container(pod: Obj) -> str:
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    preferred = _annotation(pod, DEFAULT_CONTAINER)
    if preferred in names:
        return preferred or ""
    return names[0] if names else ""


async def _find(
    backends: Backends, env: EnvName, api: str, kind: str, namespace: str, name: str
) -> Obj | None:
    """One object by name, or None: a list with a field selector answers "none" without a 404."""
    result = await backends.kube.call(
        env,
        api,
        f"list_namespaced_{kind}",
        namespace=namespace,
        field_selector=f"metadata.name={name}",
    )
    items: list[Obj] = result.get("items") or []
    return items[0] if items else None


async def _deployment_pods(backends: Backends, env: EnvName, deployment: Obj) -> list[Obj]:
    labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not labels:
        return []
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    result = await backends.kube.call(
        env,
        "core",
        "list_namespaced_pod",
        namespace=_meta(deployment).get("namespace"),
        label_selector=selector,
    )
    items: list[Obj] = result.get("items") or []
    return items


async def get_deployment(backends: Backends, env: EnvName, namespace: str, name: str) -> Obj:
    deployment = await _find(backends, env, "apps", "deployment", namespace, name)
    if deployment is None:
        raise UserError(f"No deployment `{name}` in `{namespace}` ({env}).")
    return deployment


# -- rollout history -------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    number: int
    replicaset: str
    images: tuple[str, ...]
    created_at: datetime | None
    change_cause: str | None
    current: bool
    pods: int  # replicas the ReplicaSet runs now


@dataclass(frozen=True)
class RolloutHistory:
    env: EnvName
    namespace: str
    deployment: str
    revisions: tuple[Revision, ...]  # newest first


async def rollout_history(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> RolloutHistory:
    """`kubectl rollout history`: the deployment's ReplicaSets (owned by uid) by revision."""
    deployment = await get_deployment(backends, env, namespace, name)
    result = await backends.kube.call(
        env, "apps", "list_namespaced_replica_set", namespace=namespace
    )
    uid = _meta(deployment).get("uid")
    owned = [
        rs
        for rs in result.get("items") or []
        if any(ref.get("uid") == uid for ref in _meta(rs).get("ownerReferences") or [])
    ]
    current = _annotation(deployment, REVISION)
    revisions = sorted((_revision(rs, current) for rs in owned), key=lambda r: -r.number)
    return RolloutHistory(env, namespace, name, tuple(revisions))


def _revision(replicaset: Obj, current: str | None) -> Revision:
    number = _annotation(replicaset, REVISION) or "0"
    template = ((replicaset.get("spec") or {}).get("template") or {}).get("spec") or {}
    return Revision(
        number=int(number) if number.isdigit() else 0,
        replicaset=_meta(replicaset).get("name", "?"),
        images=tuple(c.get("image", "?") for c in template.get("containers") or []),
        created_at=parse_time(_meta(replicaset).get("creationTimestamp")),
        change_cause=_annotation(replicaset, CHANGE_CAUSE),
        current=number == current,
        pods=int((replicaset.get("status") or {}).get("replicas") or 0),
    )


# -- rollout status --------------------------------------------------------------------------

RolloutState = Literal["complete", "progressing", "failed", "paused", "unobserved"]


@dataclass(frozen=True)
class RolloutStatus:
    env: EnvName
    namespace: str
    deployment: str
    state: RolloutState
    generation: int
    observed_generation: int
    desired: int
    updated: int
    ready: int
    available: int
    total: int  # every pod of the deployment, old ReplicaSets included
    progressing_reason: str | None
    progressing_message: str | None

    @property
    def done(self) -> bool:
        """Nothing left to wait for: polling (e.g. after a rollback) can stop."""
        return self.state in ("complete", "failed")


def rollout_state(deployment: Obj) -> RolloutState:
    """`kubectl rollout status`, one shot, as a pure function of the Deployment object."""
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    if int(_meta(deployment).get("generation") or 0) > int(status.get("observedGeneration") or 0):
        return "unobserved"
    if _progressing(status).get("reason") == "ProgressDeadlineExceeded":
        return "failed"
    if spec.get("paused"):
        return "paused"
    desired = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas") or 0)
    if updated < desired or int(status.get("replicas") or 0) > updated:
        return "progressing"
    if int(status.get("availableReplicas") or 0) < updated:
        return "progressing"
    return "complete"


def assess_rollout(env: EnvName, deployment: Obj) -> RolloutStatus:
    meta, spec, status = _meta(deployment), deployment.get("spec") or {}, deployment.get("status")
    status = status or {}
    progressing = _progressing(status)
    return RolloutStatus(
        env=env,
        namespace=meta.get("namespace", ""),
        deployment=meta.get("name", "?"),
        state=rollout_state(deployment),
        generation=int(meta.get("generation") or 0),
        observed_generation=int(status.get("observedGeneration") or 0),
        desired=int(spec.get("replicas", 1)),
        updated=int(status.get("updatedReplicas") or 0),
        ready=int(status.get("readyReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        total=int(status.get("replicas") or 0),
        progressing_reason=progressing.get("reason"),
        progressing_message=progressing.get("message"),
    )


def _progressing(status: Obj) -> Obj:
    conditions: list[Obj] = status.get("conditions") or []
    return next((c for c in conditions if c.get("type") == "Progressing"), {})


async def rollout_status(
    backends: Backends, env: EnvName, namespace: str, name: str
) -> RolloutStatus:
    return assess_rollout(env, await get_deployment(backends, env, namespace, name))


# -- access reviews (can-i) ------------------------------------------------------------------

VERBS = (
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "impersonate",
    "*",
)
# Groups of the resources an operator asks about; anything else is taken as core ("") unless
# given as `resource.group` (as kubectl writes it: `scaledobjects.keda.sh`).
RESOURCE_GROUPS = {
    **dict.fromkeys(
        ("deployments", "replicasets", "statefulsets", "daemonsets", "controllerrevisions"), "apps"
    ),
    **dict.fromkeys(("jobs", "cronjobs"), "batch"),
    "horizontalpodautoscalers": "autoscaling",
    **dict.fromkeys(("ingresses", "networkpolicies"), "networking.k8s.io"),
    **dict.fromkeys(
        ("roles", "rolebindings", "clusterroles", "clusterrolebindings"),
        "rbac.authorization.k8s.io",
    ),
    **dict.fromkeys(("scaledobjects", "scaledjobs", "triggerauthentications"), "keda.sh"),
    "poddisruptionbudgets": "policy",
    "leases": "coordination.k8s.io",
    "customresourcedefinitions": "apiextensions.k8s.io",
    "storageclasses": "storage.k8s.io",
    **dict.fromkeys(("subjectaccessreviews", "selfsubjectaccessreviews"), "authorization.k8s.io"),
}
CLUSTER_SCOPED = frozenset(
    {
        "namespaces",
        "nodes",
        "persistentvolumes",
        "clusterroles",
        "clusterrolebindings",
        "customresourcedefinitions",
        "storageclasses",
        "priorityclasses",
        "subjectaccessreviews",
        "selfsubjectaccessreviews",
    }
)
_RESOURCE = re.compile(
    rf"(?P<resource>\*|[a-z][a-z0-9]*)(?:\.(?P<group>{_PREFIX}))?(?:/(?P<sub>\*|[a-z][a-z0-9]*))?"
)
_SERVICE_ACCOUNT = re.compile(
    r"system:serviceaccount:(?P<ns>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)"
    r":(?P<name>[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)"
)
_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._:/+=-]{0,252}")


@dataclass(frozen=True)
class ResourceRef:
    resource: str
    group: str
    subresource: str | None

    @property
    def cluster_scoped(self) -> bool:
        return self.resource in CLUSTER_SCOPED

    def __str__(self) -> str:
        group = f".{self.group}" if self.group else ""
        return self.resource + group + (f"/{self.subresource}" if self.subresource else "")


@dataclass(frozen=True)
class Subject:
    user: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessReview:
    env: EnvName
    subject: Subject
    verb: str
    resource: ResourceRef
    namespace: str | None  # None: cluster-wide
    allowed: bool
    denied: bool  # explicitly denied (not only "no rule allows it")
    reason: str | None
    evaluation_error: str | None


def check_verb(text: str) -> str:
    if text not in VERBS:
        raise ValueError(f"must be one of: {', '.join(VERBS)}")
    return text


def parse_resource(text: str) -> ResourceRef:
    """`pods`, `pods/log`, `deployments/scale`, `scaledobjects.keda.sh`: lowercase plurals."""
    match = _RESOURCE.fullmatch(text)
    if match is None or len(text) > 253:
        raise ValueError("must be a lowercase plural resource, e.g. pods, deployments/scale")
    resource = match["resource"]
    group = match["group"] or RESOURCE_GROUPS.get(resource, "")
    return ResourceRef(resource, group, match["sub"])


def parse_subject(text: str) -> Subject:
    """A service account gets its groups, as the API server would authenticate it."""
    account = _SERVICE_ACCOUNT.fullmatch(text)
    if account:
        return Subject(text, ("system:serviceaccounts", f"system:serviceaccounts:{account['ns']}"))
    if text.startswith("system:serviceaccount:") or not _USER.fullmatch(text):
        raise ValueError("must be a user name or system:serviceaccount:<namespace>:<name>")
    return Subject(text)


def review_namespace(resource: ResourceRef, requested: str | None, default: str) -> str | None:
    """Cluster-scoped resources are reviewed without a namespace, the rest in one."""
    return None if resource.cluster_scoped else (requested or default)


async def can_i(
    backends: Backends,
    env: EnvName,
    verb: str,
    resource: ResourceRef,
    subject: Subject,
    namespace: str | None,
) -> AccessReview:
    attributes: Obj = {"verb": check_verb(verb), "resource": resource.resource}
    attributes["group"] = resource.group
    if resource.subresource:
        attributes["subresource"] = resource.subresource
    if namespace:
        attributes["namespace"] = namespace
    spec: Obj = {"user": subject.user, "resourceAttributes": attributes}
    if subject.groups:
        spec["groups"] = list(subject.groups)
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}
    result = await backends.kube.call(env, "auth", "create_subject_access_review", body=body)
    status = result.get("status") or {}
    return AccessReview(
        env=env,
        subject=subject,
        verb=verb,
        resource=resource,
        namespace=namespace,
        allowed=bool(status.get("allowed")),
        denied=bool(status.get("denied")),
        reason=status.get("reason") or None,
        evaluation_error=status.get("evaluationError") or None,
    )

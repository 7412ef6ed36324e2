"""A pod's log (`kubectl logs`), by deployment or pod name, read as Pino lines where it can."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.kube_lookups import deployment_pods, find_deployment, find_pod
from ops.kube_objects import Pod, newest
from ops.pino import LEVEL_ORDER, LogLine, parse_log_line


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
    if previous:
        _check_restarted(pod, container)
    text = await backends.kube.call(
        env,
        "core",
        "read_namespaced_pod_log",
        name=pod.name,
        namespace=namespace,
        container=container,
        tail_lines=tail,
        since_seconds=None if since is None else max(1, int(since.total_seconds())),
        previous=True if previous else None,
    )
    text = text if isinstance(text, str) else ""
    lines = tuple(parse_log_line(line) for line in text.splitlines() if line.strip())
    return PodLogs(
        env, namespace, pod.name, container, deployment, tail, since, text, lines, previous
    )


def _check_restarted(pod: Pod, container: str) -> None:
    """`--previous` needs a terminated run; the API's answer otherwise is a bare 400."""
    status = pod.status_of(container)
    if status is None or status.last_terminated is None:
        raise UserError(Problem.NOT_RESTARTED, pod=pod.name, container=container)


def _chosen_container(pod: Pod, container: str) -> str:
    names = pod.container_names
    if container not in names:
        raise UserError(
            Problem.POD_NO_CONTAINER, pod=pod.name, container=container, containers=list(names)
        )
    return container


async def _log_pod(
    backends: Backends, env: EnvName, namespace: str, target: str
) -> tuple[Pod, str | None]:
    deployment = await find_deployment(backends, env, namespace, target)
    if deployment is not None:
        pods = await deployment_pods(backends, env, deployment)
        if not pods:
            raise UserError(
                Problem.DEPLOYMENT_WITHOUT_PODS, env=env, namespace=namespace, deployment=target
            )
        return newest(pods), target
    pod = await find_pod(backends, env, namespace, target)
    if pod is None:
        raise UserError(Problem.NO_DEPLOYMENT_OR_POD, env=env, namespace=namespace, target=target)
    return pod, None


def _log_container(pod: Pod) -> str:
    names = pod.container_names
    preferred = pod.default_container
    if preferred in names:
        return preferred or ""
    return names[0] if names else ""

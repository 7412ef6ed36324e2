"""`/sandbox oom` and `/sandbox slow-start`: a preview pod misbehaves in a fake cluster, the
bot's pod watcher sees it over the watch API, and the alert shows in the transcript.

Each verb starts the env's watcher if it is not running (the console runs no schedules), lets
it finish its first list, changes the fake cluster, then waits until the watcher has handled
that change's resourceVersion: what the bot posted is then in its outbox, and the console
delivers it. Bad words change nothing and get the usage or a specific refusal.
"""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.config import ENV_NAMES, EnvName
from sandbox.fake_kube import FakeKubeServer
from sandbox.verbs import Verb, VerbContext

Obj = dict[str, Any]
WAIT_SECONDS = 30.0  # the watcher's first list of a cold cluster client takes a few seconds
MAX_SLOW_START = 3600
OOM_LOG = (
    '{"level":50,"time":%d,"msg":"<--- Last few GCs --->"}\n'
    '{"level":60,"time":%d,"msg":"FATAL ERROR: Reached heap limit Allocation failed - '
    'JavaScript heap out of memory"}\n'
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _env(word: str, context: VerbContext) -> EnvName | None:
    env = word.lower()
    for name in ENV_NAMES:
        if name == env and name in context.runtime.settings.config.environments:
            return name
    return None


def _not_an_env(word: str) -> str:
    return f"`{word}` is not an env of this sandbox (int, stg or prd)"


def _pods(server: FakeKubeServer, namespace: str) -> list[Obj]:
    return [p for p in server.list("pods", namespace) if (p.get("spec") or {}).get("containers")]


def _oom_order(pod: Obj) -> tuple[int, str]:
    """The pod the OOM verb picks comes first: the one that restarted most (a crash-looping
    pod is the likeliest to be killed again), then by name."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    restarts = sum(int(s.get("restartCount") or 0) for s in statuses)
    return -restarts, str(pod["metadata"]["name"])


async def _watched(context: VerbContext, env: EnvName, change: Callable[[], int]) -> str:
    """Start the env's watcher, let it list, make `change` (→ its resourceVersion), wait."""
    watchers = context.runtime.pod_watchers
    if watchers is None:
        return "the pod watcher is off in this config (pod_watch.enabled: false)"
    watcher = watchers.watchers[env]
    server = context.stack.kube[env]
    watchers.start(env)
    if not await watcher.wait_handled(server.resource_version, WAIT_SECONDS):
        return f"the {env} pod watcher did not finish its first list in {WAIT_SECONDS:g} s"
    version = change()
    if not await watcher.wait_handled(version, WAIT_SECONDS):
        return f"the {env} pod watcher did not see the change in {WAIT_SECONDS:g} s"
    return ""


def oom_killed(pod: Obj, now: datetime) -> Obj:
    """The pod after its first container was OOMKilled and restarted (restartCount + 1)."""
    pod = copy.deepcopy(pod)
    container = pod["spec"]["containers"][0]
    statuses = pod.setdefault("status", {}).setdefault("containerStatuses", [])
    status = next((s for s in statuses if s.get("name") == container["name"]), None)
    if status is None:
        status = {"name": container["name"], "image": container.get("image", ""), "imageID": ""}
        statuses.append(status)
    status.update(
        ready=False,
        started=False,
        restartCount=int(status.get("restartCount") or 0) + 1,
        lastState={
            "terminated": {
                "reason": "OOMKilled",
                "exitCode": 137,
                "startedAt": _iso(now - timedelta(seconds=48)),
                "finishedAt": _iso(now),
            }
        },
        state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s restarting"}},
    )
    return pod


def _back_off_event(pod: Obj, container: str, now: datetime) -> Obj:
    meta = pod["metadata"]
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=8))  # noqa: S311
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{suffix}", "namespace": meta["namespace"]},
        "involvedObject": {"kind": "Pod", "name": meta["name"], "namespace": meta["namespace"]},
        "type": "Warning",
        "reason": "BackOff",
        "message": f"Back-off restarting failed container {container} in pod {meta['name']}",
        "count": 1,
        "lastTimestamp": _iso(now),
    }


async def run_oom(context: VerbContext, words: list[str]) -> str:
    if len(words) != 2:
        return f"usage: {OOM.usage_line}"
    env = _env(words[0], context)
    if env is None:
        return _not_an_env(words[0])
    server, namespace = context.stack.kube[env], words[1].lower()
    pods = _pods(server, namespace)
    if not pods:
        return (
            f"{env}: no pod in namespace `{namespace}` to OOM-kill (`/rtb pods {env} {namespace}`)"
        )
    pod, now = min(pods, key=_oom_order), datetime.now(UTC)
    container = pod["spec"]["containers"][0]["name"]

    def change() -> int:
        millis = int(now.timestamp() * 1000)
        server.set_pod_logs(
            namespace, pod["metadata"]["name"], OOM_LOG % (millis, millis), previous=True
        )
        server.apply(_back_off_event(pod, container, now))
        return int(server.apply(oom_killed(pod, now))["metadata"]["resourceVersion"])

    failed = await _watched(context, env, change)
    return failed or (
        f"{env}: container `{container}` of pod `{pod['metadata']['name']}` in `{namespace}` "
        "was OOMKilled and restarted; the pod watcher handled it"
    )


def slow_started(template: Obj, seconds: int, now: datetime) -> Obj:
    """A new pod like `template`, created `seconds` ago and Ready now: scheduled after 1 s,
    its Fargate node up at 60 % of the time, its containers running 5 s before Ready."""
    created = now - timedelta(seconds=seconds)
    meta = template["metadata"]
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=5))  # noqa: S311
    name = f"{meta.get('labels', {}).get('app', 'pod')}-slow-{suffix}"

    def at(offset: float) -> str:
        return _iso(created + timedelta(seconds=offset))

    containers = template["spec"]["containers"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": dict(meta.get("labels") or {}),
            "creationTimestamp": _iso(created),
        },
        "spec": {"containers": copy.deepcopy(containers)},
        "status": {
            "phase": "Running",
            "startTime": at(seconds * 0.6),
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": at(1)},
                {"type": "Initialized", "status": "True", "lastTransitionTime": at(seconds * 0.6)},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": _iso(now)},
                {"type": "Ready", "status": "True", "lastTransitionTime": _iso(now)},
            ],
            "containerStatuses": [
                {
                    "name": c["name"],
                    "image": c.get("image", ""),
                    "imageID": "",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": at(max(0, seconds - 5))}},
                }
                for c in containers
            ],
        },
    }


async def run_slow_start(context: VerbContext, words: list[str]) -> str:
    if len(words) != 3:
        return f"usage: {SLOW_START.usage_line}"
    env = _env(words[0], context)
    if env is None:
        return _not_an_env(words[0])
    if not words[2].isdigit() or not 1 <= int(words[2]) <= MAX_SLOW_START:
        return f"<seconds> must be a whole number from 1 to {MAX_SLOW_START}, not `{words[2]}`"
    server, namespace, seconds = context.stack.kube[env], words[1].lower(), int(words[2])
    pods = _pods(server, namespace)
    if not pods:
        return f"{env}: no pod in namespace `{namespace}` to copy (`/rtb pods {env} {namespace}`)"
    pod = slow_started(pods[0], seconds, datetime.now(UTC))

    def change() -> int:
        return int(server.apply(pod)["metadata"]["resourceVersion"])

    failed = await _watched(context, env, change)
    return failed or (
        f"{env}: new pod `{pod['metadata']['name']}` in `{namespace}` turned Ready {seconds} s "
        "after its creation; the pod watcher handled it"
    )


OOM = Verb(
    "oom",
    "<env> <namespace>",
    "a container of the namespace's first pod is OOMKilled and restarts",
    run_oom,
)
SLOW_START = Verb(
    "slow-start",
    "<env> <namespace> <seconds>",
    "a new pod in the namespace turns Ready <seconds> after its creation",
    run_slow_start,
)
VERBS: tuple[Verb, ...] = (OOM, SLOW_START)

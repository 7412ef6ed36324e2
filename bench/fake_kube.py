"""The fake Kubernetes API server's cost per request, on the sandbox's int cluster.

    .venv/bin/python bench/fake_kube.py        # a few seconds; prints a Markdown table

The fake reconciles its controller before a read only when the clock may change something
(a pod due Ready, a rollout's deadline, a namespace finishing), and after every write. This
measures a read of one deployment and a list of every pod (200 each, one at a time, the official
client over loopback HTTP), with the cluster settled and with a rollout in progress (a pod due
Ready in an hour: every read reconciles). The load average is printed: on a busy machine every
number inflates.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from kubernetes import client

from sandbox.fake_kube import FakeKubeServer
from sandbox.seed_kube import HUB_NAMESPACE, IMAGE_REPO, seed_cluster

ROUNDS = 200


def timed(call: Callable[[], object]) -> tuple[float, float]:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(ROUNDS * 0.95) - 1]


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    print("| cluster | request | p50 ms | p95 ms |\n|---|---|---|---|")
    with FakeKubeServer() as kube:
        seed_cluster(kube, "int", now=datetime.now(UTC))
        configuration = client.Configuration(host=kube.url)
        configuration.retries = 0
        api = client.ApiClient(configuration)
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        requests = {
            "read one deployment": lambda: apps.read_namespaced_deployment(
                "workflow-engine", HUB_NAMESPACE
            ),
            "list every pod": core.list_pod_for_all_namespaces,
        }
        for state in ("settled", "rolling out"):
            if state == "rolling out":
                kube.rollout_delay_seconds = 3600
                patch = {"spec": {"template": {"spec": {"containers": [
                    {"name": "workflow-engine", "image": f"{IMAGE_REPO}:v1.41.1"}
                ]}}}}  # fmt: skip
                apps.patch_namespaced_deployment("workflow-engine", HUB_NAMESPACE, patch)
            for name, call in requests.items():
                p50, p95 = timed(call)
                print(f"| {state} | {name} | {p50:.2f} | {p95:.2f} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Helpers for the rollout tests: the sandbox's hub namespace, the int ECR repository, and what
the fake Kubernetes API server saw."""

from __future__ import annotations

from typing import Any

from ops.config import Config
from sandbox.fake_kube import FakeKubeServer
from sandbox.seed_aws import MANIFEST_TYPE, manifest
from sandbox.seed_kube import IMAGE_REPO, seed_hub_namespace
from tests.fixtures.bot import ACCOUNTS, make_config

HUB = "rtb-ai-hub"
ENGINE = "workflow-engine"
LISTENER = "webhook-listener"
REVISION = "deployment.kubernetes.io/revision"
PAUSED = "autoscaling.keda.sh/paused-replicas"
TAGS = ("v1.40.0", "v1.41.0", "v1.41.1", "v1.42.0")
INT_REPO = f"{ACCOUNTS['int']}.dkr.ecr.ap-northeast-2.amazonaws.com/rtb-hub"
# Short enough that a followed rollout finishes inside a test, long enough to see progress;
# backend calls get generous timeouts (a loaded machine must not make a healthy call time out).
FAST_TIMEOUTS = {
    "backend_seconds": 10.0,
    "fanout_seconds": 15.0,
    "rollout_poll_seconds": 0.05,
    "rollout_progress_seconds": 0.2,
    "rollout_seconds": 10.0,
}


def fast_config(kube: dict[str, FakeKubeServer], aws_endpoint: str, slack_url: str) -> Config:
    return make_config(
        kube_urls={env: server.url for env, server in kube.items()},
        aws_endpoint=aws_endpoint,
        slack_api_url=slack_url,
        timeouts=FAST_TIMEOUTS,
    )


def seed_hub(server: FakeKubeServer) -> None:
    """The sandbox's hub: workflow-engine at revision 3 (v1.42.0, KEDA-driven), webhook-listener
    at revision 2 (v1.42.0), auth-service at revision 1."""
    seed_hub_namespace(server)
    assert IMAGE_REPO == INT_REPO


def seed_ecr(runtime: Any, tags: tuple[str, ...] = TAGS) -> None:
    """The int account's `rtb-hub` repository, through the bot's own (assumed-role) client."""
    ecr = runtime.backends.aws.client("int", "ecr")
    ecr.create_repository(repositoryName="rtb-hub")
    for tag in tags:
        ecr.put_image(
            repositoryName="rtb-hub",
            imageManifest=manifest(tag),
            imageTag=tag,
            imageManifestMediaType=MANIFEST_TYPE,
        )


def deployment(server: FakeKubeServer, name: str, namespace: str = HUB) -> dict[str, Any]:
    found = server.get("deployments", namespace, name)
    assert found is not None, name
    return found


def revision(server: FakeKubeServer, name: str, namespace: str = HUB) -> int:
    return int(deployment(server, name, namespace)["metadata"]["annotations"][REVISION])


def image(server: FakeKubeServer, name: str, namespace: str = HUB) -> str:
    containers = deployment(server, name, namespace)["spec"]["template"]["spec"]["containers"]
    return str(containers[0]["image"])


def replicaset_revisions(server: FakeKubeServer, name: str, namespace: str = HUB) -> dict[int, str]:
    """revision -> image of each of the deployment's ReplicaSets."""
    found = {}
    for rs in server.list("replicasets", namespace):
        if rs["metadata"]["name"].startswith(f"{name}-"):
            number = int(rs["metadata"]["annotations"][REVISION])
            found[number] = rs["spec"]["template"]["spec"]["containers"][0]["image"]
    return found


def writes(
    server: FakeKubeServer, name: str = ENGINE, namespace: str = HUB
) -> list[tuple[str, str]]:
    """(method, path) of every write to the deployment (and its scale) the server received."""
    prefix = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    return [
        (method, path)
        for method, path, _ in server.requests
        if method in ("PUT", "PATCH", "POST", "DELETE") and path.startswith(prefix)
    ]


def paused_replicas(server: FakeKubeServer, name: str = ENGINE) -> str | None:
    scaled = server.get("scaledobjects.keda.sh", HUB, name)
    assert scaled is not None
    return (scaled["metadata"].get("annotations") or {}).get(PAUSED)

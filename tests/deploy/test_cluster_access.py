"""deploy/rbac/ loaded into the fake API server (RBAC and the admission policies), with the bot's
own backend calls below its policy: what the bot's changes need is granted, and a write outside
previews is refused by the cluster even when nothing in the bot would stop it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ops import preview_deletes, preview_namespaces, workloads
from ops.backends.aws import BOT
from ops.backends.container import Backends, BackendUrls, build_backends
from ops.config import Config
from ops.errors import BackendError
from ops.kube_writes import Permission, write
from ops.rollouts import keda
from ops.rollouts import set_image as rollout_images
from ops.rollouts import undo as rollout_undo
from sandbox.fake_kube import FakeKubeServer
from sandbox.fake_kube.manifests import load_access
from sandbox.seed_kube import IMAGE_REPO, seed_cluster
from tests.deploy.support import DEPLOYER_USER, cluster_access
from tests.fixtures.bot import ACCOUNTS, raw_config
from tests.words import said, user_error

HUB = "rtb-ai-hub"
UNUSED_DB = "postgresql://127.0.0.1:9/unused"  # only Kubernetes is called here
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, FakeKubeServer]]:
    started = {env: FakeKubeServer(default_user=DEPLOYER_USER) for env in ACCOUNTS}
    for server in started.values():
        server.start()
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def clusters(servers: dict[str, FakeKubeServer]) -> dict[str, FakeKubeServer]:
    """Each env's cluster seeded as the sandbox's, under what deploy/rbac gives that cluster."""
    for env, server in servers.items():
        prepare(server, env, cluster_access(env))
    return servers


def prepare(server: FakeKubeServer, env: str, access: list[dict[str, Any]]) -> None:
    server.reset()
    seed_cluster(server, env, now=NOW)
    server.apply(namespace("kube-system"))
    server.apply(deployment("coredns", "kube-system"))
    load_access(server, access)


@pytest.fixture
def backends(clusters: dict[str, FakeKubeServer]) -> Iterator[Backends]:
    raw = raw_config(
        kube_urls={env: server.url for env, server in clusters.items()},
        aws_endpoint="http://127.0.0.1:9",
        slack_api_url="http://127.0.0.1:9/api/",
    )
    built = build_backends(
        Config.model_validate(raw),
        BackendUrls(UNUSED_DB, UNUSED_DB, "redis://127.0.0.1:9/0"),
        retries=0,
    )
    yield built
    built.kube.close()
    built.blocking.close()


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels or {}},
    }


def deployment(name: str, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": f"{name}:1"}]},
            },
        },
    }


LABEL_PATCH = {"metadata": {"labels": {"touched": "yes"}}}
# (env, api, method, arguments): writes no bot command may make, called directly.
OUTSIDE_PREVIEWS = {
    "delete the hub's namespace": ("prd", "core", "delete_namespace", {"name": HUB}),
    "delete kube-system": ("stg", "core", "delete_namespace", {"name": "kube-system"}),
    "create an unlabelled namespace": (
        "prd", "core", "create_namespace", {"body": namespace("not-a-preview")}
    ),
    "patch a hub deployment in prd": (
        "prd", "apps", "patch_namespaced_deployment",
        {"name": "webhook-listener", "namespace": HUB, "body": LABEL_PATCH},
    ),
    "patch a deployment in kube-system in int": (
        "int", "apps", "patch_namespaced_deployment",
        {"name": "coredns", "namespace": "kube-system", "body": LABEL_PATCH},
    ),
    "pause KEDA of the hub in stg": (
        "stg", "custom", "patch_namespaced_custom_object",
        {"group": "keda.sh", "version": "v1alpha1", "namespace": HUB, "plural": "scaledobjects",
         "name": "workflow-engine", "body": LABEL_PATCH},
    ),
    "delete a deployment in a preview": (
        "prd", "apps", "delete_namespaced_deployment",
        {"name": "app", "namespace": "preview-proj-109"},
    ),
    "read a secret": ("int", "core", "list_namespaced_secret", {"namespace": HUB}),
    "create a deployment in a preview": (
        "int", "apps", "create_namespaced_deployment",
        {"namespace": "preview-proj-141", "body": deployment("extra", "preview-proj-141")},
    ),
}  # fmt: skip


# Where RBAC alone grants the verb and the admission policies check the preview label.
LABEL_CHECKED = [
    "delete the hub's namespace",
    "delete kube-system",
    "create an unlabelled namespace",
    "patch a hub deployment in prd",
    "patch a deployment in kube-system in int",
    "pause KEDA of the hub in stg",
]


@pytest.mark.parametrize("case", OUTSIDE_PREVIEWS, ids=str)
async def test_a_write_outside_previews_is_refused_by_the_cluster(
    backends: Backends, clusters: dict[str, FakeKubeServer], case: str
) -> None:
    env, api, method, arguments = OUTSIDE_PREVIEWS[case]
    before = snapshot(clusters[env])
    with pytest.raises(BackendError) as refused:
        await backends.kube.call(env, api, method, **arguments)
    assert refused.value.reason.startswith("HTTP 403")
    assert snapshot(clusters[env]) == before


@pytest.mark.parametrize("case", LABEL_CHECKED, ids=str)
async def test_without_the_admission_policies_rbac_alone_would_let_it_through(
    backends: Backends, clusters: dict[str, FakeKubeServer], case: str
) -> None:
    """Why deploy/rbac has admission policies: RBAC has no label selectors."""
    env, api, method, arguments = OUTSIDE_PREVIEWS[case]
    rbac_only = [d for d in cluster_access(env) if not d["kind"].startswith("Validating")]
    prepare(clusters[env], env, rbac_only)
    await backends.kube.call(env, api, method, **arguments)


def snapshot(server: FakeKubeServer) -> dict[str, Any]:
    return {
        "namespaces": sorted(n["metadata"]["name"] for n in server.list("namespaces")),
        "deployments": sorted(
            (d["metadata"]["namespace"], d["metadata"]["name"], d["metadata"]["resourceVersion"])
            for d in server.list("deployments")
        ),
        "scaledobjects": [s["metadata"]["resourceVersion"] for s in server.list("scaledobjects")],
    }


async def test_the_hubs_namespace_is_never_deleted_even_when_labelled_a_preview(
    backends: Backends, clusters: dict[str, FakeKubeServer]
) -> None:
    clusters["int"].apply(namespace(HUB, {"rtb.io/preview": "true"}))
    with pytest.raises(BackendError) as refused:
        await backends.kube.call("int", "core", "delete_namespace", name=HUB)
    assert refused.value.reason.startswith("HTTP 403")
    assert clusters["int"].get("namespaces", None, HUB) is not None


async def test_the_bot_says_which_permission_the_cluster_refused(backends: Backends) -> None:
    needs = Permission("patch", "deployments", "kube-system")
    with user_error() as refused:
        await write(backends, "int", "apps", "patch_namespaced_deployment", needs,
                    name="coredns", namespace="kube-system", body=LABEL_PATCH)  # fmt: skip
    assert said(refused.value) == (
        "Kubernetes denied patch deployments in kube-system (HTTP 403): the bot's role lacks "
        "that permission"
    )


PREVIEWS = {"int": "preview-proj-141", "stg": "preview-proj-125", "prd": "preview-proj-109"}


@pytest.mark.parametrize("env", ACCOUNTS)
async def test_every_change_the_bot_makes_in_previews_is_granted(
    backends: Backends, clusters: dict[str, FakeKubeServer], env: str
) -> None:
    preview = PREVIEWS[env]
    created = await preview_namespaces.create_preview(
        backends, env, "PROJ-900", timedelta(hours=4), "ULEAD1", actor=BOT
    )
    assert clusters[env].get("namespaces", None, created.namespace) is not None
    await workloads.scale_deployment(backends, env, preview, "app", 0)
    await rollout_images.set_image(
        backends, env, preview, "app", None, f"{IMAGE_REPO}:v1.41.1", change_cause="test"
    )
    await rollout_undo.rollback_deployment(backends, env, preview, "app", None)
    await preview_deletes.delete_preview(backends, env, created.namespace, actor=BOT)
    app = clusters[env].get("deployments", preview, "app") or {}
    assert app["spec"]["replicas"] == 0
    deleted = clusters[env].get("namespaces", None, created.namespace)
    assert deleted is None or deleted["status"]["phase"] == "Terminating"


async def test_the_hubs_own_changes_are_granted_in_int(
    backends: Backends, clusters: dict[str, FakeKubeServer]
) -> None:
    await workloads.scale_deployment(backends, "int", HUB, "webhook-listener", 3)
    await keda.set_keda_pause(backends, "int", HUB, "workflow-engine", 2)
    await keda.set_keda_pause(backends, "int", HUB, "workflow-engine", None)
    await rollout_images.set_image(
        backends, "int", HUB, "auth-service", None, f"{IMAGE_REPO}:v1.41.1", change_cause="t"
    )
    await rollout_undo.rollback_deployment(backends, "int", HUB, "webhook-listener", None)
    assert clusters["int"].get("deployments", HUB, "webhook-listener")["spec"]["replicas"] == 3


async def test_scaling_is_not_narrowed_by_the_cluster(
    backends: Backends, clusters: dict[str, FakeKubeServer]
) -> None:
    """deployments/scale is granted everywhere (deploy/rbac/base/clusterroles.yaml): only the
    bot's policy keeps core infrastructure unscaled. Said here so a change to that is seen."""
    await workloads.scale_deployment(backends, "prd", HUB, "webhook-listener", 3)
    assert clusters["prd"].get("deployments", HUB, "webhook-listener")["spec"]["replicas"] == 3

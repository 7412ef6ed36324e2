"""The fake Kubernetes API server, exercised only through the official client."""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from kubernetes import client
from kubernetes.client import ApiClient, ApiException, Configuration

from sandbox.fake_kube import FakeKubeServer

NS = "rtb-ai-hub"
REVISION = "deployment.kubernetes.io/revision"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeKubeServer]:
    fake = FakeKubeServer()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def kube(server: FakeKubeServer) -> FakeKubeServer:
    server.reset()
    return server


def make_client(url: str, impersonate: str | None = None, token: str | None = None) -> ApiClient:
    cfg = Configuration(host=url)
    cfg.retries = 0
    if token:
        cfg.api_key = {"BearerToken": token}
        cfg.api_key_prefix = {"BearerToken": "Bearer"}
    api = ApiClient(cfg)
    if impersonate:
        api.set_default_header("Impersonate-User", impersonate)
    return api


@pytest.fixture
def api(kube: FakeKubeServer) -> Iterator[ApiClient]:
    with make_client(kube.url) as api_client:
        yield api_client


@pytest.fixture
def core(api: ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api: ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    core.create_namespace({"metadata": {"name": NS}})
    return NS


def deployment(
    name: str = "workflow-engine", replicas: int = 2, image: str = "engine:1", sidecar: bool = False
) -> dict[str, Any]:
    containers = [{"name": "app", "image": image}]
    if sidecar:
        containers.append({"name": "proxy", "image": "envoy:1"})
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}},
        },
    }


def pod(
    name: str, labels: dict[str, str] | None = None, phase: str = "Running", namespace: str = NS
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"containers": [{"name": "app", "image": "busybox"}]},
        "status": {"phase": phase},
    }


def error_of(exc_info: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc_info.value.body)
    return body


def pods_of(core: client.CoreV1Api, name: str) -> list[client.V1Pod]:
    return core.list_namespaced_pod(NS, label_selector=f"app={name}").items


# -- CRUD ------------------------------------------------------------------------------------


def test_namespace_crud(core: client.CoreV1Api) -> None:
    created = core.create_namespace({"metadata": {"name": "team-a"}})
    assert created.status.phase == "Active"
    assert created.metadata.uid and created.metadata.resource_version.isdigit()
    assert [n.metadata.name for n in core.list_namespace().items] == ["team-a"]
    core.patch_namespace("team-a", {"metadata": {"labels": {"owner": "ops"}}})
    assert core.read_namespace("team-a").metadata.labels == {"owner": "ops"}
    core.delete_namespace("team-a")
    with pytest.raises(ApiException) as exc:
        core.read_namespace("team-a")
    assert exc.value.status == 404


def test_pod_crud_and_replace(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_pod(ns, pod("worker-0", {"app": "worker"}))
    read = core.read_namespaced_pod("worker-0", ns)
    assert read.kind == "Pod" and read.metadata.namespace == ns
    read.metadata.labels["tier"] = "batch"
    replaced = core.replace_namespaced_pod("worker-0", ns, read)
    assert replaced.metadata.labels == {"app": "worker", "tier": "batch"}
    assert int(replaced.metadata.resource_version) > int(read.metadata.resource_version)
    deleted = core.delete_namespaced_pod("worker-0", ns)
    assert deleted.metadata.deletion_timestamp is not None
    assert core.list_namespaced_pod(ns).items == []


def test_deployment_crud_and_generation(
    apps: client.AppsV1Api, core: client.CoreV1Api, ns: str
) -> None:
    created = apps.create_namespaced_deployment(ns, deployment(replicas=3))
    assert created.metadata.generation == 1
    assert created.status.ready_replicas == 3 and created.status.observed_generation == 1
    assert len(pods_of(core, "workflow-engine")) == 3
    current = apps.read_namespaced_deployment("workflow-engine", ns)
    current.spec.replicas = 1
    replaced = apps.replace_namespaced_deployment("workflow-engine", ns, current)
    assert replaced.metadata.generation == 2 and replaced.status.replicas == 1
    apps.delete_namespaced_deployment("workflow-engine", ns)
    assert apps.list_namespaced_replica_set(ns).items == []
    assert core.list_namespaced_pod(ns).items == []


# -- selectors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),
        ("tier in (front,cache)", ["a", "c"]),
        ("tier notin (front)", ["b", "c", "d"]),
        ("canary", ["b"]),
        ("!canary", ["a", "c", "d"]),
        ("app=web,tier in (front, back)", ["a"]),
    ],
)
def test_label_selectors(
    kube: FakeKubeServer, core: client.CoreV1Api, selector: str, expected: list[str]
) -> None:
    kube.apply(pod("a", {"app": "web", "tier": "front"}))
    kube.apply(pod("b", {"app": "web", "canary": "true"}))
    kube.apply(pod("c", {"app": "redis", "tier": "cache"}))
    kube.apply(pod("d", {}))
    found = core.list_namespaced_pod(NS, label_selector=selector).items
    assert [p.metadata.name for p in found] == expected


def test_bad_label_selector_is_400(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_pod(ns, label_selector="app in web")
    assert exc.value.status == 400


def test_field_selectors_and_all_namespaces(
    kube: FakeKubeServer, core: client.CoreV1Api, apps: client.AppsV1Api
) -> None:
    kube.apply(pod("ok", phase="Running"))
    kube.apply(pod("broken", phase="Failed"))
    kube.apply(pod("other", phase="Failed", namespace="rtb-jobs"))
    failed = core.list_pod_for_all_namespaces(field_selector="status.phase=Failed").items
    assert sorted(p.metadata.name for p in failed) == ["broken", "other"]
    named = core.list_pod_for_all_namespaces(field_selector="metadata.name=ok").items
    assert [p.metadata.name for p in named] == ["ok"]
    scoped = core.list_pod_for_all_namespaces(
        field_selector="metadata.namespace=rtb-jobs,status.phase!=Running"
    ).items
    assert [p.metadata.name for p in scoped] == ["other"]
    kube.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "rtb-jobs"},
            **{"spec": deployment("api")["spec"]},
        }
    )
    listed = apps.list_deployment_for_all_namespaces()
    assert [d.metadata.namespace for d in listed.items] == ["rtb-jobs"]
    assert listed.kind == "DeploymentList" and listed.metadata.resource_version


# -- patches ---------------------------------------------------------------------------------


def test_json_patch(apps: client.AppsV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, deployment())
    ops = [
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/labels", "value": {"team": "ops"}},
        {"op": "copy", "from": "/metadata/labels/team", "path": "/metadata/labels/owner"},
        {"op": "move", "from": "/metadata/labels/team", "path": "/metadata/labels/squad"},
        {
            "op": "add",
            "path": "/spec/template/spec/containers/-",
            "value": {"name": "proxy", "image": "envoy:1"},
        },
        {"op": "remove", "path": "/spec/template/spec/containers/0"},
    ]
    patched = apps.patch_namespaced_deployment("workflow-engine", ns, ops)
    assert patched.spec.replicas == 4 and patched.status.ready_replicas == 4
    assert patched.metadata.labels == {"owner": "ops", "squad": "ops"}
    assert [c.name for c in patched.spec.template.spec.containers] == ["proxy"]
    with pytest.raises(ApiException) as exc:
        apps.patch_namespaced_deployment(
            "workflow-engine", ns, [{"op": "test", "path": "/spec/replicas", "value": 9}]
        )
    assert exc.value.status == 422


def test_merge_patch(apps: client.AppsV1Api, ns: str) -> None:
    body = deployment(sidecar=True)
    body["metadata"]["annotations"] = {"keep": "1", "drop": "1"}
    apps.create_namespaced_deployment(ns, body)
    patch = {
        "metadata": {"annotations": {"drop": None, "new": "2"}},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x:2"}]}}},
    }
    patched = apps.patch_namespaced_deployment(
        "workflow-engine", ns, patch, _content_type="application/merge-patch+json"
    )
    assert {"keep": "1", "new": "2"}.items() <= patched.metadata.annotations.items()
    assert "drop" not in patched.metadata.annotations
    # merge patch replaces lists wholesale: the sidecar is gone
    assert [c.name for c in patched.spec.template.spec.containers] == ["app"]


def test_strategic_merge_merges_containers_by_name(apps: client.AppsV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, deployment(sidecar=True))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "engine:2",
                            "env": [{"name": "MODE", "value": "fast"}],
                        }
                    ]
                }
            }
        }
    }
    patched = apps.patch_namespaced_deployment("workflow-engine", ns, patch)
    containers = {c.name: c for c in patched.spec.template.spec.containers}
    assert containers["app"].image == "engine:2" and containers["proxy"].image == "envoy:1"
    delete_sidecar = {
        "spec": {"template": {"spec": {"containers": [{"name": "proxy", "$patch": "delete"}]}}}
    }
    patched = apps.patch_namespaced_deployment("workflow-engine", ns, delete_sidecar)
    assert [c.name for c in patched.spec.template.spec.containers] == ["app"]
    assert patched.spec.template.spec.containers[0].env[0].value == "fast"


# -- errors ----------------------------------------------------------------------------------


def test_stale_put_is_409(apps: client.AppsV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, deployment())
    stale = apps.read_namespaced_deployment("workflow-engine", ns)
    apps.patch_namespaced_deployment("workflow-engine", ns, {"spec": {"replicas": 5}})
    stale.spec.replicas = 1
    with pytest.raises(ApiException) as exc:
        apps.replace_namespaced_deployment("workflow-engine", ns, stale)
    assert exc.value.status == 409 and error_of(exc)["reason"] == "Conflict"


def test_status_errors(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("missing", ns)
    status = error_of(exc)
    assert exc.value.status == 404
    assert (status["kind"], status["reason"], status["code"]) == ("Status", "NotFound", 404)
    assert status["details"]["name"] == "missing"

    core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}})
    assert exc.value.status == 409 and error_of(exc)["reason"] == "AlreadyExists"

    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "Bad_Name"}})
    assert exc.value.status == 422 and error_of(exc)["reason"] == "Invalid"

    with pytest.raises(ApiException) as exc:
        core.create_namespaced_service("nowhere", {"metadata": {"name": "svc"}})
    assert exc.value.status == 404 and error_of(exc)["details"]["kind"] == "namespaces"


def test_unknown_route_is_404_status_json(kube: FakeKubeServer) -> None:
    # raw HTTP: the client has no call for a path that does not exist
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{kube.url}/not/an/api")
    assert exc.value.code == 404
    assert json.loads(exc.value.read())["reason"] == "NotFound"


# -- subresources ----------------------------------------------------------------------------


def test_scale_subresource(apps: client.AppsV1Api, core: client.CoreV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, deployment(replicas=2))
    scale = apps.read_namespaced_deployment_scale("workflow-engine", ns)
    assert (scale.spec.replicas, scale.status.replicas) == (2, 2)
    assert scale.status.selector == "app=workflow-engine"
    apps.patch_namespaced_deployment_scale("workflow-engine", ns, {"spec": {"replicas": 4}})
    assert len(pods_of(core, "workflow-engine")) == 4
    scale = apps.read_namespaced_deployment_scale("workflow-engine", ns)
    scale.spec.replicas = 0
    apps.replace_namespaced_deployment_scale("workflow-engine", ns, scale)
    assert pods_of(core, "workflow-engine") == []
    assert apps.read_namespaced_deployment("workflow-engine", ns).spec.replicas == 0


def test_status_subresource(apps: client.AppsV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, deployment(replicas=2))
    status = apps.read_namespaced_deployment_status("workflow-engine", ns)
    assert status.status.available_replicas == 2


def test_only_the_status_subresource_writes_status(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.apply(pod("worker"))  # seeded Running (the kubelet's part)
    core.patch_namespaced_pod("worker", NS, {"status": {"phase": "Failed"}})  # silently dropped
    assert core.read_namespaced_pod("worker", NS).status.phase == "Running"
    core.patch_namespaced_pod_status("worker", NS, {"status": {"phase": "Failed"}})
    assert core.read_namespaced_pod("worker", NS).status.phase == "Failed"


def test_pod_logs(kube: FakeKubeServer, core: client.CoreV1Api) -> None:
    kube.apply(pod("worker-0"))
    kube.set_pod_logs(NS, "worker-0", "one\ntwo\nthree\n")
    assert core.read_namespaced_pod_log("worker-0", NS) == "one\ntwo\nthree\n"
    assert core.read_namespaced_pod_log("worker-0", NS, tail_lines=2) == "two\nthree\n"
    assert core.read_namespaced_pod_log("worker-0", NS, container="app", tail_lines=1) == "three\n"
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod_log("worker-9", NS)
    assert exc.value.status == 404


def test_pod_logs_per_container(kube: FakeKubeServer, core: client.CoreV1Api) -> None:
    two = pod("worker-0")
    two["spec"]["containers"].append({"name": "proxy", "image": "envoy"})
    kube.apply(two)
    kube.set_pod_logs(NS, "worker-0", "proxy line\n", container="proxy")
    assert core.read_namespaced_pod_log("worker-0", NS, container="proxy") == "proxy line\n"
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod_log("worker-0", NS)
    assert exc.value.status == 400


# -- controller ------------------------------------------------------------------------------


def replicasets_by_revision(apps: client.AppsV1Api) -> dict[str, client.V1ReplicaSet]:
    items = apps.list_namespaced_replica_set(NS).items
    return {rs.metadata.annotations[REVISION]: rs for rs in items}


def test_revisions_and_rollout_undo(
    api: ApiClient, apps: client.AppsV1Api, core: client.CoreV1Api, ns: str
) -> None:
    body = deployment()
    body["metadata"]["annotations"] = {"kubernetes.io/change-cause": "first"}
    apps.create_namespaced_deployment(ns, body)
    first_pods = {p.metadata.name for p in pods_of(core, "workflow-engine")}
    apps.patch_namespaced_deployment(
        "workflow-engine",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "engine:2"}]}}}},
    )
    dep = apps.read_namespaced_deployment("workflow-engine", ns)
    assert dep.metadata.annotations[REVISION] == "2"
    revisions = replicasets_by_revision(apps)
    assert sorted(revisions) == ["1", "2"]
    assert (revisions["1"].spec.replicas, revisions["2"].spec.replicas) == (0, 2)
    assert revisions["1"].metadata.owner_references[0].uid == dep.metadata.uid
    assert revisions["1"].metadata.annotations["kubernetes.io/change-cause"] == "first"
    new_pods = pods_of(core, "workflow-engine")
    assert first_pods.isdisjoint(p.metadata.name for p in new_pods)
    assert {p.spec.containers[0].image for p in new_pods} == {"engine:2"}

    # kubectl rollout undo: take revision 1's template, drop the hash label, patch it back
    template = api.sanitize_for_serialization(revisions["1"].spec.template)
    del template["metadata"]["labels"]["pod-template-hash"]
    apps.patch_namespaced_deployment(
        "workflow-engine", ns, [{"op": "replace", "path": "/spec/template", "value": template}]
    )
    dep = apps.read_namespaced_deployment("workflow-engine", ns)
    assert dep.metadata.annotations[REVISION] == "3"
    revisions = replicasets_by_revision(apps)
    assert sorted(revisions) == ["2", "3"]
    assert revisions["3"].metadata.name == revisions_name(apps, "engine:1")
    assert {p.spec.containers[0].image for p in pods_of(core, "workflow-engine")} == {"engine:1"}
    assert dep.status.updated_replicas == 2


def revisions_name(apps: client.AppsV1Api, image: str) -> str:
    items = apps.list_namespaced_replica_set(NS).items
    return next(
        rs.metadata.name for rs in items if rs.spec.template.spec.containers[0].image == image
    )


def test_controller_pods_look_running(
    apps: client.AppsV1Api, core: client.CoreV1Api, ns: str
) -> None:
    apps.create_namespaced_deployment(ns, deployment(replicas=1))
    (only,) = pods_of(core, "workflow-engine")
    rs_name = apps.list_namespaced_replica_set(ns).items[0].metadata.name
    assert (
        only.metadata.name.startswith(rs_name + "-") and len(only.metadata.name) == len(rs_name) + 6
    )
    assert only.metadata.labels["pod-template-hash"] == rs_name.rsplit("-", 1)[1]
    assert only.status.phase == "Running" and only.status.start_time is not None
    ready = {c.type: c.status for c in only.status.conditions}["Ready"]
    assert ready == "True"
    assert only.status.container_statuses[0].restart_count == 0
    # deleting a managed pod gets it replaced, as a ReplicaSet would
    core.delete_namespaced_pod(only.metadata.name, ns)
    (replacement,) = pods_of(core, "workflow-engine")
    assert replacement.metadata.name != only.metadata.name


def test_seeded_pods_are_left_alone(kube: FakeKubeServer, core: client.CoreV1Api) -> None:
    crashing = pod("engine-crash", {"app": "workflow-engine"})
    crashing["status"]["containerStatuses"] = [
        {
            "name": "app",
            "image": "busybox",
            "imageID": "",
            "ready": False,
            "restartCount": 7,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
        }
    ]
    kube.apply(crashing)
    read = core.read_namespaced_pod("engine-crash", NS)
    assert read.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    assert read.status.container_statuses[0].last_state.terminated.reason == "OOMKilled"


def test_rollout_delay(kube: FakeKubeServer, apps: client.AppsV1Api, ns: str) -> None:
    kube.rollout_delay_seconds = 30
    created = apps.create_namespaced_deployment(ns, deployment(replicas=2))
    # updatedReplicas counts the new template's pods whether Ready or not, as a real cluster does
    assert (created.status.ready_replicas, created.status.updated_replicas) == (0, 2)
    assert created.status.unavailable_replicas == 2
    kube.advance(30)  # the cluster's clock, no sleeping
    status = apps.read_namespaced_deployment_status("workflow-engine", ns).status
    assert (status.ready_replicas, status.updated_replicas, status.available_replicas) == (2, 2, 2)
    assert status.unavailable_replicas is None
    progressing = {c.type: c.reason for c in status.conditions}["Progressing"]
    assert progressing == "NewReplicaSetAvailable"


def conditions_of(dep: client.V1Deployment) -> dict[str, tuple[str, str, str]]:
    return {c.type: (c.status, c.reason, c.message) for c in dep.status.conditions}


def replicas_by_image(apps: client.AppsV1Api) -> dict[str, int]:
    return {
        rs.spec.template.spec.containers[0].image: rs.spec.replicas
        for rs in apps.list_namespaced_replica_set(NS).items
    }


def test_created_deployments_carry_the_api_defaults(apps: client.AppsV1Api, ns: str) -> None:
    spec = apps.create_namespaced_deployment(ns, deployment()).spec
    assert (spec.revision_history_limit, spec.progress_deadline_seconds) == (10, 600)
    assert spec.strategy.type == "RollingUpdate"
    assert (
        spec.strategy.rolling_update.max_surge,
        spec.strategy.rolling_update.max_unavailable,
    ) == (
        "25%",
        "25%",
    )


def test_rolling_update_stays_within_max_surge_and_max_unavailable(
    kube: FakeKubeServer, apps: client.AppsV1Api, ns: str
) -> None:
    body = deployment(replicas=4)
    body["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    apps.create_namespaced_deployment(ns, body)
    kube.rollout_delay_seconds = 10
    apps.patch_namespaced_deployment("workflow-engine", ns, image_patch("engine:2"))
    steps = []
    for _ in range(6):
        dep = apps.read_namespaced_deployment("workflow-engine", ns)
        s = dep.status
        steps.append(
            (replicas_by_image(apps), s.replicas, s.updated_replicas, s.available_replicas)
        )
        kube.advance(10)
    assert steps == [
        ({"engine:1": 4, "engine:2": 1}, 5, 1, 4),  # one pod of surge, none unavailable
        ({"engine:1": 3, "engine:2": 2}, 5, 2, 4),
        ({"engine:1": 2, "engine:2": 3}, 5, 3, 4),
        ({"engine:1": 1, "engine:2": 4}, 5, 4, 4),
        ({"engine:1": 0, "engine:2": 4}, 4, 4, 4),
        ({"engine:1": 0, "engine:2": 4}, 4, 4, 4),
    ]
    assert conditions_of(dep)["Progressing"][:2] == ("True", "NewReplicaSetAvailable")


def test_max_unavailable_lets_old_pods_go_before_new_ones_are_ready(
    kube: FakeKubeServer, apps: client.AppsV1Api, ns: str
) -> None:
    body = deployment(replicas=4)
    body["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "50%"}}
    apps.create_namespaced_deployment(ns, body)
    kube.rollout_delay_seconds = 10
    apps.patch_namespaced_deployment("workflow-engine", ns, image_patch("engine:2"))
    status = apps.read_namespaced_deployment("workflow-engine", ns).status
    assert replicas_by_image(apps) == {"engine:1": 2, "engine:2": 2}
    assert (status.replicas, status.available_replicas, status.unavailable_replicas) == (4, 2, 2)
    assert {c.type: c.status for c in status.conditions}["Available"] == "True"  # 2 >= 4 - 2


def image_patch(image: str) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}


def test_observed_generation_lags_while_the_controller_is_paused(
    kube: FakeKubeServer, apps: client.AppsV1Api, ns: str
) -> None:
    apps.create_namespaced_deployment(ns, deployment())
    kube.pause_controller()
    apps.patch_namespaced_deployment("workflow-engine", ns, image_patch("engine:2"))
    dep = apps.read_namespaced_deployment("workflow-engine", ns)
    assert (dep.metadata.generation, dep.status.observed_generation) == (2, 1)
    assert replicas_by_image(apps) == {"engine:1": 2}  # nothing rolled yet
    kube.resume_controller()
    dep = apps.read_namespaced_deployment("workflow-engine", ns)
    assert (dep.metadata.generation, dep.status.observed_generation) == (2, 2)
    assert replicas_by_image(apps) == {"engine:1": 0, "engine:2": 2}


def test_a_stuck_rollout_exceeds_its_progress_deadline(
    kube: FakeKubeServer, apps: client.AppsV1Api, core: client.CoreV1Api, ns: str
) -> None:
    body = deployment(replicas=2)
    body["spec"]["progressDeadlineSeconds"] = 60
    apps.create_namespaced_deployment(ns, body)
    kube.break_image("engine:broken")
    apps.patch_namespaced_deployment("workflow-engine", ns, image_patch("engine:broken"))
    new_rs = next(
        rs.metadata.name
        for rs in apps.list_namespaced_replica_set(ns).items
        if rs.spec.template.spec.containers[0].image == "engine:broken"
    )
    dep = apps.read_namespaced_deployment("workflow-engine", ns)
    # its pod was created (updatedReplicas moved): progress, the last there will be
    assert conditions_of(dep)["Progressing"] == (
        "True",
        "ReplicaSetUpdated",
        f'ReplicaSet "{new_rs}" is progressing.',
    )
    kube.advance(59)
    dep = apps.read_namespaced_deployment("workflow-engine", ns)
    assert conditions_of(dep)["Progressing"][:2] == ("True", "ReplicaSetUpdated")
    kube.advance(2)
    dep = apps.read_namespaced_deployment("workflow-engine", ns)
    assert conditions_of(dep)["Progressing"] == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{new_rs}" has timed out progressing.',
    )
    # the old pods keep serving (maxUnavailable 25% of 2 is 0); the new one waits for its image
    assert (dep.status.available_replicas, dep.status.updated_replicas) == (2, 1)
    waiting = [
        p.status.container_statuses[0].state.waiting.reason
        for p in pods_of(core, "workflow-engine")
        if not p.status.container_statuses[0].ready
    ]
    assert waiting == ["ImagePullBackOff"]
    apps.patch_namespaced_deployment("workflow-engine", ns, image_patch("engine:1"))  # undo
    dep = apps.read_namespaced_deployment("workflow-engine", ns)
    assert conditions_of(dep)["Progressing"][:2] == ("True", "NewReplicaSetAvailable")


def test_progress_restarts_the_deadline(
    kube: FakeKubeServer, apps: client.AppsV1Api, ns: str
) -> None:
    body = deployment(replicas=3)
    body["spec"]["progressDeadlineSeconds"] = 60
    body["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    apps.create_namespaced_deployment(ns, body)
    kube.rollout_delay_seconds = 45
    apps.patch_namespaced_deployment("workflow-engine", ns, image_patch("engine:2"))
    reasons = []
    for _ in range(4):  # 180 s in all, each pod Ready 45 s after the last: never 60 s idle
        kube.advance(45)
        dep = apps.read_namespaced_deployment("workflow-engine", ns)
        reasons.append(conditions_of(dep)["Progressing"][1])
    assert reasons == ["ReplicaSetUpdated"] * 2 + ["NewReplicaSetAvailable"] * 2


def test_revision_history_limit_deletes_the_oldest_idle_replicasets(
    apps: client.AppsV1Api, ns: str
) -> None:
    body = deployment()
    body["spec"]["revisionHistoryLimit"] = 2
    apps.create_namespaced_deployment(ns, body)
    for tag in range(2, 6):
        apps.patch_namespaced_deployment("workflow-engine", ns, image_patch(f"engine:{tag}"))
    assert sorted(replicasets_by_revision(apps)) == ["3", "4", "5"]


def test_recreate_strategy_stops_old_pods_first(
    kube: FakeKubeServer, apps: client.AppsV1Api, ns: str
) -> None:
    body = deployment(replicas=2)
    body["spec"]["strategy"] = {"type": "Recreate"}
    apps.create_namespaced_deployment(ns, body)
    kube.rollout_delay_seconds = 10
    apps.patch_namespaced_deployment("workflow-engine", ns, image_patch("engine:2"))
    status = apps.read_namespaced_deployment("workflow-engine", ns).status
    assert replicas_by_image(apps) == {"engine:1": 0, "engine:2": 2}
    assert (status.replicas, status.available_replicas, status.unavailable_replicas) == (2, 0, 2)


def test_namespace_delete_cascades(
    kube: FakeKubeServer, core: client.CoreV1Api, apps: client.AppsV1Api, ns: str
) -> None:
    apps.create_namespaced_deployment(ns, deployment())
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}})
    kube.apply(pod("loose", namespace="other"))
    deleted = core.delete_namespace(ns)
    assert deleted["status"]["phase"] == "Terminating"  # the client reads it as a plain dict
    assert core.list_namespaced_pod(ns).items == []
    assert apps.list_deployment_for_all_namespaces().items == []
    assert [p.metadata.name for p in core.list_pod_for_all_namespaces().items] == ["loose"]
    assert kube.get("namespaces", None, ns) is None


def test_a_deleted_namespace_is_terminating_until_its_content_is_gone(
    kube: FakeKubeServer, core: client.CoreV1Api, ns: str
) -> None:
    kube.namespace_termination_seconds = 30
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}})
    deleted = core.delete_namespace(ns)
    assert deleted["status"]["phase"] == "Terminating" and deleted["metadata"]["deletionTimestamp"]
    read = core.read_namespace(ns)
    assert read.status.phase == "Terminating" and read.metadata.deletion_timestamp is not None
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "late"}})
    assert refused.value.status == 403
    assert error_of(refused)["message"] == (
        f"configmaps is forbidden: unable to create new content in namespace {ns} because it is "
        "being terminated"
    )
    assert error_of(refused)["details"]["causes"][0]["reason"] == "NamespaceTerminating"
    with pytest.raises(ApiException) as again:
        core.delete_namespace(ns)
    assert (
        again.value.status == 409
        and "ensuring all content is removed" in error_of(again)["message"]
    )
    kube.advance(30)
    with pytest.raises(ApiException) as gone:
        core.read_namespace(ns)
    assert gone.value.status == 404
    assert core.list_config_map_for_all_namespaces().items == []


def test_a_namespace_with_a_finalizer_stays_terminating(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "stuck", "finalizers": ["example.com/cleanup"]},
        }
    )
    core.delete_namespace("stuck")
    kube.advance(3600)
    assert core.read_namespace("stuck").status.phase == "Terminating"


def delete_options(**preconditions: str) -> client.V1DeleteOptions:
    return client.V1DeleteOptions(preconditions=client.V1Preconditions(**preconditions))


def test_delete_preconditions_that_do_not_hold_are_409_and_delete_nothing(
    core: client.CoreV1Api, ns: str
) -> None:
    made = core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}})
    with pytest.raises(ApiException) as wrong_uid:
        core.delete_namespaced_config_map("cfg", ns, body=delete_options(uid="not-its-uid"))
    assert wrong_uid.value.status == 409 and error_of(wrong_uid)["reason"] == "Conflict"
    assert error_of(wrong_uid)["message"] == (
        'Operation cannot be fulfilled on configmaps "cfg": Precondition failed: UID in '
        f"precondition: not-its-uid, UID in object meta: {made.metadata.uid}"
    )
    with pytest.raises(ApiException) as stale:
        core.delete_namespaced_config_map("cfg", ns, body=delete_options(resource_version="1"))
    assert (
        stale.value.status == 409
        and "ResourceVersion in precondition: 1" in error_of(stale)["message"]
    )
    assert core.read_namespaced_config_map("cfg", ns).metadata.uid == made.metadata.uid
    core.delete_namespaced_config_map("cfg", ns, body=delete_options(uid=made.metadata.uid))
    assert core.list_namespaced_config_map(ns).items == []


def test_a_namespace_recreated_under_its_name_is_not_deleted_by_the_old_uid(
    kube: FakeKubeServer, core: client.CoreV1Api, ns: str
) -> None:
    old_uid = core.read_namespace(ns).metadata.uid
    core.delete_namespace(ns)
    core.create_namespace({"metadata": {"name": ns}})
    with pytest.raises(ApiException) as refused:
        core.delete_namespace(ns, body=delete_options(uid=old_uid))
    assert refused.value.status == 409
    assert core.read_namespace(ns).status.phase == "Active"


# -- access reviews --------------------------------------------------------------------------


def ssar_body(verb: str, resource: str, namespace: str, group: str = "") -> dict[str, Any]:
    return {
        "spec": {
            "resourceAttributes": {
                "verb": verb,
                "resource": resource,
                "namespace": namespace,
                "group": group,
            }
        }
    }


def test_self_subject_access_review(kube: FakeKubeServer) -> None:
    kube.allow("alice", "patch", "deployments", namespace=NS)
    with make_client(kube.url) as admin_api:
        admin = client.AuthorizationV1Api(admin_api)
        assert admin.create_self_subject_access_review(
            ssar_body("delete", "namespaces", "")
        ).status.allowed
    with make_client(kube.url, impersonate="alice") as alice_api:
        alice = client.AuthorizationV1Api(alice_api)
        allowed = alice.create_self_subject_access_review(
            ssar_body("patch", "deployments", NS, "apps")
        )
        denied = alice.create_self_subject_access_review(
            ssar_body("patch", "deployments", "kube-system", "apps")
        )
    assert allowed.status.allowed and not denied.status.allowed
    assert (
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "alice",
    ) in kube.requests


def test_subject_access_review_for_service_account(kube: FakeKubeServer, api: ApiClient) -> None:
    sa = "system:serviceaccount:rtb-ai-hub:rtb-hub-sa"
    kube.allow(sa, "get", "pods/log", namespace=NS)
    kube.allow(sa, "*", "configmaps")
    authz = client.AuthorizationV1Api(api)

    def review(verb: str, resource: str, sub: str | None = None) -> bool:
        attrs = {"verb": verb, "resource": resource, "namespace": NS}
        if sub:
            attrs["subresource"] = sub
        body = {"spec": {"user": sa, "resourceAttributes": attrs}}
        return bool(authz.create_subject_access_review(body).status.allowed)

    assert review("get", "pods", "log")
    assert review("update", "configmaps")
    assert not review("get", "pods")
    assert not review("delete", "pods")


def test_an_allowed_review_gives_the_reason_rbac_gives(
    kube: FakeKubeServer, api: ApiClient
) -> None:
    """`kubectl auth can-i … -v` shows the authorizer's reason: a binding, a role, a subject
    (the fake once showed its own Python repr there)."""
    sa = "system:serviceaccount:rtb-ai-hub:rtb-hub-sa"
    kube.allow(sa, "create", "namespaces")
    kube.allow("alice", "get", "pods/log", namespace=NS)
    authz = client.AuthorizationV1Api(api)

    def reason(user: str, attrs: dict[str, str]) -> str:
        body = {"spec": {"user": user, "resourceAttributes": attrs}}
        return str(authz.create_subject_access_review(body).status.reason)

    assert reason(sa, {"verb": "create", "resource": "namespaces"}) == (
        'RBAC: allowed by ClusterRoleBinding "create-namespaces" of ClusterRole '
        '"create-namespaces" to ServiceAccount "rtb-hub-sa/rtb-ai-hub"'
    )
    log = {"verb": "get", "resource": "pods", "subresource": "log", "namespace": NS}
    assert reason("alice", log) == (
        f'RBAC: allowed by RoleBinding "get-pods-log/{NS}" of Role "get-pods-log" to User "alice"'
    )


def test_bearer_tokens_map_to_users() -> None:
    with FakeKubeServer(token_users={"tok-bob": "bob"}) as fake:
        with make_client(fake.url, token="tok-bob") as bob_api:
            client.CoreV1Api(bob_api).list_namespace()
            review = client.AuthorizationV1Api(bob_api).create_self_subject_access_review(
                ssar_body("get", "pods", NS)
            )
        assert not review.status.allowed
        assert fake.requests[0] == ("GET", "/api/v1/namespaces", "bob")
        with make_client(fake.url, token="wrong") as stranger, pytest.raises(ApiException) as exc:
            client.CoreV1Api(stranger).list_namespace()
        assert exc.value.status == 401


def test_impersonated_requests_get_the_impersonated_users_rbac(
    kube: FakeKubeServer, apps: client.AppsV1Api, core: client.CoreV1Api, ns: str
) -> None:
    apps.create_namespaced_deployment(ns, deployment())
    kube.allow("alice", "list", "pods", namespace=NS)
    kube.allow("alice", "get", "deployments", namespace=NS)
    with make_client(kube.url, impersonate="alice") as alice_api:
        alice_core, alice_apps = client.CoreV1Api(alice_api), client.AppsV1Api(alice_api)
        assert len(alice_core.list_namespaced_pod(NS).items) == 2
        assert alice_apps.read_namespaced_deployment("workflow-engine", NS).spec.replicas == 2
        with pytest.raises(ApiException) as elsewhere:
            alice_core.list_namespaced_pod("kube-system")
        with pytest.raises(ApiException) as write:
            alice_apps.patch_namespaced_deployment_scale(
                "workflow-engine", NS, {"spec": {"replicas": 0}}
            )
        with pytest.raises(ApiException) as cluster_wide:
            alice_core.list_namespace()
    assert elsewhere.value.status == 403 and error_of(elsewhere)["message"] == (
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the '
        'namespace "kube-system"'
    )
    assert error_of(write)["message"] == (
        'deployments.apps "workflow-engine" is forbidden: User "alice" cannot patch resource '
        '"deployments/scale" in API group "apps" in the namespace "rtb-ai-hub"'
    )
    assert error_of(cluster_wide)["message"].endswith("at the cluster scope")
    assert apps.read_namespaced_deployment("workflow-engine", ns).spec.replicas == 2


def test_impersonating_needs_the_impersonate_verb() -> None:
    with FakeKubeServer(token_users={"tok-bob": "bob"}) as fake:
        fake.allow("alice", "list", "namespaces")
        fake.allow("system:serviceaccount:hub:deployer", "list", "namespaces")

        def list_as(user: str, group: str | None = None) -> Any:
            with make_client(fake.url, impersonate=user, token="tok-bob") as api:
                if group:
                    api.set_default_header("Impersonate-Group", group)
                return client.CoreV1Api(api).list_namespace()

        with pytest.raises(ApiException) as refused:
            list_as("alice")
        assert refused.value.status == 403 and error_of(refused)["message"] == (
            'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API '
            'group "" at the cluster scope'
        )
        fake.allow("bob", "impersonate", "users", name="alice")
        list_as("alice")
        with pytest.raises(ApiException) as other_user:
            list_as("carol")
        assert 'users "carol" is forbidden' in error_of(other_user)["message"]
        with pytest.raises(ApiException) as group:
            list_as("alice", group="system:masters")
        assert error_of(group)["message"].startswith('groups "system:masters" is forbidden')
        with pytest.raises(ApiException) as account:
            list_as("system:serviceaccount:hub:deployer")
        assert error_of(account)["message"] == (
            'serviceaccounts "deployer" is forbidden: User "bob" cannot impersonate resource '
            '"serviceaccounts" in API group "" in the namespace "hub"'
        )
        fake.allow("bob", "impersonate", "serviceaccounts", namespace="hub", name="deployer")
        list_as("system:serviceaccount:hub:deployer")


# -- faults ----------------------------------------------------------------------------------


def test_fault_once_then_ok(kube: FakeKubeServer, core: client.CoreV1Api, ns: str) -> None:
    kube.inject_fault(method="GET", path_regex=r"/pods$", status=403, count=1)
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_pod(ns)
    assert exc.value.status == 403 and error_of(exc)["reason"] == "Forbidden"
    assert core.list_namespaced_pod(ns).items == []


def test_429_fault_has_retry_after(kube: FakeKubeServer, core: client.CoreV1Api) -> None:
    kube.inject_fault(status=429, count=None)
    for _ in range(2):
        with pytest.raises(ApiException) as exc:
            core.list_namespace()
        assert exc.value.status == 429 and exc.value.headers["Retry-After"] == "1"
    kube.clear_faults()
    core.list_namespace()


def test_a_held_request_times_out_in_the_client_while_the_server_keeps_serving(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.inject_fault(method="GET", path_regex="/namespaces$", status=None, hold=True)
    with pytest.raises(urllib3.exceptions.HTTPError):
        core.list_namespace(_request_timeout=0.2)
    assert kube.held_requests == 1  # the client gave up first
    assert core.get_api_resources().group_version == "v1"  # answered while one is held
    kube.release_held()
    core.list_namespace()  # the fault was used up


def wait_until(condition: Any, bound_seconds: float = 30) -> None:
    """Poll `condition` (a bound for a broken case, not a measure)."""
    deadline = time.monotonic() + bound_seconds
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def test_a_held_request_is_answered_once_released(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.inject_fault(method="GET", path_regex="/namespaces$", status=503, hold=True)
    outcome: list[object] = []

    def ask() -> None:
        try:
            core.list_namespace()
        except ApiException as error:
            outcome.append(error.status)
        except Exception as error:  # named in the assertion below
            outcome.append(type(error).__name__)
        else:
            outcome.append("answered 200")

    asking = threading.Thread(target=ask)
    asking.start()
    wait_until(lambda: kube.held_requests == 1)
    assert outcome == []
    kube.release_held()
    asking.join(60)  # a bound for a hang, not a measure
    assert not asking.is_alive()
    assert outcome == [503] and kube.held_requests == 0


def test_an_after_hook_runs_once_the_request_is_applied_before_the_answer(
    kube: FakeKubeServer, core: client.CoreV1Api, ns: str
) -> None:
    seen: list[dict[str, str] | None] = []

    def after() -> None:  # e.g. cut the caller's database between a change and its answer
        seen.append((kube.get("namespaces", None, ns) or {}).get("metadata", {}).get("labels"))

    kube.inject_fault("PATCH", f"/namespaces/{ns}$", status=None, after=after)
    core.patch_namespace(ns, {"metadata": {"labels": {"team": "rtb"}}})
    core.patch_namespace(ns, {"metadata": {"labels": {"team": "hub"}}})  # count=1: used up
    assert seen == [{"team": "rtb"}]


def test_a_held_request_waits_until_the_test_releases_it(
    kube: FakeKubeServer, core: client.CoreV1Api, ns: str
) -> None:
    kube.inject_fault("GET", "/configmaps/cfg$", status=None, hold=True)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        reading = pool.submit(core.read_namespaced_config_map, "cfg", ns)
        while not any(path.endswith("/configmaps/cfg") for _, path, _ in kube.requests):
            time.sleep(0.01)
        core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}})  # served meanwhile
        assert not reading.done()
        kube.release_held()
        assert reading.result().metadata.name == "cfg"  # answered after what happened meanwhile


# -- custom resources ------------------------------------------------------------------------


def test_custom_objects_crud(core: client.CoreV1Api, api: ApiClient, ns: str) -> None:
    custom = client.CustomObjectsApi(api)
    args = ("keda.sh", "v1alpha1", ns, "scaledobjects")
    body = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "engine-scaler"},
        "spec": {"scaleTargetRef": {"name": "workflow-engine"}, "maxReplicaCount": 10},
    }
    created = custom.create_namespaced_custom_object(*args, body)
    assert created["metadata"]["uid"] and created["metadata"]["namespace"] == ns
    patched = custom.patch_namespaced_custom_object(
        *args,
        "engine-scaler",
        {"metadata": {"annotations": {"autoscaling.keda.sh/paused-replicas": "0"}}},
    )
    assert patched["metadata"]["annotations"] == {"autoscaling.keda.sh/paused-replicas": "0"}
    assert patched["spec"]["maxReplicaCount"] == 10
    listed = custom.list_namespaced_custom_object(*args)
    assert [o["metadata"]["name"] for o in listed["items"]] == ["engine-scaler"]
    assert listed["kind"] == "ScaledObjectList"
    custom.delete_namespaced_custom_object(*args, "engine-scaler")
    with pytest.raises(ApiException) as exc:
        custom.get_namespaced_custom_object(*args, "engine-scaler")
    assert exc.value.status == 404


def test_direct_seeding_and_inspection(kube: FakeKubeServer, apps: client.AppsV1Api) -> None:
    kube.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "workflow-engine", "namespace": NS},
            "spec": deployment()["spec"],
        }
    )
    assert kube.get("namespaces", None, NS) is not None
    assert kube.get("deployments", NS, "workflow-engine")["status"]["readyReplicas"] == 2
    assert len(kube.list("pods", NS)) == 2
    kube.apply(
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": "s", "namespace": NS},
            "spec": {},
        }
    )
    assert kube.get("scaledobjects", NS, "s") == kube.get("scaledobjects.keda.sh", NS, "s")
    assert apps.read_namespaced_deployment("workflow-engine", NS).status.replicas == 2

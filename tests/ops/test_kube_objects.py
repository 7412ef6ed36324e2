"""ops.kube_objects: typed views built once from the API's JSON, every missing field settled."""

import pytest

from ops.kube_objects import (
    Deployment,
    Namespace,
    Pod,
    ReplicaSet,
    ScaledObject,
    images,
    listed,
)

EMPTY_SHAPES = [{}, {"metadata": None, "spec": None, "status": None}]


@pytest.mark.parametrize("obj", EMPTY_SHAPES)
def test_a_view_of_an_object_with_nothing_in_it_has_the_api_defaults(obj):
    deployment = Deployment.of(obj)
    assert (deployment.name, deployment.replicas, deployment.total) == ("?", 1, 0)
    assert deployment.revision is None and deployment.revision_number is None
    assert deployment.images == {} and deployment.progressing is None
    pod = Pod.of(obj)
    assert (pod.phase, pod.containers, pod.statuses, pod.ready_condition) == (
        "Unknown",
        (),
        (),
        None,
    )
    replicaset = ReplicaSet.of(obj)
    assert (replicaset.pods, replicaset.revision, replicaset.owned_by("")) == (0, None, False)
    assert Namespace.of(obj).phase == "Active"
    scaled = ScaledObject.of(obj)
    assert (scaled.target_kind, scaled.target_name, scaled.paused_replicas) == (
        "Deployment",
        None,
        None,
    )


def test_a_deployment_reads_its_spec_status_and_annotations():
    deployment = Deployment.of(
        {
            "metadata": {
                "name": "workflow-engine",
                "namespace": "rtb-ai-hub",
                "uid": "u1",
                "generation": 3,
                "resourceVersion": "42",
                "annotations": {"deployment.kubernetes.io/revision": "7"},
            },
            "spec": {
                "replicas": 0,  # zero is a value, not a missing field
                "paused": True,
                "selector": {"matchLabels": {"app": "engine"}},
                "template": {"spec": {"containers": [{"name": "engine", "image": "hub:v7"}]}},
            },
            "status": {
                "observedGeneration": 2,
                "updatedReplicas": 1,
                "conditions": [
                    {"type": "Available", "status": "True"},
                    {"type": "Progressing", "status": "False", "reason": "Deadline"},
                ],
            },
        }
    )
    assert (deployment.replicas, deployment.paused, deployment.revision_number) == (0, True, 7)
    assert deployment.match_labels == {"app": "engine"}
    assert deployment.images == {"engine": "hub:v7"}
    assert (deployment.meta.generation, deployment.observed_generation) == (3, 2)
    assert deployment.progressing is not None and deployment.progressing.reason == "Deadline"
    assert deployment.meta.resource_version == "42"


def test_a_pod_reads_its_containers_runs_and_conditions():
    pod = Pod.of(
        {
            "metadata": {
                "name": "p",
                "annotations": {"kubectl.kubernetes.io/default-container": "app"},
            },
            "spec": {
                "containers": [
                    {"name": "app", "image": "a", "resources": {"limits": {"memory": "512Mi"}}},
                    {"name": "sidecar", "image": "s", "resources": None},
                ]
            },
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "app",
                        "restartCount": 2,
                        "state": {"running": {"startedAt": "2026-12-03T01:00:00Z"}},
                        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                    },
                    {"name": "sidecar", "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
                ],
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
    )
    assert [(c.name, c.memory_limit) for c in pod.containers] == [
        ("app", "512Mi"),
        ("sidecar", None),
    ]
    app, sidecar = pod.statuses
    assert app.last_terminated is not None and app.last_terminated.reason == "OOMKilled"
    assert app.terminated is None and app.started_at is not None and app.restart_count == 2
    assert sidecar.waiting_reason == "CrashLoopBackOff" and sidecar.restart_count == 0
    assert pod.default_container == "app" and pod.status_of("sidecar") is sidecar
    assert pod.ready_condition is not None and pod.ready_condition.status == "True"


def test_lists_and_templates_skip_what_is_not_an_object():
    assert listed({"items": [{"a": 1}, None, "x"]}) == [{"a": 1}]
    assert listed(None) == [] and listed({"items": None}) == []
    assert images({"spec": {"containers": [None, {"name": "c"}]}}) == {"c": "?"}


def test_a_replicaset_is_owned_by_uid_and_a_scaled_object_names_its_target():
    replicaset = ReplicaSet.of(
        {"metadata": {"ownerReferences": [{"uid": "u1"}], "annotations": {}}, "status": {}}
    )
    assert replicaset.owned_by("u1") and not replicaset.owned_by("u2")
    scaled = ScaledObject.of(
        {
            "metadata": {"name": "so", "annotations": {"autoscaling.keda.sh/paused-replicas": "0"}},
            "spec": {"scaleTargetRef": {"name": "workflow-engine"}},
        }
    )
    assert scaled.scales("workflow-engine") and not scaled.scales("other")
    assert scaled.paused_replicas == "0"

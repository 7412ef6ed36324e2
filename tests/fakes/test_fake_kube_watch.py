"""The fake's watch API, through the official client's `kubernetes.watch.Watch().stream`."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client import ApiClient, ApiException, Configuration

from sandbox.fake_kube import FakeKubeServer

NS = "preview-proj-7"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeKubeServer]:
    fake = FakeKubeServer()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def kube(server: FakeKubeServer) -> FakeKubeServer:
    server.reset()
    server.bookmark_seconds = 60.0
    return server


@pytest.fixture
def core(kube: FakeKubeServer) -> Iterator[client.CoreV1Api]:
    cfg = Configuration(host=kube.url)
    cfg.retries = 0
    with ApiClient(cfg) as api:
        yield client.CoreV1Api(api)


def pod(name: str, ns: str = NS, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "app:1"}]},
        "status": {"phase": "Running"},
    }


def restarted(kube: FakeKubeServer, name: str, count: int, ns: str = NS) -> None:
    current = kube.get("pods", ns, name)
    assert current is not None
    current["status"]["containerStatuses"] = [
        {"name": "app", "image": "app:1", "imageID": "", "ready": True, "restartCount": count}
    ]
    kube.apply(current)


def version_of(listing: Any) -> str:
    return str(listing.metadata.resource_version)


def seen(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["raw_object"]["metadata"].get("name", "")) for e in events]


def test_a_watch_from_the_lists_version_replays_every_later_change_in_order(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.apply(pod("before"))
    listed = version_of(core.list_namespaced_pod(NS))
    kube.apply(pod("web"))
    restarted(kube, "web", 1)
    core.delete_namespaced_pod("before", NS)

    events = list(
        watch.Watch().stream(
            core.list_namespaced_pod,
            NS,
            resource_version=listed,
            timeout_seconds=1,
        )
    )

    assert seen(events) == [("ADDED", "web"), ("MODIFIED", "web"), ("DELETED", "before")]
    versions = [int(e["raw_object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and len(set(versions)) == 3
    assert versions[0] > int(listed)
    assert events[1]["object"].status.container_statuses[0].restart_count == 1


def test_a_watch_without_a_version_starts_with_the_current_state(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.apply(pod("a"))
    kube.apply(pod("b", "other"))
    events = list(watch.Watch().stream(core.list_pod_for_all_namespaces, timeout_seconds=1))
    assert sorted(seen(events)) == [("ADDED", "a"), ("ADDED", "b")]


def test_namespace_and_selectors_filter_the_events(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.apply(pod("in", app="x"))
    version = version_of(core.list_namespaced_pod(NS))
    kube.apply(pod("elsewhere", "other", app="x"))
    kube.apply(pod("unlabelled"))
    kube.apply(pod("in", app="y"))  # relabelled out of the selection: a DELETED for this watch

    events = list(
        watch.Watch().stream(
            core.list_namespaced_pod,
            NS,
            label_selector="app=x",
            resource_version=version,
            timeout_seconds=1,
        )
    )
    assert seen(events) == [("DELETED", "in")]
    by_field = list(
        watch.Watch().stream(
            core.list_pod_for_all_namespaces,
            field_selector="metadata.name=elsewhere",
            resource_version=version,
            timeout_seconds=1,
        )
    )
    assert seen(by_field) == [("ADDED", "elsewhere")]


def test_a_live_change_arrives_while_the_watch_is_open(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    version = version_of(core.list_pod_for_all_namespaces())
    got: queue.Queue[dict[str, Any]] = queue.Queue()
    w = watch.Watch()

    def follow() -> None:
        for event in w.stream(
            core.list_pod_for_all_namespaces, resource_version=version, timeout_seconds=30
        ):
            got.put(event)
            w.stop()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    kube.apply(pod("late"))
    event = got.get(timeout=20)
    reader.join(20)
    assert seen([event]) == [("ADDED", "late")]
    assert not reader.is_alive()


def test_a_server_side_disconnect_is_resumed_from_the_last_version_seen(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    version = version_of(core.list_pod_for_all_namespaces())
    got: queue.Queue[dict[str, Any]] = queue.Queue()
    w = watch.Watch()

    def follow() -> None:  # no timeout_seconds: the client reconnects by itself
        for event in w.stream(core.list_pod_for_all_namespaces, resource_version=version):
            got.put(event)
            if event["raw_object"]["metadata"]["name"] == "second":
                w.stop()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    kube.apply(pod("first"))
    assert seen([got.get(timeout=20)]) == [("ADDED", "first")]
    watches_before = sum(1 for m, p, _ in kube.requests if p == "/api/v1/pods")
    kube.disconnect_watches()
    kube.apply(pod("second"))
    assert seen([got.get(timeout=20)]) == [("ADDED", "second")]  # not "first" again
    reader.join(20)
    assert got.empty()
    assert sum(1 for m, p, _ in kube.requests if p == "/api/v1/pods") == watches_before + 1


def test_a_too_old_version_is_an_error_event_with_a_410_status(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.apply(pod("a"))
    old = version_of(core.list_pod_for_all_namespaces())
    kube.apply(pod("b"))
    kube.compact_watch_history()

    w = watch.Watch()
    with pytest.raises(ApiException) as gone:
        list(w.stream(core.list_pod_for_all_namespaces, resource_version=old, timeout_seconds=5))
    assert gone.value.status == 410
    assert "too old resource version" in str(gone.value.reason)

    # without timeout_seconds the client retries once from the same version, then gives up
    with pytest.raises(ApiException) as again:
        list(w.stream(core.list_pod_for_all_namespaces, resource_version=old))
    assert again.value.status == 410

    # a new list gives a version that can be watched
    fresh = version_of(core.list_pod_for_all_namespaces())
    kube.apply(pod("c"))
    events = w.stream(core.list_pod_for_all_namespaces, resource_version=fresh, timeout_seconds=1)
    assert seen(list(events)) == [("ADDED", "c")]


def test_the_raw_410_event_is_a_status_object(kube: FakeKubeServer, core: client.CoreV1Api) -> None:
    kube.apply(pod("a"))
    kube.compact_watch_history()
    response: Any = core.list_pod_for_all_namespaces(
        watch=True, resource_version="1", timeout_seconds=1, _preload_content=False
    )
    lines = [line for line in response.data.decode().splitlines() if line]
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["type"] == "ERROR"
    assert event["object"]["kind"] == "Status"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


def test_bookmarks_carry_the_current_version_when_asked_for(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.bookmark_seconds = 0.2
    kube.apply(pod("a"))
    version = version_of(core.list_pod_for_all_namespaces())
    kube.apply(pod("other", "elsewhere"))
    w = watch.Watch()
    events = list(
        w.stream(
            core.list_namespaced_pod,
            NS,
            resource_version=version,
            allow_watch_bookmarks=True,
            timeout_seconds=1,
        )
    )
    assert events and {e["type"] for e in events} == {"BOOKMARK"}
    assert events[-1]["raw_object"]["metadata"]["resourceVersion"] == str(kube.resource_version)
    assert w.resource_version == str(kube.resource_version)
    plain = list(
        watch.Watch().stream(
            core.list_namespaced_pod, NS, resource_version=version, timeout_seconds=1
        )
    )
    assert plain == []  # no bookmarks unless asked for


def test_watch_is_its_own_rbac_verb(kube: FakeKubeServer) -> None:
    kube.allow("viewer", "list", "pods")
    cfg = Configuration(host=kube.url)
    cfg.retries = 0
    with ApiClient(cfg) as api:
        api.set_default_header("Impersonate-User", "viewer")
        core = client.CoreV1Api(api)
        core.list_pod_for_all_namespaces()
        with pytest.raises(ApiException) as refused:
            list(watch.Watch().stream(core.list_pod_for_all_namespaces, timeout_seconds=1))
    assert refused.value.status == 403


def test_an_injected_fault_fails_the_watch_request(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.inject_fault("GET", "^/api/v1/pods$", status=503)
    with pytest.raises(ApiException) as failed:
        list(watch.Watch().stream(core.list_pod_for_all_namespaces, timeout_seconds=1))
    assert failed.value.status == 503


def test_previous_logs_exist_only_once_the_container_restarted(
    kube: FakeKubeServer, core: client.CoreV1Api
) -> None:
    kube.apply(pod("web"))
    kube.set_pod_logs(NS, "web", "now running\n")
    kube.set_pod_logs(NS, "web", "heap out of memory\n", previous=True)
    with pytest.raises(ApiException) as refused:
        core.read_namespaced_pod_log("web", NS, previous=True)
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["message"].startswith(
        'previous terminated container "app"'
    )

    current = kube.get("pods", NS, "web")
    assert current is not None
    current["status"]["containerStatuses"] = [
        {
            "name": "app",
            "image": "app:1",
            "imageID": "",
            "ready": False,
            "restartCount": 1,
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
        }
    ]
    kube.apply(current)
    assert core.read_namespaced_pod_log("web", NS, previous=True) == "heap out of memory\n"
    assert core.read_namespaced_pod_log("web", NS) == "now running\n"

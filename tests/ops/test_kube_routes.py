"""The bot's Kubernetes routes send what the official generated API classes send.

`ops.backends.kube` calls the API server through the official `ApiClient` with a table of
routes instead of the generated `CoreV1Api`/`AppsV1Api`/… classes (loading those costs every
replica ~25 MB for models the bot never keeps). Each case here is sent both ways to a recording
HTTP server: verb, path, query, Accept, Content-Type and body must be the same.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, get_args
from urllib.parse import parse_qsl

import kubernetes.client as k8s
import pytest

from ops.backends.aws import AwsSessions
from ops.backends.blocking import BlockingCalls
from ops.backends.kube import Kube
from ops.backends.kube_routes import OPERATIONS, ROUTES, Api, request_for
from tests.fixtures.bot import make_config

Seen = tuple[str, str, str | None, str | None, Any]  # verb, path?query, Accept, Content-Type, body
GENERATED = {
    "core": "CoreV1Api",
    "apps": "AppsV1Api",
    "auth": "AuthorizationV1Api",
    "custom": "CustomObjectsApi",
    "version": "VersionApi",
}
KEDA = {"group": "keda.sh", "version": "v1alpha1", "plural": "scaledobjects"}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}},
    },
}
CASES: dict[tuple[str, str], dict[str, Any]] = {
    ("version", "get_code"): {},
    ("core", "list_namespace"): {"label_selector": "rtb.io/preview=true"},
    ("core", "create_namespace"): {"body": {"metadata": {"name": "preview-proj-1"}}},
    ("core", "patch_namespace"): {"name": "preview-proj-1", "body": {"metadata": {"labels": {}}}},
    ("core", "delete_namespace"): {"name": "p", "body": {"preconditions": {"uid": "u"}}},
    ("core", "list_namespaced_pod"): {"namespace": "rtb-hub", "field_selector": "metadata.name=a"},
    ("core", "read_namespaced_pod_log"): {
        "name": "web-1", "namespace": "rtb-hub", "container": "app",
        "tail_lines": 100, "since_seconds": 60, "previous": True,
    },
    ("core", "list_namespaced_event"): {"namespace": "rtb-hub", "field_selector": "x=y"},
    ("core", "list_namespaced_secret"): {"namespace": "rtb-hub"},
    ("apps", "list_namespaced_deployment"): {"namespace": "rtb-hub", "label_selector": "app=w"},
    ("apps", "create_namespaced_deployment"): {"namespace": "p", "body": DEPLOYMENT},
    ("apps", "read_namespaced_deployment"): {"name": "web", "namespace": "rtb-hub"},
    ("apps", "replace_namespaced_deployment"): {"name": "w", "namespace": "p", "body": DEPLOYMENT},
    ("apps", "patch_namespaced_deployment"): {
        "name": "web", "namespace": "p",
        "body": [{"op": "replace", "path": "/spec/replicas", "value": 2}],
    },
    ("apps", "delete_namespaced_deployment"): {"name": "web", "namespace": "p"},
    ("apps", "patch_namespaced_deployment_scale"): {
        "name": "web", "namespace": "p", "body": {"spec": {"replicas": 0}},
    },
    ("apps", "list_namespaced_replica_set"): {"namespace": "rtb-hub"},
    ("custom", "list_namespaced_custom_object"): {**KEDA, "namespace": "rtb-hub"},
    ("custom", "patch_namespaced_custom_object"): {
        **KEDA, "namespace": "rtb-hub", "name": "web", "body": {"spec": {"paused": True}},
    },
    ("auth", "create_subject_access_review"): {
        "body": {"spec": {"user": "u", "resourceAttributes": {"verb": "get"}}},
    },
}  # fmt: skip


class _Recorder(BaseHTTPRequestHandler):
    seen: list[Seen]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        path, _, query = self.path.partition("?")
        self.seen.append(
            (
                self.command,
                f"{path}?{sorted(parse_qsl(query))}",  # the order of the query does not matter
                self.headers.get("Accept"),
                self.headers.get("Content-Type"),
                body,
            )
        )
        text = self.path.split("?")[0].endswith("/log")
        payload = b"a line\n" if text else b'{"kind": "Status", "status": "Success"}'
        self.send_response(200)
        self.send_header("Content-Type", "text/plain" if text else "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, list[Seen]]]:
    seen: list[Seen] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def kube(recorder: tuple[str, list[Seen]]) -> Kube:
    url = recorder[0]
    config = make_config(
        kube_urls=dict.fromkeys(("int", "stg", "prd"), url),
        aws_endpoint="http://127.0.0.1:9",
        slack_api_url="http://127.0.0.1:9/api/",
    )
    return Kube(config, AwsSessions(config), BlockingCalls(max_workers=2))


def test_every_route_has_a_case() -> None:
    assert set(CASES) == set(ROUTES)


def test_the_typed_operation_names_are_exactly_the_tables() -> None:
    """Call sites name operations by `Operation`/`Api` (a typo is a mypy error): the Literals
    and the route table must list the same operations."""
    assert sorted(OPERATIONS) == sorted(method for _, method in ROUTES)
    assert len(set(OPERATIONS)) == len(ROUTES)
    assert {api for api, _ in ROUTES} == set(get_args(Api))


@pytest.mark.parametrize(("api", "method"), sorted(CASES))
async def test_sends_what_the_generated_client_sends(
    kube: Kube, recorder: tuple[str, list[Seen]], api: str, method: str
) -> None:
    url, seen = recorder
    kwargs = CASES[(api, method)]
    configuration = k8s.Configuration()
    configuration.host = url
    generated = getattr(k8s, GENERATED[api])(k8s.ApiClient(configuration))
    seen.clear()
    getattr(generated, method)(**kwargs, _preload_content=False)
    await kube.call("int", api, method, **kwargs)
    assert len(seen) == 2
    assert seen[1] == seen[0]


async def test_answers_the_servers_json_and_a_log_as_text(kube: Kube) -> None:
    status = await kube.call("int", "core", "list_namespace")
    log = await kube.call("int", "core", "read_namespaced_pod_log", name="a", namespace="b")
    assert status == {"kind": "Status", "status": "Success"}
    assert log == "a line\n"


def test_an_unknown_operation_or_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="no Kubernetes route"):
        request_for("core", "list_pod_for_all_namespaces", {})
    with pytest.raises(TypeError, match="unexpected keyword argument 'labels'"):
        request_for("core", "list_namespace", {"labels": "a=b"})
    with pytest.raises(TypeError, match="missing required arguments: namespace"):
        request_for("core", "list_namespaced_pod", {})

"""The fake API server deciding a bot's own requests like a cluster does: RBAC for its default
user, and admission policies that refuse writes by namespace labels (sandbox/fake_kube/
admission.py, manifests.py), exercised through the official client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client import ApiClient, ApiException, Configuration

from sandbox.fake_kube import FakeKubeServer
from sandbox.fake_kube.manifests import ManifestError, load_access

BOT = "the-bot"
PREVIEW = {"rtb.io/preview": "true"}


def make_client(url: str, token: str | None = None) -> ApiClient:
    cfg = Configuration(host=url)
    cfg.retries = 0
    if token:
        cfg.api_key = {"BearerToken": token}
        cfg.api_key_prefix = {"BearerToken": "Bearer"}
    return ApiClient(cfg)


def role(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "ClusterRole", "metadata": {"name": name}, "rules": rules}


def binding(name: str, subject: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    return {
        "kind": kind,
        "metadata": {"name": name, **({"namespace": namespace} if namespace else {})},
        "roleRef": {"kind": "ClusterRole", "name": name},
        "subjects": [subject],
    }


USER = {"kind": "User", "name": BOT}
NAMESPACES_ONLY_IN_PREVIEWS = [
    role("ns", [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["*"]}]),
    binding("ns", USER),
    {
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "previews-only"},
        "spec": {
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "DELETE"],
                        "resources": ["namespaces"],
                    }
                ]
            },
            "matchConditions": [
                {"name": "bot", "expression": f"request.userInfo.username == '{BOT}'"}
            ],
            "validations": [{"expression": "false", "message": "previews only"}],
        },
    },
    {
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "unlabelled"},
        "spec": {
            "policyName": "previews-only",
            "matchResources": {
                "namespaceSelector": {
                    "matchExpressions": [
                        {"key": "rtb.io/preview", "operator": "NotIn", "values": ["true"]}
                    ]
                }
            },
        },
    },
]


@pytest.fixture
def fake() -> Iterator[FakeKubeServer]:
    with FakeKubeServer(token_users={"tok-admin": "admin"}, default_user=BOT) as server:
        yield server


def message(exc: pytest.ExceptionInfo[ApiException]) -> str:
    return str(json.loads(exc.value.body)["message"])


def test_a_request_without_a_token_is_the_default_user_under_rbac(fake: FakeKubeServer) -> None:
    fake.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "hub"}})
    with make_client(fake.url) as bot, pytest.raises(ApiException) as refused:
        client.CoreV1Api(bot).list_namespaced_pod("hub")
    assert refused.value.status == 403
    assert message(refused) == (
        f'pods is forbidden: User "{BOT}" cannot list resource "pods" in API group "" in the '
        'namespace "hub"'
    )
    fake.allow(BOT, "list", "pods", namespace="hub")
    with make_client(fake.url) as bot:
        assert client.CoreV1Api(bot).list_namespaced_pod("hub").items == []
    assert fake.requests[-1] == ("GET", "/api/v1/namespaces/hub/pods", BOT)
    with make_client(fake.url, token="tok-admin") as admin:  # a token's user is as before
        assert client.CoreV1Api(admin).list_namespaced_pod("kube-system").items == []


def test_an_admission_policy_refuses_writes_in_namespaces_its_binding_selects(
    fake: FakeKubeServer,
) -> None:
    load_access(fake, NAMESPACES_ONLY_IN_PREVIEWS)
    fake.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "core"}})
    with make_client(fake.url) as bot:
        core = client.CoreV1Api(bot)
        with pytest.raises(ApiException) as deleting:
            core.delete_namespace("core")
        with pytest.raises(ApiException) as creating:
            core.create_namespace({"metadata": {"name": "plain"}})
        core.create_namespace({"metadata": {"name": "preview-1", "labels": PREVIEW}})
        core.delete_namespace("preview-1")
        assert {ns.metadata.name for ns in core.list_namespace().items} >= {"core"}
    assert deleting.value.status == creating.value.status == 403
    assert message(deleting) == (
        "namespaces \"core\" is forbidden: ValidatingAdmissionPolicy 'previews-only' with "
        "binding 'unlabelled' denied request: previews only"
    )
    assert fake.get("namespaces", None, "core") is not None
    assert fake.get("namespaces", None, "plain") is None
    with make_client(fake.url, token="tok-admin") as admin:  # another user: not matched
        client.CoreV1Api(admin).delete_namespace("core")


def test_a_subresource_is_matched_only_when_the_policy_lists_it(fake: FakeKubeServer) -> None:
    rules = [
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "deployments/scale"],
            "verbs": ["patch"],
        }
    ]
    policy = json.loads(json.dumps(NAMESPACES_ONLY_IN_PREVIEWS[2]))
    policy["spec"]["matchConstraints"]["resourceRules"] = [
        {
            "apiGroups": ["apps"],
            "apiVersions": ["*"],
            "operations": ["UPDATE"],
            "resources": ["deployments"],
        }
    ]
    load_access(
        fake, [role("apps", rules), binding("apps", USER), policy, NAMESPACES_ONLY_IN_PREVIEWS[3]]
    )
    fake.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "core"}})
    fake.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "app", "namespace": "core"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "app"}},
                "template": {
                    "metadata": {"labels": {"app": "app"}},
                    "spec": {"containers": [{"name": "app", "image": "app:1"}]},
                },
            },
        }
    )
    with make_client(fake.url) as bot:
        apps = client.AppsV1Api(bot)
        apps.patch_namespaced_deployment_scale("app", "core", {"spec": {"replicas": 2}})
        with pytest.raises(ApiException) as patching:
            apps.patch_namespaced_deployment("app", "core", {"metadata": {"labels": {"x": "y"}}})
    assert patching.value.status == 403 and "previews only" in message(patching)
    assert fake.get("deployments", "core", "app")["spec"]["replicas"] == 2


@pytest.mark.parametrize(
    "doc,why",
    [
        (binding("ns", {"kind": "Group", "name": "ops"}), "no groups"),
        (
            {**role("ns", []), "rules": [{"nonResourceURLs": ["/version"], "verbs": ["get"]}]},
            "non-resource",
        ),
        (role("ns", [{"apiGroups": [""], "resources": ["deployments"], "verbs": ["get"]}]), "core"),
    ],
)
def test_what_the_fake_cannot_enforce_is_refused_not_loaded_loosely(
    fake: FakeKubeServer, doc: dict[str, Any], why: str
) -> None:
    docs = [d for d in NAMESPACES_ONLY_IN_PREVIEWS[:2] if d["kind"] != doc["kind"]] + [doc]
    with pytest.raises(ManifestError, match=why):
        load_access(fake, docs)


def test_a_policy_with_cel_the_fake_does_not_model_is_refused(fake: FakeKubeServer) -> None:
    policy = json.loads(json.dumps(NAMESPACES_ONLY_IN_PREVIEWS[2]))
    policy["spec"]["validations"] = [{"expression": "object.metadata.name != 'x'"}]
    with pytest.raises(ManifestError, match="always refuse"):
        load_access(fake, [policy, NAMESPACES_ONLY_IN_PREVIEWS[3]])

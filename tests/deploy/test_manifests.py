"""deploy/'s manifests: valid for the Kubernetes API (kubernetes-validate's schemas, offline), and
saying what the README and the bot's own code say (probes, spool volume, user, secrets)."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from bot.settings import SECRET_VARIABLES, load_config
from tests.deploy.support import (
    DEPLOY,
    ROOT,
    docs,
    iam,
    kustomizations,
    kustomized_files,
    manifest_files,
    one,
)

OLDEST, NEWEST = "1.30.0", kubernetes_validate.latest_version()  # 1.30: admission policies GA
NOT_IN_THE_SCHEMAS = {"ExternalSecret"}  # a CRD of External Secrets Operator: checked below
DEPLOYMENT = DEPLOY / "deployment.yaml"


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_manifest_validates_against_the_kubernetes_schemas(path: Path, version: str) -> None:
    for doc in docs(path):
        if doc["kind"] in NOT_IN_THE_SCHEMAS:
            continue
        kubernetes_validate.validate(doc, version, strict=True)  # raises on any mistake


def test_the_kustomizations_list_every_manifest_and_only_existing_files() -> None:
    listed = {f for k in kustomizations() for f in kustomized_files(k.parent)}
    assert all(f.is_file() for f in listed)
    examples = {p for p in manifest_files() if p.parent.name == "examples"}
    assert set(manifest_files()) - examples == listed


def deployment() -> dict:
    return one(DEPLOYMENT, "Deployment")


def container() -> dict:
    [bot] = deployment()["spec"]["template"]["spec"]["containers"]
    return bot


def test_two_replicas_spread_over_nodes_and_a_budget_keeping_one() -> None:
    spec = deployment()["spec"]
    labels = spec["template"]["metadata"]["labels"]
    assert spec["replicas"] == 2 and spec["selector"]["matchLabels"].items() <= labels.items()
    spread = spec["template"]["spec"]["topologySpreadConstraints"]
    assert {(c["topologyKey"], c["whenUnsatisfiable"]) for c in spread} == {
        ("kubernetes.io/hostname", "DoNotSchedule"),
        ("topology.kubernetes.io/zone", "ScheduleAnyway"),
    }
    assert all(c["labelSelector"]["matchLabels"].items() <= labels.items() for c in spread)
    budget = one(DEPLOY / "poddisruptionbudget.yaml", "PodDisruptionBudget")["spec"]
    assert budget["minAvailable"] == 1
    assert budget["selector"]["matchLabels"].items() <= labels.items()


def test_probes_ask_the_front_for_health_and_the_worker_for_readiness() -> None:
    bot = container()
    assert bot["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert bot["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert bot["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert bot["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert {"name": "PORT", "value": "8080"} in bot["env"]
    # serve waits 10 s for running commands after SIGTERM (Dockerfile)
    assert deployment()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 10


def test_memory_is_sized_above_the_measured_after_load_footprint() -> None:
    resources = container()["resources"]
    assert resources["requests"]["memory"] == "192Mi"  # after load ~140 MB + digest ~8 MB + 30 %
    assert resources["limits"] == {"memory": "384Mi"}  # no CPU limit: throttling delays acks
    readme = (ROOT / "README.md").read_text()
    assert "116 MB" in readme and "~140 MB plus headroom" in readme  # what the sizing cites


def test_restricted_non_root_read_only_without_capabilities() -> None:
    pod = deployment()["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    context = container()["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    image_user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert image_user is not None
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (
        int(image_user[1]),
        int(image_user[2]),
    )
    namespace = one(DEPLOY / "namespace.yaml", "Namespace")["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"


def mounts() -> dict[str, str]:
    return {m["mountPath"]: m["name"] for m in container()["volumeMounts"]}


def test_the_config_map_is_a_valid_config_whose_spool_file_is_on_a_writable_volume(
    tmp_path: Path,
) -> None:
    config_map = one(DEPLOY / "configmap.yaml", "ConfigMap")
    (tmp_path / "config.yml").write_text(config_map["data"]["config.yml"])
    config = load_config(tmp_path / "config.yml")  # raises ConfigError naming any mistake
    env = {e["name"]: e.get("value") for e in container()["env"]}
    volumes = {v["name"]: v for v in deployment()["spec"]["template"]["spec"]["volumes"]}
    config_dir = Path(env["RTB_CONFIG"]).parent
    assert volumes[mounts()[str(config_dir)]]["configMap"]["name"] == config_map["metadata"]["name"]
    spool_dir = str(Path(config.approvals.spool_file).parent)
    assert "emptyDir" in volumes[mounts()[spool_dir]]  # writable, and outlives the container
    assert "emptyDir" in volumes[mounts()["/tmp"]]  # EKS CA bundles, matplotlib's cache
    assert env["MPLCONFIGDIR"].startswith("/tmp/")
    assert config.environments["int"].role_arn is None and config.environments["int"].eks_cluster
    for name in ("stg", "prd"):
        assert config.environments[name].role_arn == (
            f"arn:aws:iam::{config.environments[name].account_id}:role/rtb-hub-deployer"
        )


def test_secrets_come_by_reference_with_every_variable_the_bot_reads() -> None:
    [source] = container()["envFrom"]
    secret = one(DEPLOY / "examples" / "secret.yaml", "Secret")
    external = one(DEPLOY / "examples" / "externalsecret.yaml", "ExternalSecret")
    assert source == {"secretRef": {"name": secret["metadata"]["name"]}}
    assert external["spec"]["target"]["name"] == secret["metadata"]["name"]
    assert external["apiVersion"] == "external-secrets.io/v1"
    assert set(secret["stringData"]) == set(SECRET_VARIABLES)
    assert not any(secret["stringData"].values())  # an example: no value, ever
    in_the_clear = {e["name"] for e in container()["env"]}
    assert not in_the_clear & set(SECRET_VARIABLES)


def test_the_service_account_is_the_one_the_irsa_trust_policy_names() -> None:
    account = one(DEPLOY / "serviceaccount.yaml", "ServiceAccount")
    namespace = one(DEPLOY / "namespace.yaml", "Namespace")["metadata"]["name"]
    assert (
        deployment()["spec"]["template"]["spec"]["serviceAccountName"]
        == (account["metadata"]["name"])
    )
    role_arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn == "arn:aws:iam::111111111111:role/rtb-ops-bot"
    [trust] = iam("rtb-ops-bot-trust-policy.json")["Statement"]
    [subject] = [v for k, v in trust["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert subject == f"system:serviceaccount:{namespace}:{account['metadata']['name']}"
    [deployer_trust, _] = iam("rtb-hub-deployer-trust-policy.json")["Statement"]
    assert deployer_trust["Principal"] == {"AWS": role_arn}


def test_egress_is_dns_the_data_stores_the_hub_and_https_never_the_metadata_service() -> None:
    policy = one(DEPLOY / "networkpolicy.yaml", "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["podSelector"]["matchLabels"].items() <= (
        deployment()["spec"]["template"]["metadata"]["labels"].items()
    )
    ports = {(p["port"], p["protocol"]) for rule in policy["egress"] for p in rule["ports"]}
    assert ports == {
        (53, "UDP"),
        (53, "TCP"),
        (6379, "TCP"),
        (5432, "TCP"),
        (80, "TCP"),
        (443, "TCP"),
    }
    [internet] = [
        r
        for r in policy["egress"]
        if any(b.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for b in r["to"])
    ]
    assert internet["ports"] == [{"port": 443, "protocol": "TCP"}]
    assert "169.254.0.0/16" in internet["to"][0]["ipBlock"]["except"]  # IMDS: IRSA needs none
    assert policy["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]


def test_the_images_name_is_the_one_the_kustomization_sets() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    [image] = kustomization["images"]
    assert container()["image"] == image["name"]
    assert image["newName"].endswith(".dkr.ecr.ap-northeast-2.amazonaws.com/rtb-ops-bot")

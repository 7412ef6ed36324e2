"""Clients built once: AWS clients and Kubernetes clients asked for by many threads at once
(a fan-out's first call in every env), against moto; the EKS way to a cluster end to end."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ops.backends.container import Backends, BackendUrls, build_backends
from ops.config import Config
from tests.fixtures.bot import ACCOUNTS, raw_config

THREADS = 8
UNUSED_DB = "postgresql://127.0.0.1:9/unused"


def together(call: Callable[[], Any]) -> list[Any]:
    """`call` from THREADS threads released at the same moment; their results."""
    start = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        start.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.fixture
def backends(aws_endpoint: str, aws_env: None) -> Iterator[Backends]:
    raw = raw_config(
        kube_urls=dict.fromkeys(ACCOUNTS, "http://127.0.0.1:9"),
        aws_endpoint=aws_endpoint,
        slack_api_url="http://127.0.0.1:9/api/",
    )
    prd = raw["environments"]["prd"]
    del prd["kube_server"]
    prd["eks_cluster"] = "rtb-prd"
    built = build_backends(
        Config.model_validate(raw),
        BackendUrls(UNUSED_DB, UNUSED_DB, "redis://127.0.0.1:9/0"),
        retries=0,
    )
    yield built
    built.kube.close()
    built.blocking.close()


def test_an_aws_client_asked_for_together_is_built_once(backends: Backends) -> None:
    clients = together(lambda: backends.aws.client("stg", "sts"))

    assert all(client is clients[0] for client in clients)
    assert backends.aws.client("stg", "sts") is clients[0]
    assert backends.aws.client("prd", "sts") is not clients[0]  # per env: its own role


def test_an_eks_client_asked_for_together_describes_the_cluster_once(
    backends: Backends,
) -> None:
    eks = backends.aws.client("prd", "eks")
    eks.create_cluster(
        name="rtb-prd",
        roleArn=f"arn:aws:iam::{ACCOUNTS['prd']}:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    described = eks.describe_cluster(name="rtb-prd")["cluster"]

    clients = together(lambda: backends.kube.client("prd"))

    assert all(client is clients[0] for client in clients)
    configuration = clients[0].configuration
    assert configuration.host == described["endpoint"]
    assert configuration.api_key_prefix == {"authorization": "Bearer"}
    token = configuration.api_key["authorization"]
    assert token.startswith("k8s-aws-v1.")
    presigned = base64.urlsafe_b64decode(token.removeprefix("k8s-aws-v1.") + "==").decode()
    query = parse_qs(urlsplit(presigned).query)
    assert query["Action"] == ["GetCallerIdentity"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    with open(configuration.ssl_ca_cert, "rb") as ca:
        assert ca.read() == base64.b64decode(described["certificateAuthority"]["data"])

"""deploy/ as data: every manifest, IAM document and the Dockerfile, read once per test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RBAC = DEPLOY / "rbac"
IAM = DEPLOY / "iam"
DEPLOYER_USER = "rtb-hub-deployer"  # the Kubernetes user of the EKS access entries
Obj = dict[str, Any]


def docs(path: Path) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifest_files() -> list[Path]:
    """Every Kubernetes manifest under deploy/ (Kustomize's own files are not manifests)."""
    return sorted(p for p in DEPLOY.rglob("*.yaml") if p.name != "kustomization.yaml")


def kustomizations() -> list[Path]:
    return sorted(DEPLOY.rglob("kustomization.yaml"))


def one(path: Path, kind: str) -> Obj:
    [found] = [doc for doc in docs(path) if doc["kind"] == kind]
    return found


def cluster_access(env: str) -> list[Obj]:
    """What `kubectl apply -k deploy/rbac/<int|stg-prd>` gives the cluster of `env`."""
    overlay = RBAC / ("int" if env == "int" else "stg-prd")
    return [doc for path in kustomized_files(overlay) for doc in docs(path)]


def kustomized_files(directory: Path) -> list[Path]:
    """The files a kustomization lists, following `../base`-style directories."""
    listed = yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"]
    files: list[Path] = []
    for entry in listed:
        target = (directory / entry).resolve()
        files += kustomized_files(target) if target.is_dir() else [target]
    return files


def iam(name: str) -> Obj:
    document: Obj = json.loads((IAM / name).read_text())
    return document

"""Rendering the Helm chart with the pinned helm binary (``make helm-bin``)."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from localcluster.binaries import GO_MODULES, cache_dir

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "tenantry"
RBAC_FILE = REPO / "deploy" / "rbac" / "console-clusterrole.yaml"
KUBE_VERSION = "1.35.4"


def helm_version() -> str:
    go_mod = (GO_MODULES / "helm" / "go.mod").read_text()
    match = re.search(r"^require helm\.sh/helm/v3 (v\S+)$", go_mod, re.MULTILINE)
    assert match, "localcluster/helm/go.mod must require helm.sh/helm/v3"
    return match.group(1)


def helm_path() -> Path:
    return cache_dir() / f"helm-{helm_version()}" / "helm"


def helm() -> Path:
    """The pinned helm; the chart tests skip without it, unless CI requires it (REQUIRE_KUBE=1)."""
    path = helm_path()
    if not os.access(path, os.X_OK):
        message = f"helm {helm_version()} is not built; run `make helm-bin`"
        if os.environ.get("REQUIRE_KUBE") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def run_helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(helm()), *args], capture_output=True, text=True, check=check, timeout=120)


def render(*sets: str, namespace: str = "tenantry-system", release: str = "tenantry") -> list[dict]:
    """Every object ``helm template`` renders (hooks included), with ``--set`` values."""
    args = ["template", release, str(CHART), "--namespace", namespace, "--kube-version", KUBE_VERSION]
    for value in ("existingSecret=tenantry-secrets", *sets):
        args += ["--set", value]
    out = run_helm(*args).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def rbac_file_rules(kind: str) -> list[dict]:
    return next(doc for doc in yaml.safe_load_all(RBAC_FILE.read_text()) if doc and doc["kind"] == kind)[
        "rules"
    ]

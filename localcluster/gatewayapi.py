"""The Gateway API CRDs the local control plane installs, fetched as a Go module.

The release is pinned in ``localcluster/gateway-api/go.mod`` (its checksum in ``go.sum``);
``make gateway-api-crds`` (``python -m localcluster.gatewayapi``) runs ``go mod download`` in
a scratch directory of the cache, never inside the repository, checks the module's checksum
against the pinned one, and keeps the standard channel's CustomResourceDefinitions under
``$TENANTRY_CLUSTER_CACHE/gateway-api-<version>``; a second run finds them there and does nothing.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from localcluster.binaries import GO_MODULES, cache_dir, required_version

MODULE = "sigs.k8s.io/gateway-api"
PIN = GO_MODULES / "gateway-api"
FETCH_HINT = "run `make gateway-api-crds` (needs Go)"
_COMPLETE = ".complete"


def version() -> str:
    return required_version(PIN / "go.mod", MODULE)


def _pinned_sum(release: str) -> str:
    match = re.search(
        rf"^{re.escape(MODULE)} {re.escape(release)} (h1:\S+)$", (PIN / "go.sum").read_text(), re.M
    )
    if match is None:
        raise RuntimeError(f"{PIN / 'go.sum'} has no checksum for {MODULE} {release}")
    return match.group(1)


def crd_dir() -> Path:
    return cache_dir() / f"gateway-api-{version()}"


def fetched() -> bool:
    return (crd_dir() / _COMPLETE).exists()


def crds() -> list[dict]:
    """The standard channel's CustomResourceDefinitions, in file order."""
    if not fetched():
        raise RuntimeError(f"Gateway API {version()} CRDs are not fetched; {FETCH_HINT}")
    documents: list[dict] = []
    for path in sorted(crd_dir().glob("*.yaml")):
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def fetch(go: str = "go") -> Path:
    """Download the pinned module (once) and keep its standard-channel CRDs in the cache."""
    target = crd_dir()
    if fetched():
        return target
    release = version()
    scratch = cache_dir() / "gomod-scratch"  # outside any module: `go mod download` needs no go.mod
    scratch.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GO111MODULE": "on"}
    answer = subprocess.run(
        [go, "mod", "download", "-json", f"{MODULE}@{release}"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    info = json.loads(answer.stdout or "{}")
    if answer.returncode != 0 or info.get("Error") or not info.get("Dir"):
        raise RuntimeError(
            f"go mod download {MODULE}@{release}: {info.get('Error') or answer.stderr.strip()}"
        )
    if info.get("Sum") != _pinned_sum(release):
        raise RuntimeError(
            f"{MODULE}@{release}: checksum {info.get('Sum')} is not the pinned {_pinned_sum(release)}"
        )
    staging = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=f".gateway-api-{release}-"))
    for path in sorted((Path(info["Dir"]) / "config" / "crd" / "standard").glob("*.yaml")):
        kinds = {doc.get("kind") for doc in yaml.safe_load_all(path.read_text()) if doc}
        # The channel ships a ValidatingAdmissionPolicy beside the CRDs (safe upgrades); only
        # the CRDs are the API, and the cluster's policies stay the console's own.
        if kinds == {"CustomResourceDefinition"}:
            shutil.copyfile(path, staging / path.name)
    (staging / _COMPLETE).write_text(f"{MODULE} {release} {info['Sum']}\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def install(gateway: Any, *, timeout: float = 60.0) -> None:
    """Apply the CRDs as the cluster administrator and wait until each is Established."""
    documents = crds()
    for crd in documents:
        gateway.apply(crd, field_manager="tenantry-localcluster")
    deadline = time.monotonic() + timeout
    for crd in documents:
        while not _established(gateway.get(crd["apiVersion"], crd["kind"], crd["metadata"]["name"])):
            if time.monotonic() > deadline:
                raise RuntimeError(f"CRD {crd['metadata']['name']} not established within {timeout:.0f} s")
            time.sleep(0.1)


def _established(live: dict | None) -> bool:
    conditions = ((live or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


if __name__ == "__main__":
    print(fetch(go=os.environ.get("GO", "go")), file=sys.stdout)

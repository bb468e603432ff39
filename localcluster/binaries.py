"""Where the control-plane binaries live, and which versions they are.

The versions come from the Go wrapper modules (``localcluster/kube/go.mod``,
``localcluster/etcd/go.mod``), the one place they are pinned; ``make cluster-bins`` builds
them into a cache outside the repository keyed by version
(``$TENANTRY_CLUSTER_CACHE``, default ``~/.cache/tenantry``), so a second build is instant.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

GO_MODULES = Path(__file__).resolve().parent
BUILD_HINT = "run `make cluster-bins` (needs Go; the first build takes a while)"


def required_version(go_mod: Path, module: str) -> str:
    match = re.search(rf"^require {re.escape(module)} (v\S+)$", go_mod.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{go_mod} does not require {module}")
    return match.group(1)


def cache_dir() -> Path:
    return Path(os.environ.get("TENANTRY_CLUSTER_CACHE") or Path.home() / ".cache" / "tenantry")


@dataclass(frozen=True)
class Binaries:
    kube_version: str
    etcd_version: str
    kube_apiserver: Path
    kube_controller_manager: Path
    kubectl: Path
    etcd: Path

    def missing(self) -> list[Path]:
        paths = (self.kube_apiserver, self.kube_controller_manager, self.kubectl, self.etcd)
        return [path for path in paths if not os.access(path, os.X_OK)]


def binaries() -> Binaries:
    kube_version = required_version(GO_MODULES / "kube" / "go.mod", "k8s.io/kubernetes")
    etcd_version = required_version(GO_MODULES / "etcd" / "go.mod", "go.etcd.io/etcd/server/v3")
    kube_dir = cache_dir() / f"kube-{kube_version}"
    return Binaries(
        kube_version=kube_version,
        etcd_version=etcd_version,
        kube_apiserver=kube_dir / "kube-apiserver",
        kube_controller_manager=kube_dir / "kube-controller-manager",
        kubectl=kube_dir / "kubectl",
        etcd=cache_dir() / f"etcd-{etcd_version}" / "etcd",
    )

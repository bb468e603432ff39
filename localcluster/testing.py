"""pytest plugin for the ``realcluster`` tier (registered in the root conftest).

One control plane serves the whole session (``local_cluster``); tests isolate themselves
by unique names. Without the binaries the tier skips with one line saying how to build
them, unless ``REQUIRE_KUBE=1`` (CI), where it fails instead, as it does when the control
plane cannot start.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from localcluster import gatewayapi
from localcluster.binaries import BUILD_HINT, binaries
from localcluster.identity import prepare
from localcluster.launcher import LocalCluster

MARKER = "realcluster"
_set_aside = pytest.StashKey[str]()
_tier = pytest.StashKey[set[str]]()


def _required() -> bool:
    return os.environ.get("REQUIRE_KUBE") == "1"


@dataclass(frozen=True)
class RunningCluster:
    cluster: LocalCluster
    console_kubeconfig: Path

    @property
    def admin_kubeconfig(self) -> Path:
        return self.cluster.admin_kubeconfig


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: runs against a real kube-apiserver (make cluster-bins)")


def _not_built() -> str:
    """Why the tier cannot run here, or "" when the binaries are there."""
    bins = binaries()
    if bins.missing():
        return f"Kubernetes {bins.kube_version} and etcd {bins.etcd_version} are not built; {BUILD_HINT}"
    if not gatewayapi.fetched():
        return f"the Gateway API {gatewayapi.version()} CRDs are not fetched; {gatewayapi.FETCH_HINT}"
    return ""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without binaries (and without REQUIRE_KUBE=1), set the tier aside with one line."""
    reason = _not_built()
    tier = [item for item in items if item.get_closest_marker(MARKER)]
    config.stash[_tier] = {item.nodeid for item in tier}
    if not tier or not reason or _required():
        return
    config.hook.pytest_deselected(items=tier)
    items[:] = [item for item in items if not item.get_closest_marker(MARKER)]
    config.stash[_set_aside] = f"realcluster tier: {len(tier)} tests skipped: {reason}"


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[RunningCluster]:
    reason = _not_built()
    if reason:
        pytest.fail(f"realcluster tier: {reason} (REQUIRE_KUBE=1)", pytrace=False)
    cluster = LocalCluster(binaries()).start()
    try:
        yield RunningCluster(cluster=cluster, console_kubeconfig=prepare(cluster))
    finally:
        cluster.stop()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    set_aside = config.stash.get(_set_aside, "")
    if set_aside:
        terminalreporter.write_line(set_aside, yellow=True)
    tier = config.stash.get(_tier, set())
    ran = [
        report
        for key in ("passed", "failed")
        for report in terminalreporter.stats.get(key, [])
        if report.when == "call" and report.nodeid in tier
    ]
    if ran:
        terminalreporter.write_line(
            f"realcluster tier: {len(ran)} tests ran against kube-apiserver {binaries().kube_version}"
        )

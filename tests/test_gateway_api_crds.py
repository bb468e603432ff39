"""Fetching the pinned Gateway API CRDs: outside the repository, checksum-checked, once."""

import json
import stat
from pathlib import Path

import pytest

from localcluster import gatewayapi


def _fake_go(tmp_path: Path, module_dir: Path, checksum: str) -> str:
    """A `go` that answers `go mod download -json` like the real one, from ``module_dir``."""
    answer = {
        "Path": gatewayapi.MODULE,
        "Version": gatewayapi.version(),
        "Dir": str(module_dir),
        "Sum": checksum,
    }
    script = tmp_path / "go"
    script.write_text(
        f"#!/bin/sh\necho \"$PWD\" > {tmp_path / 'cwd'}\ncat <<'EOF'\n{json.dumps(answer)}\nEOF\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.fixture
def module(tmp_path, monkeypatch):
    monkeypatch.setenv("TENANTRY_CLUSTER_CACHE", str(tmp_path / "cache"))
    crds = tmp_path / "module" / "config" / "crd" / "standard"
    crds.mkdir(parents=True)
    (crds / "httproutes.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
    )
    (crds / "safe-upgrades.yaml").write_text(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
    )
    return tmp_path / "module"


def test_the_crds_are_kept_in_the_cache_by_version_and_fetched_once(tmp_path, module):
    go = _fake_go(tmp_path, module, gatewayapi._pinned_sum(gatewayapi.version()))
    target = gatewayapi.fetch(go=go)
    assert target == tmp_path / "cache" / f"gateway-api-{gatewayapi.version()}"
    assert sorted(p.name for p in target.glob("*.yaml")) == ["httproutes.yaml"]  # the policy is left out
    assert (tmp_path / "cwd").read_text().strip() == str(tmp_path / "cache" / "gomod-scratch")
    assert [doc["kind"] for doc in gatewayapi.crds()] == ["CustomResourceDefinition"]
    (tmp_path / "cwd").unlink()
    gatewayapi.fetch(go=go)
    assert not (tmp_path / "cwd").exists()  # the second run did not call go


def test_a_module_whose_checksum_is_not_the_pinned_one_is_refused(tmp_path, module):
    with pytest.raises(RuntimeError, match="is not the pinned"):
        gatewayapi.fetch(go=_fake_go(tmp_path, module, "h1:forged="))
    assert not gatewayapi.fetched()

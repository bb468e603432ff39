"""The attack suite and the positive control against the emulator: it must refuse what kube-apiserver refuses.

The same scenarios (``tests.realcluster.attacks``) run against kube-apiserver in the
realcluster tier. Here they run against the emulator (no binaries needed), served over HTTPS
with its CA in the kubeconfig as a real server is, and each answer must have the real
server's status and reason, except the differences listed in ``EMULATOR_DIFFERENCES`` (and
in the README), which must still be differences: when the emulator learns one, the list has
to shrink.
"""

import base64
import subprocess
from collections.abc import Iterator

import pytest
import yaml
from django.utils import timezone

from clusters.connections import forget_gateways
from clusters.kubeconfigs import kubeconfig_issue
from kubeemu.server import KubeEmulator
from localcluster.binaries import binaries
from tests.realcluster.attacks import ATTACKS, POSITIVE

# What the emulator lets through although kube-apiserver refuses it, and why.
NO_CEL = "the emulator evaluates no admission policies (no CEL)"
EMULATOR_DIFFERENCES = {
    "delete-default-deny": NO_CEL,
    "patch-default-deny": NO_CEL,
    "remove-managed-by-label": NO_CEL,
    "delete-console-role-binding": NO_CEL,
    "patch-console-role-binding": NO_CEL,
    "forge-managed-network-policy": NO_CEL,
    "forge-managed-role-binding": NO_CEL,
    "egress-to-0.0.0.0/0": NO_CEL,
    "egress-to-10.0.0.0/8": NO_CEL,
    "egress-to-169.254.169.254/32": NO_CEL,
    "egress-to-::/0": NO_CEL,
    "egress-to-fd00::/8": NO_CEL,
    "egress-to-ipv4-mapped-private": NO_CEL,
}


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[KubeEmulator]:
    with KubeEmulator(tls=True) as emulator:
        yield emulator


@pytest.fixture
def console(tls_emulator, tmp_path, settings, db) -> Iterator[KubeEmulator]:
    """The emulator in place of the local control plane (``make_tenant`` builds on this)."""
    from metering.services.discovery import clusters_discover

    tls_emulator.reset()
    settings.KUBECONFIG = str(tls_emulator.write_kubeconfig(tmp_path / "kubeemu.kubeconfig"))
    forget_gateways()
    clusters_discover(now=timezone.now())
    yield tls_emulator
    forget_gateways()


@pytest.mark.parametrize("name", ATTACKS)
def test_emulator_answers_each_attack_as_kube_apiserver_does(scene, name):
    attack = ATTACKS[name]
    answer = attack.attempt(scene)
    same = (answer.status, answer.reason) == (attack.status, attack.reason)
    if name in EMULATOR_DIFFERENCES:
        assert not same, f"the emulator now matches kube-apiserver on {name}: drop it from the list"
    else:
        assert same, f"kube-apiserver answers {attack.status} {attack.reason}; the emulator {answer}"


def test_emulator_allows_what_a_tenant_may_do(scene):
    for path, body in POSITIVE.items():
        answer = scene.client.create(path.format(ns=scene.ns), body(scene))
        assert answer.status == 201, f"{path}: {answer}"


def test_emulator_kubeconfig_is_https_with_its_ca(make_tenant, tls_emulator):
    tenant = make_tenant()
    cluster = yaml.safe_load(kubeconfig_issue(user=tenant.owner).text)["clusters"][0]["cluster"]
    assert cluster["server"] == tls_emulator.url and cluster["server"].startswith("https://")
    assert base64.b64decode(cluster["certificate-authority-data"]) == tls_emulator.ca_pem


@pytest.mark.realcluster  # needs the built kubectl, nothing else
def test_kubectl_uses_a_kubeconfig_from_the_emulator(make_tenant, tmp_path):
    tenant = make_tenant()
    path = tmp_path / "tenant.kubeconfig"
    path.write_text(kubeconfig_issue(user=tenant.owner).text)
    listed = subprocess.run(
        [str(binaries().kubectl), f"--kubeconfig={path}", "get", "configmaps", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr

"""Downloaded kubeconfigs on kube-apiserver: the official client, kubectl, scope, revocation, expiry."""

import base64
import json
import subprocess

import kubernetes
import pytest
import yaml

from clusters.kubeconfigs import kubeconfig_issue, kubeconfig_tokens_revoke
from localcluster.binaries import binaries
from tests.realcluster.conftest import wait_until
from tests.realcluster.objects import pod
from tests.realcluster.tenant_client import TenantClient

pytestmark = pytest.mark.realcluster


def _official(kubeconfig_text: str) -> kubernetes.client.CoreV1Api:
    client = kubernetes.config.new_client_from_config_dict(yaml.safe_load(kubeconfig_text))
    return kubernetes.client.CoreV1Api(client)


def _status(call) -> int:
    try:
        call()
    except kubernetes.client.ApiException as exc:
        return int(exc.status)
    return 200


def _kubectl(kubeconfig_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(binaries().kubectl), f"--kubeconfig={kubeconfig_path}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def two_tenants(make_tenant, admin_gateway):
    """Two tenants, each with a pod the administrator placed in their namespace."""
    mine, theirs = make_tenant(), make_tenant()
    for tenant in (mine, theirs):
        admin_gateway.apply(pod("placed", tenant.name), field_manager="test")
    return mine, theirs


def test_kubeconfig_is_https_with_the_clusters_ca(two_tenants, local_cluster):
    mine, _ = two_tenants
    config = yaml.safe_load(kubeconfig_issue(user=mine.owner).text)
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"].startswith("https://127.0.0.1:")
    assert "insecure-skip-tls-verify" not in cluster
    assert (
        base64.b64decode(cluster["certificate-authority-data"]) == local_cluster.cluster.ca_cert.read_bytes()
    )


def test_official_client_lists_pods_in_its_namespaces_only(two_tenants):
    mine, theirs = two_tenants
    core = _official(kubeconfig_issue(user=mine.owner).text)
    pods = core.list_namespaced_pod(mine.name)
    assert [pod.metadata.name for pod in pods.items] == ["placed"]
    assert _status(lambda: core.list_namespaced_pod(theirs.name)) == 403
    assert _status(lambda: core.list_pod_for_all_namespaces()) == 403
    assert _status(lambda: core.list_namespaced_pod("monitoring")) == 403


def test_kubectl_uses_the_downloaded_kubeconfig(two_tenants, tmp_path):
    mine, theirs = two_tenants
    path = tmp_path / "tenantry.kubeconfig"
    path.write_text(kubeconfig_issue(user=mine.owner).text)

    listed = _kubectl(path, "get", "pods", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert [pod["metadata"]["name"] for pod in json.loads(listed.stdout)["items"]] == ["placed"]

    refused = _kubectl(path, "get", "pods", "--namespace", theirs.name)
    assert refused.returncode != 0
    assert "Forbidden" in refused.stderr and 'cannot list resource "pods"' in refused.stderr

    can_i = _kubectl(path, "auth", "can-i", "create", "deployments")
    assert (can_i.returncode, can_i.stdout.strip()) == (0, "yes")
    can_i = _kubectl(path, "auth", "can-i", "get", "secrets", "--namespace", "monitoring")
    assert can_i.stdout.strip() == "no"


def test_revoke_all_makes_the_old_token_fail_with_401(two_tenants):
    mine, _ = two_tenants
    old = TenantClient(kubeconfig_issue(user=mine.owner).text)
    assert old.get(f"/api/v1/namespaces/{mine.name}/pods").status == 200

    revocation = kubeconfig_tokens_revoke(user=mine.owner)

    assert revocation.failed == {}
    # kube-apiserver caches a token's successful authentication for 10 s, so a revoked token
    # stops working within that time, not at once.
    answer = wait_until(
        lambda: (a := old.get(f"/api/v1/namespaces/{mine.name}/pods")).status != 200 and a,
        what="the old token being refused",
    )
    assert (answer.status, answer.reason) == (401, "Unauthorized"), answer
    fresh = TenantClient(kubeconfig_issue(user=mine.owner).text)
    assert fresh.get(f"/api/v1/namespaces/{mine.name}/pods").status == 200


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_token_expires_when_the_kubeconfig_says(two_tenants):
    mine, _ = two_tenants
    issued = kubeconfig_issue(user=mine.owner, hours=2)
    client = TenantClient(issued.text)
    claims = _claims(client.token)
    assert claims["exp"] - claims["iat"] == 2 * 3600
    assert abs(claims["exp"] - issued.expires_at.timestamp()) <= 1
    # The server reads its own verdict on the token back: who it is, and until when.
    review = client.create(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert review.status == 201, review
    assert (
        review.body["status"]["userInfo"]["username"]
        == f"system:serviceaccount:tenantry-system:u{mine.owner.pk}"
    )

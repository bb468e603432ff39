"""The plan's per-pod bandwidth: written into pods that omit it, and never raised by a tenant.

kube-apiserver runs the console's MutatingAdmissionPolicy (beta in 1.35, switched on in the
local control plane) and its validating policy; the caps come from the Namespace, which the
console writes from the team's plan (starter: 20M each way).
"""

import pytest
from django.conf import settings

from clusters.kube.manifests import names
from clusters.kubeconfigs import kubeconfig_issue
from tests.realcluster.objects import pod
from tests.realcluster.tenant_client import TenantClient

pytestmark = pytest.mark.realcluster

EGRESS, INGRESS = "kubernetes.io/egress-bandwidth", "kubernetes.io/ingress-bandwidth"
GUARD = f"ValidatingAdmissionPolicy '{names.POLICY_POD_BANDWIDTH_LIMITS}'"
PLAN = settings.TENANTRY_PLANS["starter"]["bandwidth"]


@pytest.fixture
def tenant(make_tenant):
    mine = make_tenant()
    client = TenantClient(kubeconfig_issue(user=mine.owner).text)
    yield mine, client
    client.close()


def _pods(ns: str) -> str:
    return f"/api/v1/namespaces/{ns}/pods"


def _with(name: str, ns: str, **annotations: str) -> dict:
    body = pod(name, ns)
    if annotations:
        body["metadata"]["annotations"] = annotations
    return body


def test_the_plans_caps_are_on_the_namespace(tenant, admin_gateway):
    mine, _ = tenant
    live = admin_gateway.get("v1", "Namespace", mine.name)["metadata"]["annotations"]
    assert live["tenantry.io/egress-bandwidth"] == PLAN["egress"]
    assert live["tenantry.io/ingress-bandwidth"] == PLAN["ingress"]


def test_a_pod_without_bandwidth_gets_the_plans_caps_and_a_lower_one_is_kept(tenant):
    mine, client = tenant
    created = client.create(_pods(mine.name), _with("plain", mine.name))
    assert created.status == 201, created.message
    annotations = created.body["metadata"]["annotations"]
    assert (annotations[EGRESS], annotations[INGRESS]) == (PLAN["egress"], PLAN["ingress"])
    lower = client.create(_pods(mine.name), _with("lower", mine.name, **{EGRESS: "5M"}))
    assert lower.status == 201, lower.message
    annotations = lower.body["metadata"]["annotations"]
    assert (annotations[EGRESS], annotations[INGRESS]) == ("5M", PLAN["ingress"])


@pytest.mark.parametrize(
    ("annotations", "says"),
    [
        ({EGRESS: "1G"}, f"{EGRESS} may be at most {PLAN['egress']}"),
        ({INGRESS: "21M"}, f"{INGRESS} may be at most {PLAN['ingress']}"),
        ({EGRESS: "lots"}, f"{EGRESS} may be at most"),
    ],
    ids=["egress-raised", "ingress-raised", "not-a-quantity"],
)
def test_a_tenant_cannot_raise_its_own_bandwidth(tenant, annotations, says):
    mine, client = tenant
    answer = client.create(_pods(mine.name), _with("greedy", mine.name, **annotations))
    assert answer.status == 403 and GUARD in answer.message and says in answer.message, answer.message


def test_raising_it_on_a_running_pod_is_refused_too(tenant):
    mine, client = tenant
    assert client.create(_pods(mine.name), _with("later", mine.name)).status == 201
    answer = client.merge_patch(f"{_pods(mine.name)}/later", {"metadata": {"annotations": {EGRESS: "10G"}}})
    assert answer.status == 403 and GUARD in answer.message, answer.message

"""The tenant attack suite: a tenant admin with its own downloaded kubeconfig tries to get out.

Every attempt must be refused by kube-apiserver itself (RBAC and its escalation checks, the
console's admission policies, Pod Security, ResourceQuota, DenyServiceExternalIPs), and each
refusal is asserted with its status, reason and the words that show which guard refused.
The positive control proves the tenant is not simply locked out.
"""

import pytest

from clusters.kubeconfigs import kubeconfig_issue
from tests.realcluster.attacks import (
    ATTACKS,
    NETPOL,
    POSITIVE,
    RBAC,
    RUNTIME_GUARD,
    binding,
    service,
)
from tests.realcluster.objects import pod
from tests.realcluster.tenant_client import TenantClient

pytestmark = pytest.mark.realcluster


@pytest.mark.parametrize("name", ATTACKS)
def test_tenant_admin_is_refused(scene, name):
    attack = ATTACKS[name]
    answer = attack.attempt(scene)
    assert (answer.status, answer.reason) == (attack.status, attack.reason), answer
    for words in attack.says:
        assert words in answer.message, answer


def test_load_balancers_beyond_the_plan_are_refused(scene):
    quota = scene.client.get(f"/api/v1/namespaces/{scene.ns}/resourcequotas/tenant-quota")
    allowed = int(quota.body["spec"]["hard"]["services.loadbalancers"])
    services = f"/api/v1/namespaces/{scene.ns}/services"
    for n in range(allowed):
        answer = scene.client.create(services, service(f"lb{n}", scene.ns, type="LoadBalancer"))
        assert answer.status == 201, answer
    beyond = scene.client.create(services, service("beyond", scene.ns, type="LoadBalancer"))
    assert (beyond.status, beyond.reason) == (403, "Forbidden"), beyond
    assert "exceeded quota: tenant-quota, requested: services.loadbalancers=1" in beyond.message, beyond


def test_public_team_gets_no_load_balancer_and_a_sandboxed_runtime(make_tenant):
    public = make_tenant(trust_level="public")
    client = TenantClient(kubeconfig_issue(user=public.owner).text)
    answer = client.create(
        f"/api/v1/namespaces/{public.name}/services", service("lb", public.name, type="LoadBalancer")
    )
    assert (answer.status, answer.reason) == (403, "Forbidden"), answer
    assert "services.loadbalancers=1" in answer.message
    plain = client.create(
        f"/api/v1/namespaces/{public.name}/pods", pod("plain", public.name, runtimeClassName="runc")
    )
    assert (plain.status, plain.reason) == (403, "Forbidden"), plain
    assert RUNTIME_GUARD in plain.message and "gvisor" in plain.message
    # A pod that names no runtime gets the namespace's default from the mutating policy.
    defaulted = client.create(f"/api/v1/namespaces/{public.name}/pods", pod("defaulted", public.name))
    assert defaulted.status == 201, defaulted
    assert defaulted.body["spec"]["runtimeClassName"] == "gvisor"
    assert defaulted.body["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    client.close()


def test_positive_control_what_a_tenant_may_do_succeeds(scene):
    for path, body in POSITIVE.items():
        answer = scene.client.create(path.format(ns=scene.ns), body(scene))
        assert answer.status == 201, f"{path}: {answer}"
    # Its own objects stay its own: it can change and delete them.
    own_policy = f"{NETPOL}/namespaces/{scene.ns}/networkpolicies/internet"
    assert scene.client.delete(own_policy).status == 200
    bound = scene.client.create(
        f"{RBAC}/namespaces/{scene.ns}/rolebindings",
        binding("viewers", scene.ns, "ClusterRole", "tenant-viewer", f"u{scene.owner_id}"),
    )
    assert bound.status == 201, bound

"""Gateway API routes under the same ownership rules as Ingresses, decided by kube-apiserver.

The CRDs are the pinned Gateway API release's standard channel, installed after the console
bootstrapped its policies (``policies_in_force``), as on a cluster that gains the Gateway API
later. A route may attach only to the Gateways the team's plan allows, must name hostnames,
and may name only hosts the team owns.
"""

import pytest
from django.conf import settings

from clusters.kube.gateway import GATEWAY_API
from clusters.kube.manifests import names
from tests.realcluster.conftest import apps_subdomain as _apps

pytestmark = pytest.mark.realcluster

HTTP_GUARD = f"ValidatingAdmissionPolicy '{names.POLICY_TENANT_HTTP_ROUTES}'"
OTHER_GUARD = f"ValidatingAdmissionPolicy '{names.POLICY_TENANT_GATEWAY_ROUTES}'"
SHARED = settings.TENANTRY_GATEWAYS[0]


def _route(kind: str, ns: str, *hosts: str, gateway: str = SHARED, paths=("/",)) -> dict:
    gateway_ns, _, gateway_name = gateway.partition("/")
    spec: dict = {"parentRefs": [{"name": gateway_name, "namespace": gateway_ns}]}
    if hosts:
        spec["hostnames"] = list(hosts)
    backend = {"name": "web", "port": 80}
    if kind == "HTTPRoute":
        matches = [{"path": {"type": "PathPrefix", "value": path}} for path in paths]
        spec["rules"] = [{"matches": matches, "backendRefs": [backend]}]
    else:
        spec["rules"] = [{"backendRefs": [backend]}]
    name = f"r-{len(hosts)}-{abs(hash((kind, hosts, gateway, paths))) % 10**8}"
    return {
        "apiVersion": GATEWAY_API,
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def _path(kind: str, ns: str) -> str:
    return f"/apis/{GATEWAY_API}/namespaces/{ns}/{kind.lower()}s"


def _guard(kind: str) -> str:
    return HTTP_GUARD if kind == "HTTPRoute" else OTHER_GUARD


def test_the_route_policies_installed_before_the_cluster_served_the_gateway_api(
    policies_in_force, admin_gateway
):
    assert policies_in_force == {"httproutes served": False}
    for name in (names.POLICY_TENANT_HTTP_ROUTES, names.POLICY_TENANT_GATEWAY_ROUTES):
        assert admin_gateway.get("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", name)
    assert admin_gateway.has_resource(GATEWAY_API, "httproutes")


KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")


@pytest.mark.parametrize("kind", KINDS)
def test_owned_hosts_on_the_plans_gateway_are_accepted(two_teams, kind):
    mine, _, client = two_teams
    owned = (f"shop.{_apps(mine.team)}", f"*.{_apps(mine.team)}", f"api.{mine.name}.example.com")
    answer = client.create(_path(kind, mine.name), _route(kind, mine.name, *owned))
    assert answer.status == 201, answer.message


REFUSED = {
    "another-teams-subdomain": (
        lambda mine, theirs: (f"shop.{_apps(theirs.team)}",),
        {},
        "a host your team owns",
    ),
    "wildcard-beyond-ownership": (
        lambda mine, theirs: (f"*.{settings.TENANTRY_APPS_DOMAIN}",),
        {},
        "your team owns",
    ),
    "unverified-custom-domain": (lambda mine, theirs: ("www.unverified.example.org",), {}, "your team owns"),
    "no-hostnames-on-a-shared-listener": (lambda mine, theirs: (), {}, "without hostnames"),
    "gateway-outside-the-plan": (
        lambda mine, theirs: (f"a.{_apps(mine.team)}",),
        {"gateway": "kube-system/private"},
        "Gateways your plan allows",
    ),
    "gateway-in-the-tenants-own-namespace": (
        lambda mine, theirs: (f"a.{_apps(mine.team)}",),
        {"gateway": "{mine}/mine"},
        "Gateways your plan allows",
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("attempt", REFUSED, ids=REFUSED)
def test_routes_beyond_the_team_are_refused(two_teams, kind, attempt):
    mine, theirs, client = two_teams
    hosts, extra, says = REFUSED[attempt]
    extra = {key: value.format(mine=mine.name) for key, value in extra.items()}
    answer = client.create(_path(kind, mine.name), _route(kind, mine.name, *hosts(mine, theirs), **extra))
    if kind == "TLSRoute" and attempt == "no-hostnames-on-a-shared-listener":
        # The TLSRoute schema itself requires hostnames: refused before admission.
        assert answer.status == 422 and "spec.hostnames" in answer.message, answer.message
        return
    assert answer.status == 403, answer
    assert answer.reason == "Forbidden" and _guard(kind) in answer.message and says in answer.message, answer


def test_a_second_team_cannot_take_over_a_verified_domain_with_an_httproute(two_teams, make_tenant):
    from clusters.kubeconfigs import kubeconfig_issue
    from tests.realcluster.tenant_client import TenantClient

    mine, theirs, client = two_teams
    host = f"{mine.name}.example.com"
    assert client.create(_path("HTTPRoute", mine.name), _route("HTTPRoute", mine.name, host)).status == 201
    thief = TenantClient(kubeconfig_issue(user=theirs.owner).text)
    answer = thief.create(_path("HTTPRoute", theirs.name), _route("HTTPRoute", theirs.name, host))
    thief.close()
    assert answer.status == 403 and HTTP_GUARD in answer.message, answer

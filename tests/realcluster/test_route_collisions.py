"""No two namespaces serve the same host+path: the console's record of claims, on the cluster.

The reconcile reads each namespace's routes into ``RouteClaim`` rows and tells every other
namespace owning those hosts which host+paths are taken (a Namespace annotation the route
policies read), so kube-apiserver refuses a sibling namespace, or a team that gained a
domain while another team's old route still serves it, from claiming the same host+path.
"""

import pytest

from clusters.provisioning import namespace_provision
from domains.models import Domain, RouteClaim
from domains.services import domain_add, domain_remove, domain_verify
from namespaces.services import namespace_create
from tests.realcluster.conftest import FAKE_DNS, apps_subdomain, unique_name, wait_until
from tests.realcluster.test_gateway_routes import _path as _route_path
from tests.realcluster.test_gateway_routes import _route
from tests.realcluster.test_ingress_hosts import _ingress
from tests.realcluster.test_ingress_hosts import _path as _ingress_path

pytestmark = pytest.mark.realcluster

TAKEN = "already served by another namespace"


def _reconcile(namespace, capture) -> None:
    with capture(execute=True):
        namespace_provision(namespace_id=namespace.pk)


def _refused_in_time(client, path: str, body: dict) -> str:
    """The API server reads Namespaces from its informer: wait until the new list is in force."""

    def refused():
        answer = client.request("POST", f"{path}?dryRun=All", body)
        return answer.message if answer.status == 403 else ""

    return str(wait_until(refused, what="the taken routes reaching the admission policy"))


def test_a_sibling_namespace_cannot_serve_the_same_host_and_path(
    two_teams, django_capture_on_commit_callbacks
):
    mine, _, client = two_teams
    with django_capture_on_commit_callbacks(execute=True):
        sibling = namespace_create(actor=mine.owner, team=mine.team, name=unique_name("sib"))
    host = f"shop.{apps_subdomain(mine.team)}"
    assert client.create(_ingress_path(mine.name), _ingress("shop", mine.name, host)).status == 201
    _reconcile(mine.namespace, django_capture_on_commit_callbacks)
    claim = RouteClaim.objects.get(namespace=mine.namespace)
    assert (claim.kind, claim.name, claim.key) == ("Ingress", "shop", f"{host}/")

    message = _refused_in_time(client, _ingress_path(sibling.name), _ingress("shop", sibling.name, host))
    assert TAKEN in message and "tenantry-tenant-ingresses" in message
    # The same host on another path, and an HTTPRoute on another path, are still the sibling's to take.
    other_path = _ingress("api", sibling.name, host)
    other_path["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/api"
    assert client.create(_ingress_path(sibling.name), other_path).status == 201
    route = _route("HTTPRoute", sibling.name, host, paths=("/",))
    answer = client.create(_route_path("HTTPRoute", sibling.name), route)
    assert answer.status == 403 and TAKEN in answer.message, answer.message
    ok = client.create(
        _route_path("HTTPRoute", sibling.name), _route("HTTPRoute", sibling.name, host, paths=("/v2",))
    )
    assert ok.status == 201, ok.message


def test_a_team_that_gains_a_domain_cannot_take_the_old_holders_routes(
    two_teams, settings, django_capture_on_commit_callbacks
):
    mine, theirs, client = two_teams
    host = f"{mine.name}.example.com"
    assert client.create(_ingress_path(mine.name), _ingress("old", mine.name, host)).status == 201
    _reconcile(mine.namespace, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        domain_remove(actor=mine.owner, domain=Domain.objects.get(name=host))
        domain = domain_add(actor=theirs.owner, team=theirs.team, name=host)
        FAKE_DNS[domain.record_name] = [domain.challenge]
        assert domain_verify(actor=theirs.owner, domain=domain)

    from clusters.kubeconfigs import kubeconfig_issue
    from tests.realcluster.tenant_client import TenantClient

    newcomer = TenantClient(kubeconfig_issue(user=theirs.owner).text)
    try:
        message = _refused_in_time(newcomer, _ingress_path(theirs.name), _ingress("new", theirs.name, host))
        assert TAKEN in message
        # Paths the old holder does not serve are the new owner's.
        api = _ingress("api", theirs.name, host)
        api["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/api"
        assert newcomer.create(_ingress_path(theirs.name), api).status == 201
    finally:
        newcomer.close()

"""Who may serve which host, decided by kube-apiserver evaluating the console's Ingress policy.

Each team owns ``<anything>.<team>.<apps domain>`` by construction and the custom domains it
verified; a tenant's Ingress may name nothing else, so a second team cannot take over a host.
"""

import pytest
from django.conf import settings

from clusters.kubeconfigs import kubeconfig_issue
from domains.services import domain_add, domain_verify
from tests.realcluster.tenant_client import TenantClient

pytestmark = pytest.mark.realcluster

GUARD = "ValidatingAdmissionPolicy 'tenantry-tenant-ingresses'"


def _ingress(name: str, ns: str, *hosts: str, **extra) -> dict:
    spec = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "web", "port": {"number": 80}}},
                        }
                    ]
                },
            }
            for host in hosts
        ]
    }
    metadata = {"name": name, "namespace": ns, **extra.pop("metadata", {})}
    spec.update(extra)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}


@pytest.fixture
def two_teams(make_tenant, settings, django_capture_on_commit_callbacks):
    settings.TENANTRY_TXT_RESOLVER = "tests.realcluster.test_ingress_hosts.fake_txt"
    mine, theirs = make_tenant(), make_tenant()
    with django_capture_on_commit_callbacks(execute=True):
        domain = domain_add(actor=mine.owner, team=mine.team, name=f"{mine.name}.example.com")
        FAKE_DNS[domain.record_name] = [domain.challenge]
        assert domain_verify(actor=mine.owner, domain=domain)
    client = TenantClient(kubeconfig_issue(user=mine.owner).text)
    yield mine, theirs, client
    client.close()


FAKE_DNS: dict[str, list[str]] = {}


def fake_txt(name: str) -> list[str]:
    return FAKE_DNS.get(name, [])


def _path(ns: str) -> str:
    return f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses"


def _apps(team) -> str:
    return f"{team.slug}.{settings.TENANTRY_APPS_DOMAIN}"


def test_hosts_the_team_owns_are_accepted(two_teams):
    mine, _, client = two_teams
    owned = (
        f"shop.{_apps(mine.team)}",
        f"*.{_apps(mine.team)}",
        f"{mine.name}.example.com",
        f"api.{mine.name}.example.com",
    )
    answer = client.create(
        _path(mine.name), _ingress("shop", mine.name, *owned, tls=[{"hosts": list(owned)}])
    )
    assert answer.status == 201, answer


REFUSED = {
    "another-teams-subdomain": (
        lambda mine, theirs: _ingress("x", mine.name, f"shop.{_apps(theirs.team)}"),
        "a host your team owns",
    ),
    "wildcard-beyond-ownership": (
        lambda mine, theirs: _ingress("x", mine.name, f"*.{settings.TENANTRY_APPS_DOMAIN}"),
        "a host your team owns",
    ),
    "unverified-custom-domain": (
        lambda mine, theirs: _ingress("x", mine.name, "www.unverified.example.org"),
        "a host your team owns",
    ),
    "lookalike-suffix": (
        lambda mine, theirs: _ingress("x", mine.name, f"evil{mine.name}.example.com"),
        "a host your team owns",
    ),
    "no-host": (lambda mine, theirs: _ingress("x", mine.name, ""), "a host your team owns"),
    "tls-for-another-host": (
        lambda mine, theirs: _ingress(
            "x", mine.name, f"a.{_apps(mine.team)}", tls=[{"hosts": [f"a.{_apps(theirs.team)}"]}]
        ),
        "tls hosts",
    ),
    "default-backend": (
        lambda mine, theirs: _ingress(
            "x",
            mine.name,
            f"a.{_apps(mine.team)}",
            defaultBackend={"service": {"name": "web", "port": {"number": 80}}},
        ),
        "defaultBackend",
    ),
    "configuration-snippet": (
        lambda mine, theirs: _ingress(
            "x",
            mine.name,
            f"a.{_apps(mine.team)}",
            metadata={"annotations": {"nginx.ingress.kubernetes.io/configuration-snippet": "return 200;"}},
        ),
        "snippet annotations",
    ),
    "server-snippet": (
        lambda mine, theirs: _ingress(
            "x",
            mine.name,
            f"a.{_apps(mine.team)}",
            metadata={"annotations": {"nginx.ingress.kubernetes.io/server-snippet": "location /x {}"}},
        ),
        "snippet annotations",
    ),
    "other-ingress-class": (
        lambda mine, theirs: _ingress("x", mine.name, f"a.{_apps(mine.team)}", ingressClassName="internal"),
        "ingressClassName must be one of",
    ),
}


@pytest.mark.parametrize("attempt", REFUSED, ids=REFUSED)
def test_hosts_and_settings_beyond_the_team_are_refused(two_teams, attempt):
    mine, theirs, client = two_teams
    build, says = REFUSED[attempt]
    answer = client.create(_path(mine.name), build(mine, theirs))
    assert answer.status == 403, answer
    assert answer.reason == "Forbidden" and GUARD in answer.message and says in answer.message, answer


def test_the_takeover_attempt_is_refused_and_the_owner_keeps_the_host(two_teams, make_tenant):
    mine, theirs, client = two_teams
    host = f"{mine.name}.example.com"
    assert client.create(_path(mine.name), _ingress("shop", mine.name, host)).status == 201
    thief = TenantClient(kubeconfig_issue(user=theirs.owner).text)
    answer = thief.create(_path(theirs.name), _ingress("steal", theirs.name, host))
    thief.close()
    assert answer.status == 403 and GUARD in answer.message, answer
    # An update that swaps the host for another team's is refused the same way.
    patched = client.merge_patch(
        f"{_path(mine.name)}/shop", {"spec": {"rules": [{"host": f"x.{_apps(theirs.team)}"}]}}
    )
    assert patched.status == 403 and GUARD in patched.message, patched

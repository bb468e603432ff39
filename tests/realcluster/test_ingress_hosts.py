"""Who may serve which host, decided by kube-apiserver evaluating the console's Ingress policy.

Each team owns ``<anything>.<team>.<apps domain>`` by construction and the custom domains it
verified; a tenant's Ingress may name nothing else, so a second team cannot take over a host.
"""

import pytest
from django.conf import settings

from clusters.kubeconfigs import kubeconfig_issue
from tests.realcluster.conftest import apps_subdomain as _apps
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


def _path(ns: str) -> str:
    return f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses"


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

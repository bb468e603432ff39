"""Per-cluster apps domains: teams own <team>.<the cluster's apps domain> for routes there."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clusters.kube.spec import namespace_spec_from_model
from clusters.models import Cluster
from clusters.services import cluster_update
from domains.routes import Claim
from domains.services import domain_add, route_claims_record
from tenants.models import AuditEvent
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eu(world):
    return Cluster.objects.create(name="eu", kubeconfig_path="/nonexistent", apps_domain="apps.eu.example")


def test_a_namespace_owns_the_subdomain_of_its_clusters_apps_domain(world, eu, settings):
    on_eu = NamespaceFactory(team=world.team, cluster=eu)
    assert (
        namespace_spec_from_model(on_eu, settings=settings).allowed_host_suffixes[0] == "acme.apps.eu.example"
    )
    default = namespace_spec_from_model(world.namespace, settings=settings)
    assert default.allowed_host_suffixes[0] == f"acme.{settings.TENANTRY_APPS_DOMAIN}"
    Cluster.objects.filter(pk=world.namespace.cluster_id).update(apps_domain="apps.main.example")
    world.namespace.refresh_from_db()
    default = namespace_spec_from_model(world.namespace, settings=settings)
    assert default.allowed_host_suffixes[0] == "acme.apps.main.example"


def test_changing_a_clusters_apps_domain_re_applies_its_namespaces_and_is_audited(world, eu, monkeypatch):
    on_eu = NamespaceFactory(team=world.team, cluster=eu)
    told: list[int] = []
    monkeypatch.setattr("clusters.services.namespace_changed", lambda namespace: told.append(namespace.pk))
    cluster_update(
        actor=world.admin,
        cluster=eu,
        name="eu",
        kubeconfig_path="/nonexistent",
        apps_domain="Apps.EU2.example.",
    )
    eu.refresh_from_db()
    assert eu.apps_domain == "apps.eu2.example" and on_eu.pk in told and world.namespace.pk not in told
    event = AuditEvent.objects.get(action="cluster.updated")
    assert event.data["apps_domain"] == {"from": "apps.eu.example", "to": "apps.eu2.example"}


def test_custom_domains_under_or_above_any_apps_domain_are_refused(world, eu):
    for name, says in (
        ("shop.apps.eu.example", "given by the console"),
        ("eu.example", "holds the apps domain"),
    ):
        with pytest.raises(ValidationError) as refused:
            domain_add(actor=world.owner, team=world.team, name=name)
        assert says in str(refused.value.message_dict["name"])


def test_a_route_under_a_clusters_apps_domain_tells_the_teams_namespaces_there(world, eu):
    first, second = (
        NamespaceFactory(team=world.team, cluster=eu),
        NamespaceFactory(team=world.team, cluster=eu),
    )
    told = route_claims_record(
        namespace=first, claims=[Claim("www.acme.apps.eu.example", "/", "Ingress", "web")], now=timezone.now()
    )
    assert told == [second]


def test_the_domains_tab_lists_the_subdomain_of_every_apps_domain(client, world, eu):
    client.force_login(world.member)
    body = client.get(reverse("domains:team_domains", args=["acme"])).content.decode()
    assert "*.acme.apps.tenantry.localhost" in body and "*.acme.apps.eu.example" in body


def test_staff_set_the_apps_domain_on_the_cluster_form_with_field_errors(client, world, eu):
    client.force_login(world.admin)
    url = reverse("cluster_edit", args=[eu.pk])
    data = {"name": "eu", "kubeconfig_path": "/nonexistent", "apps_domain": "not a domain"}
    response = client.post(url, data)
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    assert client.post(url, {**data, "apps_domain": "apps.eu3.example"}).status_code == 302
    eu.refresh_from_db()
    assert eu.apps_domain == "apps.eu3.example"

"""Team domains: claimed by one team, verified by DNS, audited, and carried to the cluster."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from domains.dns import LookupFailed
from domains.models import Domain
from domains.services import domain_add, domain_remove, domain_verify
from tenants.models import AuditEvent

pytestmark = pytest.mark.django_db

DNS: dict[str, list[str]] = {}


def fake_txt(name: str) -> list[str]:
    if name == "_tenantry-challenge.broken.example.com":
        raise LookupFailed("timed out")
    return DNS.get(name, [])


@pytest.fixture(autouse=True)
def _fake_dns(settings):
    settings.TENANTRY_TXT_RESOLVER = "domains.tests.test_domains.fake_txt"
    DNS.clear()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("not a domain", "Enter a domain name"),
        ("localhost", "Enter a domain name"),
        ("a" * 250 + ".com", "Enter a domain name"),
        ("-bad.example.com", "Enter a domain name"),
        ("shop.apps.tenantry.localhost", "given by the console"),
    ],
)
def test_bad_names_are_field_errors(world, name, error):
    with pytest.raises(Exception) as raised:
        domain_add(actor=world.owner, team=world.team, name=name)
    assert error in str(raised.value)
    assert not Domain.objects.exists()


def test_a_domain_belongs_to_one_team_and_names_are_normalised(world):
    domain = domain_add(actor=world.owner, team=world.team, name=" Shop.Example.COM. ")
    assert domain.name == "shop.example.com"
    with pytest.raises(Exception, match="already claimed by a team on this console"):
        domain_add(actor=world.outsider, team=world.other_team, name="shop.example.com")
    assert AuditEvent.objects.filter(action="domain.added", team=world.team).count() == 1


def test_verification_needs_the_txt_record_and_says_what_is_missing(world):
    domain = domain_add(actor=world.owner, team=world.team, name="shop.example.com")
    assert domain_verify(actor=world.owner, domain=domain) is False
    domain.refresh_from_db()
    assert domain.verified_at is None
    assert "_tenantry-challenge.shop.example.com" in domain.last_check_error
    DNS["_tenantry-challenge.shop.example.com"] = ["someone-else", domain.challenge]
    assert domain_verify(actor=world.owner, domain=domain) is True
    domain.refresh_from_db()
    assert domain.verified_at is not None and domain.last_check_error == ""
    assert AuditEvent.objects.filter(action="domain.verified").exists()


def test_a_dns_outage_is_reported_not_raised(world):
    domain = domain_add(actor=world.owner, team=world.team, name="broken.example.com")
    assert domain_verify(actor=world.owner, domain=domain) is False
    domain.refresh_from_db()
    assert "DNS did not answer" in domain.last_check_error


def test_verified_domains_reach_the_namespace_on_the_cluster(
    world, cluster, django_capture_on_commit_callbacks
):
    from clusters.provisioning import namespace_provision

    namespace_provision(namespace_id=world.namespace.pk)
    domain = domain_add(actor=world.owner, team=world.team, name="shop.example.com")
    DNS[domain.record_name] = [domain.challenge]
    with django_capture_on_commit_callbacks(execute=True):
        domain_verify(actor=world.owner, domain=domain)

    def allowed():
        live = cluster.get_object("v1", "Namespace", "acme-dev")
        return live["metadata"]["annotations"]["tenantry.io/allowed-hosts"]

    assert allowed() == "acme.apps.tenantry.localhost,shop.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        domain_remove(actor=world.owner, domain=domain)
    assert allowed() == "acme.apps.tenantry.localhost"
    assert AuditEvent.objects.filter(action="domain.removed").exists()


def test_the_domains_tab_shows_the_subdomain_and_offers_the_form_to_managers_only(client, world):
    Domain.objects.create(team=world.team, name="shop.example.com", challenge="tok3n")
    client.force_login(world.developer)
    body = client.get(reverse("domains:team_domains", args=["acme"])).content.decode()
    assert "*.acme.apps.tenantry.localhost" in body and "shop.example.com" in body
    assert "Add a custom domain" not in body and "tok3n" not in body.split("<table")[0]
    assert (
        client.post(reverse("domains:team_domains", args=["acme"]), {"name": "x.example.com"}).status_code
        == 403
    )
    client.force_login(world.owner)
    body = client.get(reverse("domains:team_domains", args=["acme"])).content.decode()
    assert "Add a custom domain" in body and "_tenantry-challenge.shop.example.com" in body


def test_adding_from_the_page_shows_field_errors_and_redirects_on_success(client, world):
    client.force_login(world.owner)
    url = reverse("domains:team_domains", args=["acme"])
    response = client.post(url, {"name": "not a domain"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    response = client.post(url, {"name": "shop.example.com"})
    assert response.status_code == 302
    assert Domain.objects.get().team == world.team


def test_outsiders_cannot_see_or_touch_a_teams_domains(client, world):
    domain = Domain.objects.create(team=world.team, name="shop.example.com", challenge="x")
    client.force_login(world.outsider)
    assert client.get(reverse("domains:team_domains", args=["acme"])).status_code == 404
    assert client.post(reverse("domains:domain_verify", args=["acme", domain.pk])).status_code == 404
    # Their own team's URL with our domain's id is not found either.
    assert client.post(reverse("domains:domain_remove", args=["globex", domain.pk])).status_code == 404
    assert Domain.objects.filter(pk=domain.pk).exists()


def test_removing_needs_the_typed_name(client, world):
    domain = Domain.objects.create(team=world.team, name="shop.example.com", challenge="x")
    client.force_login(world.owner)
    url = reverse("domains:domain_remove", args=["acme", domain.pk])
    client.post(url, {"confirm_name": "wrong"})
    assert Domain.objects.filter(pk=domain.pk).exists()
    client.post(url, {"confirm_name": "shop.example.com"})
    assert not Domain.objects.filter(pk=domain.pk).exists()


def test_the_domains_tab_costs_the_same_queries_with_many_domains(
    client, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.owner)
    url = reverse("domains:team_domains", args=["acme"])
    Domain.objects.create(team=world.team, name="one.example.com", challenge="x")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(30):
        Domain.objects.create(team=world.team, name=f"d{i}.example.com", challenge="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def _serve(namespace, *hosts, kind="Ingress", name="web"):
    from django.utils import timezone

    from domains.routes import Claim
    from domains.services import route_claims_record

    claims = [
        Claim(host, "/", kind, name, "203.0.113.7" if kind == "Ingress" else "Accepted") for host in hosts
    ]
    route_claims_record(namespace=namespace, claims=claims, now=timezone.now())


def test_the_domains_tab_shows_who_routes_where_and_names_another_teams_holder_only_to_its_members(
    client, world
):
    from tests.factories import TeamMembershipFactory

    _serve(world.namespace, "shop.acme.apps.tenantry.localhost", "taken.example.com")
    _serve(world.other_namespace, "taken.example.com", name="old")
    client.force_login(world.member)
    body = client.get(reverse("domains:team_domains", args=["acme"])).content.decode()
    assert "shop.acme.apps.tenantry.localhost/" in body and "address 203.0.113.7" in body
    assert "taken.example.com/" in body and "a namespace of another team" in body
    assert "globex-prod" not in body
    TeamMembershipFactory(team=world.other_team, user=world.member, role="member")
    body = client.get(reverse("domains:team_domains", args=["acme"])).content.decode()
    assert "namespace globex-prod of team Globex" in body


def test_the_namespace_page_lists_its_routes_with_their_status(client, world):
    _serve(
        world.namespace, "a.acme.apps.tenantry.localhost", "b.acme.apps.tenantry.localhost", kind="HTTPRoute"
    )
    client.force_login(world.viewer)
    body = client.get(reverse("namespace_detail", args=["acme-dev"])).content.decode()
    assert "HTTPRoute <code>web</code>" in body and "b.acme.apps.tenantry.localhost/" in body
    assert "accepted by the Gateway" in body
    client.force_login(world.outsider)
    assert client.get(reverse("namespace_detail", args=["acme-dev"])).status_code == 404


def test_the_domains_tab_costs_the_same_queries_with_many_routes(
    client, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import NamespaceFactory, TeamFactory

    client.force_login(world.owner)
    url = reverse("domains:team_domains", args=["acme"])
    _serve(world.namespace, "one.example.com")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(20):
        other = NamespaceFactory(team=TeamFactory())
        _serve(other, f"h{i}.example.com")
        _serve(NamespaceFactory(team=world.team), f"h{i}.example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_domain_under_or_above_another_teams_is_refused(world):
    domain_add(actor=world.owner, team=world.team, name="shop.example.com")
    for name in ("api.shop.example.com", "example.com"):
        with pytest.raises(ValidationError) as refused:
            domain_add(actor=world.outsider, team=world.other_team, name=name)
        assert "overlaps a domain another team" in str(refused.value.message_dict["name"])
    # The owning team may add either; an unrelated lookalike is anyone's.
    domain_add(actor=world.owner, team=world.team, name="api.shop.example.com")
    domain_add(actor=world.outsider, team=world.other_team, name="myshop.example.com")

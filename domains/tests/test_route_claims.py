"""The console's record of route claims: parsing routes, recording them, and who is told."""

import pytest
from django.utils import timezone

from clusters.kube.spec import namespace_spec_from_model
from domains.models import Domain, RouteClaim
from domains.routes import Claim, route_claims
from domains.selectors import namespace_routes, taken_routes, team_route_conflicts, team_routes
from domains.services import route_claims_record
from tests.factories import NamespaceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _ingress(name, *rules, status=None):
    return {
        "kind": "Ingress",
        "metadata": {"name": name},
        "spec": {"rules": list(rules)},
        "status": status or {},
    }


def test_an_ingress_claims_each_host_with_each_path_and_shows_its_address():
    ingress = _ingress(
        "web",
        {"host": "A.example.com", "http": {"paths": [{"path": "/"}, {"path": "/api"}]}},
        {"host": "b.example.com"},
        {"http": {"paths": [{"path": "/"}]}},
        status={"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}},
    )
    assert [(c.key, c.status) for c in route_claims(ingress)] == [
        ("a.example.com/", "203.0.113.7"),
        ("a.example.com/api", "203.0.113.7"),
        ("b.example.com/", "203.0.113.7"),
    ]


def test_an_httproute_claims_hostnames_by_match_path_and_grpc_routes_the_whole_host():
    http = {
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {"hostnames": ["x.example.com"], "rules": [{"matches": [{"path": {"value": "/v1"}}]}, {}]},
        "status": {
            "parents": [{"conditions": [{"type": "Accepted", "status": "False", "reason": "NotAllowed"}]}]
        },
    }
    assert [(c.key, c.status) for c in route_claims(http)] == [
        ("x.example.com/", "NotAllowed"),
        ("x.example.com/v1", "NotAllowed"),
    ]
    grpc = {"kind": "GRPCRoute", "metadata": {"name": "g"}, "spec": {"hostnames": ["g.example.com"]}}
    assert [c.key for c in route_claims(grpc)] == ["g.example.com/"]


def _claim(host, path="/", kind="Ingress", name="web"):
    return Claim(host, path, kind, name)


def test_recording_tells_only_the_namespaces_owning_the_changed_hosts(
    settings, django_capture_on_commit_callbacks
):
    team, other = TeamFactory(slug="acme"), TeamFactory(slug="other")
    mine, sibling = NamespaceFactory(team=team), NamespaceFactory(team=team)
    NamespaceFactory(team=other)
    host = f"shop.acme.{settings.TENANTRY_APPS_DOMAIN}"
    with django_capture_on_commit_callbacks() as callbacks:
        told = route_claims_record(namespace=mine, claims=[_claim(host)], now=timezone.now())
    assert told == [sibling] and len(callbacks) == 1
    # Reading the same routes again changes nothing and tells no one.
    assert route_claims_record(namespace=mine, claims=[_claim(host)], now=timezone.now()) == []
    suffixes = (f"acme.{settings.TENANTRY_APPS_DOMAIN}",)
    assert taken_routes(namespace_id=sibling.pk, cluster_id=sibling.cluster_id, suffixes=suffixes) == (
        f"{host}/",
    )
    assert taken_routes(namespace_id=mine.pk, cluster_id=mine.cluster_id, suffixes=suffixes) == ()
    spec = namespace_spec_from_model(sibling, settings=settings)
    assert spec.taken_routes == (f"{host}/",)
    # Gone from the cluster: gone from the record, and the sibling is told again.
    assert route_claims_record(namespace=mine, claims=[], now=timezone.now()) == [sibling]
    assert not RouteClaim.objects.exists()


def test_a_verified_domain_owner_is_told_and_lookalike_hosts_are_not_under_it(settings):
    team, holder = TeamFactory(), TeamFactory()
    owner_ns, holder_ns = NamespaceFactory(team=team), NamespaceFactory(team=holder)
    Domain.objects.create(team=team, name="shop.example.com", challenge="x", verified_at=timezone.now())
    told = route_claims_record(
        namespace=holder_ns,
        claims=[_claim("api.shop.example.com"), _claim("evilshop.example.com"), _claim("a-shop.example.com")],
        now=timezone.now(),
    )
    assert told == [owner_ns]
    assert taken_routes(
        namespace_id=owner_ns.pk, cluster_id=owner_ns.cluster_id, suffixes=("shop.example.com",)
    ) == ("api.shop.example.com/",)


def test_conflicts_name_the_holder_only_to_viewers_who_may_see_its_team(settings):
    team, stranger = TeamFactory(name="Acme"), TeamFactory(name="Stranger")
    mine, theirs = NamespaceFactory(team=team), NamespaceFactory(team=stranger)
    now = timezone.now()
    route_claims_record(namespace=mine, claims=[_claim("a.example.com")], now=now)
    route_claims_record(namespace=theirs, claims=[_claim("a.example.com"), _claim("b.example.com")], now=now)
    routes = team_routes(team=team)
    from tests.factories import TeamMembershipFactory, UserFactory

    viewer = UserFactory()
    TeamMembershipFactory(team=team, user=viewer, role="member")
    (conflict,) = team_route_conflicts(team=team, claims=routes, viewer=viewer)
    assert (conflict.key, conflict.namespace, conflict.holder_namespace) == ("a.example.com/", mine.name, "")
    TeamMembershipFactory(team=stranger, user=viewer, role="member")
    from tenants.permissions import forget_roles

    forget_roles(viewer)
    (conflict,) = team_route_conflicts(team=team, claims=routes, viewer=viewer)
    assert (conflict.holder_namespace, conflict.holder_team) == (theirs.name, "Stranger")
    assert [r["keys"] for r in namespace_routes(namespace=theirs)] == [["a.example.com/", "b.example.com/"]]

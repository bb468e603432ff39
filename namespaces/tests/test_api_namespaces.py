import pytest

from tenants.models import AuditEvent, Namespace, NamespaceMembership
from tests.api import client_for, count_queries
from tests.factories import NamespaceFactory, NamespaceMembershipFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def ns_membership(world, user) -> NamespaceMembership:
    return NamespaceMembership.objects.get(namespace=world.namespace, user=user)


# --- Namespaces --------------------------------------------------------------------------


def test_developer_sees_their_namespace_with_their_role(world):
    body = client_for(world.developer).get("/api/v1/namespaces/").json()
    assert [(n["name"], n["team"], n["role"]) for n in body["results"]] == [("acme-dev", "acme", "developer")]


def test_team_member_without_namespace_membership_sees_none(world):
    assert client_for(world.member).get("/api/v1/namespaces/").json()["count"] == 0


def test_namespace_list_filters_by_team(world):
    NamespaceFactory(team=world.other_team, name="globex-dev")
    TeamMembershipFactory(team=world.other_team, user=world.owner, role="manager")
    client = client_for(world.owner)
    assert client.get("/api/v1/namespaces/").json()["count"] == 3
    names = [n["name"] for n in client.get("/api/v1/namespaces/", {"team": "globex"}).json()["results"]]
    assert names == ["globex-dev", "globex-prod"]


def test_namespace_list_does_not_show_other_tenants(world):
    names = [n["name"] for n in client_for(world.outsider).get("/api/v1/namespaces/").json()["results"]]
    assert names == ["globex-prod"]
    assert client_for(world.outsider).get("/api/v1/namespaces/", {"team": "acme"}).json()["count"] == 0


def test_namespace_list_query_count_does_not_grow_with_namespaces(world, django_assert_num_queries):
    client = client_for(world.developer)
    small = count_queries(client, "/api/v1/namespaces/")
    for _ in range(6):
        NamespaceMembershipFactory(namespace=NamespaceFactory(team=world.team), user=world.developer)
    with django_assert_num_queries(small):
        assert client.get("/api/v1/namespaces/").json()["count"] == 7


def test_manager_creates_a_namespace(world):
    response = client_for(world.manager).post(
        "/api/v1/namespaces/", {"team": "acme", "name": "acme-ml", "display_name": "ML"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert response.json()["role"] == "admin"
    assert Namespace.objects.get(name="acme-ml").display_name == "ML"
    assert AuditEvent.objects.filter(action="namespace.created", actor=world.manager).exists()


def test_member_cannot_create_a_namespace(world):
    response = client_for(world.ns_admin).post(
        "/api/v1/namespaces/", {"team": "acme", "name": "acme-ml"}, format="json"
    )
    assert response.status_code == 403
    assert not Namespace.objects.filter(name="acme-ml").exists()


def test_outsider_cannot_create_a_namespace_in_another_team(world):
    response = client_for(world.outsider).post(
        "/api/v1/namespaces/", {"team": "acme", "name": "acme-ml"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"team", "name"}),
        ({"team": "acme", "name": "Not_A_DNS_Label"}, {"name"}),
        ({"team": "acme", "name": "-leading-dash"}, {"name"}),
        ({"team": "acme", "name": "a" * 64}, {"name"}),
        ({"team": "acme", "name": "kube-mine"}, {"name"}),
        ({"team": "acme", "name": "globex-prod"}, {"name"}),
        ({"team": "acme", "name": "ok", "display_name": "x" * 101}, {"display_name"}),
        ({"team": ["acme"], "name": "ok"}, {"team"}),
    ],
)
def test_namespace_create_rejects_bad_input_with_field_errors(world, payload, fields):
    response = client_for(world.owner).post("/api/v1/namespaces/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_namespace_create_rejects_a_body_that_is_not_an_object(world):
    response = client_for(world.owner).post("/api/v1/namespaces/", ["acme"], format="json")
    assert response.status_code == 400


def test_namespace_detail(world):
    response = client_for(world.viewer).get("/api/v1/namespaces/acme-dev/")
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"


def test_namespace_detail_is_404_to_team_members_outside_it_and_to_outsiders(world):
    assert client_for(world.member).get("/api/v1/namespaces/acme-dev/").status_code == 404
    assert client_for(world.outsider).get("/api/v1/namespaces/acme-dev/").status_code == 404


def test_manager_deletes_a_namespace_which_becomes_terminating(world):
    response = client_for(world.manager).delete("/api/v1/namespaces/acme-dev/")
    assert response.status_code == 202
    assert response.json()["status"] == "terminating"
    world.namespace.refresh_from_db()
    assert world.namespace.status == "terminating"


def test_namespace_admin_who_is_a_plain_team_member_cannot_delete_it(world):
    assert client_for(world.ns_admin).delete("/api/v1/namespaces/acme-dev/").status_code == 403
    world.namespace.refresh_from_db()
    assert world.namespace.status == "pending"


def test_outsider_cannot_delete_another_teams_namespace(world):
    assert client_for(world.outsider).delete("/api/v1/namespaces/acme-dev/").status_code == 404


# --- Namespace members -------------------------------------------------------------------


def test_namespace_members_visible_to_its_viewers(world):
    response = client_for(world.viewer).get("/api/v1/namespaces/acme-dev/members/")
    assert response.status_code == 200
    assert {m["user"]["email"] for m in response.json()["results"]} == {
        world.ns_admin.email,
        world.developer.email,
        world.viewer.email,
    }


def test_outsider_cannot_list_namespace_members(world):
    assert client_for(world.outsider).get("/api/v1/namespaces/acme-dev/members/").status_code == 404


def test_namespace_member_list_query_count_does_not_grow(world, django_assert_num_queries):
    client = client_for(world.viewer)
    small = count_queries(client, "/api/v1/namespaces/acme-dev/members/")
    for _ in range(5):
        NamespaceMembershipFactory(
            namespace=world.namespace, user=TeamMembershipFactory(team=world.team).user
        )
    with django_assert_num_queries(small):
        assert client.get("/api/v1/namespaces/acme-dev/members/").json()["count"] == 8


def test_namespace_admin_adds_a_team_member_by_email(world):
    response = client_for(world.ns_admin).post(
        "/api/v1/namespaces/acme-dev/members/", {"email": world.member.email, "role": "viewer"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["user"]["id"] == world.member.pk
    assert ns_membership(world, world.member).role == "viewer"


def test_manager_adds_a_team_member_by_id(world):
    response = client_for(world.manager).post(
        "/api/v1/namespaces/acme-dev/members/", {"user": world.billing.pk, "role": "developer"}, format="json"
    )
    assert response.status_code == 201
    assert ns_membership(world, world.billing).role == "developer"


def test_developer_cannot_add_namespace_members(world):
    response = client_for(world.developer).post(
        "/api/v1/namespaces/acme-dev/members/", {"email": world.member.email, "role": "admin"}, format="json"
    )
    assert response.status_code == 403


def test_outsider_cannot_add_namespace_members(world):
    response = client_for(world.outsider).post(
        "/api/v1/namespaces/acme-dev/members/",
        {"email": world.outsider.email, "role": "admin"},
        format="json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "outsider@example.com", "role": "viewer"}, "email"),
        ({"email": "not-an-email", "role": "viewer"}, "email"),
        ({"user": 999999, "role": "viewer"}, "user"),
        ({"role": "viewer"}, "user"),
        ({"user": 1, "email": "member@example.com", "role": "viewer"}, "user"),
        ({"email": "member@example.com", "role": "root"}, "role"),
        ({"email": "member@example.com"}, "role"),
    ],
)
def test_namespace_member_add_rejects_bad_input(world, payload, field):
    response = client_for(world.ns_admin).post("/api/v1/namespaces/acme-dev/members/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_namespace_admin_changes_a_role(world):
    url = f"/api/v1/namespaces/acme-dev/members/{ns_membership(world, world.developer).pk}/"
    response = client_for(world.ns_admin).patch(url, {"role": "viewer"}, format="json")
    assert response.status_code == 200
    assert ns_membership(world, world.developer).role == "viewer"


def test_viewer_cannot_change_roles(world):
    url = f"/api/v1/namespaces/acme-dev/members/{ns_membership(world, world.viewer).pk}/"
    assert client_for(world.viewer).patch(url, {"role": "admin"}, format="json").status_code == 403
    assert ns_membership(world, world.viewer).role == "viewer"


def test_namespace_role_change_rejects_unknown_role(world):
    url = f"/api/v1/namespaces/acme-dev/members/{ns_membership(world, world.developer).pk}/"
    response = client_for(world.ns_admin).patch(url, {"role": "root"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()


def test_membership_of_another_namespace_is_404(world):
    foreign = NamespaceMembershipFactory(namespace=world.other_namespace, user=world.outsider)
    url = f"/api/v1/namespaces/acme-dev/members/{foreign.pk}/"
    assert client_for(world.ns_admin).patch(url, {"role": "viewer"}, format="json").status_code == 404
    assert client_for(world.ns_admin).delete(url).status_code == 404


def test_outsider_cannot_change_or_remove_namespace_members(world):
    url = f"/api/v1/namespaces/acme-dev/members/{ns_membership(world, world.developer).pk}/"
    assert client_for(world.outsider).patch(url, {"role": "viewer"}, format="json").status_code == 404
    assert client_for(world.outsider).delete(url).status_code == 404


def test_namespace_admin_removes_a_member(world):
    url = f"/api/v1/namespaces/acme-dev/members/{ns_membership(world, world.developer).pk}/"
    assert client_for(world.developer).delete(url).status_code == 403
    assert client_for(world.ns_admin).delete(url).status_code == 204
    assert not NamespaceMembership.objects.filter(namespace=world.namespace, user=world.developer).exists()
    assert AuditEvent.objects.filter(action="namespace_member.removed").exists()

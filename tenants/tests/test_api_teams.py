import pytest

from tenants.models import AuditEvent, TeamMembership
from tests.api import client_for, count_queries
from tests.factories import TeamMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def membership(world, user) -> TeamMembership:
    return TeamMembership.objects.get(team=world.team, user=user)


# --- Teams -------------------------------------------------------------------------------


def test_me_shows_my_teams_and_roles(world):
    response = client_for(world.manager).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {
        "id": world.manager.pk,
        "email": world.manager.email,
        "teams": [{"slug": "acme", "name": "Acme", "role": "manager"}],
    }


def test_team_list_shows_only_my_teams(world):
    response = client_for(world.outsider).get("/api/v1/teams/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [(t["slug"], t["role"]) for t in body["results"]] == [("globex", "owner")]


def test_team_list_query_count_does_not_grow_with_teams(world, django_assert_num_queries):
    user = UserFactory(username="busy")
    TeamMembershipFactory(user=user, role="member")
    client = client_for(user)
    small = count_queries(client, "/api/v1/teams/")
    for _ in range(6):
        TeamMembershipFactory(user=user, role="owner")
    with django_assert_num_queries(small):
        response = client.get("/api/v1/teams/")
    assert response.json()["count"] == 7


def test_create_team_makes_me_owner(world):
    response = client_for(world.member).post("/api/v1/teams/", {"name": "Research"}, format="json")
    assert response.status_code == 201
    assert response.json()["slug"] == "research"
    assert response.json()["role"] == "owner"
    assert response.json()["member_count"] == 1
    assert AuditEvent.objects.filter(action="team.created", actor=world.member).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "X", "slug": "Not_DNS"}, "slug"),
        ({"name": "X", "slug": "acme"}, "slug"),
        ({"name": "X" * 101}, "name"),
    ],
)
def test_create_team_rejects_bad_input_with_field_errors(world, payload, field):
    response = client_for(world.member).post("/api/v1/teams/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_malformed_json_is_a_400_not_a_500(world):
    response = client_for(world.member).post(
        "/api/v1/teams/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_team_detail_for_member(world):
    response = client_for(world.billing).get("/api/v1/teams/acme/")
    assert response.status_code == 200
    assert response.json()["role"] == "billing"


def test_outsider_gets_404_for_another_team(world):
    assert client_for(world.outsider).get("/api/v1/teams/acme/").status_code == 404
    assert client_for(world.outsider).get("/api/v1/teams/acme/members/").status_code == 404


def test_another_teams_slug_and_an_unknown_slug_look_the_same(world):
    client = client_for(world.outsider)
    existing, missing = client.get("/api/v1/teams/acme/"), client.get("/api/v1/teams/no-such-team/")
    assert (existing.status_code, existing.json()) == (missing.status_code, missing.json())


# --- Members -----------------------------------------------------------------------------


def test_member_list_for_any_member(world):
    response = client_for(world.viewer).get("/api/v1/teams/acme/members/")
    assert response.status_code == 200
    emails = [m["user"]["email"] for m in response.json()["results"]]
    assert world.owner.email in emails
    assert world.outsider.email not in emails


def test_member_list_query_count_does_not_grow_with_members(world, django_assert_num_queries):
    client = client_for(world.member)
    small = count_queries(client, "/api/v1/teams/acme/members/")
    for _ in range(5):
        TeamMembershipFactory(team=world.team)
    with django_assert_num_queries(small):
        assert client.get("/api/v1/teams/acme/members/").json()["count"] == 12


def test_manager_changes_a_members_role(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.member).pk}/"
    response = client_for(world.manager).patch(url, {"role": "billing"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "billing"
    assert membership(world, world.member).role == "billing"


def test_member_cannot_change_roles(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.billing).pk}/"
    response = client_for(world.member).patch(url, {"role": "manager"}, format="json")
    assert response.status_code == 403
    assert membership(world, world.billing).role == "billing"


def test_manager_cannot_grant_owner(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.member).pk}/"
    response = client_for(world.manager).patch(url, {"role": "owner"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only owners can grant or take away the owner role."


def test_unknown_role_is_a_field_error(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.member).pk}/"
    response = client_for(world.owner).patch(url, {"role": "emperor"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()


def test_last_owner_cannot_demote_themselves(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.owner).pk}/"
    response = client_for(world.owner).patch(url, {"role": "member"}, format="json")
    assert response.status_code == 400
    assert "at least one owner" in response.json()["role"][0]


def test_outsider_cannot_touch_members_of_another_team(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.member).pk}/"
    client = client_for(world.outsider)
    assert client.patch(url, {"role": "owner"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404


def test_membership_of_another_team_is_404_under_my_team(world):
    foreign = TeamMembership.objects.get(team=world.other_team, user=world.outsider)
    url = f"/api/v1/teams/acme/members/{foreign.pk}/"
    assert client_for(world.owner).patch(url, {"role": "member"}, format="json").status_code == 404
    assert client_for(world.owner).delete(url).status_code == 404


def test_member_can_leave(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.member).pk}/"
    assert client_for(world.member).delete(url).status_code == 204
    assert not TeamMembership.objects.filter(team=world.team, user=world.member).exists()
    assert AuditEvent.objects.filter(action="member.left").exists()


def test_member_cannot_remove_someone_else(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.billing).pk}/"
    assert client_for(world.member).delete(url).status_code == 403
    assert TeamMembership.objects.filter(team=world.team, user=world.billing).exists()


def test_manager_removes_a_member(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.developer).pk}/"
    assert client_for(world.manager).delete(url).status_code == 204
    assert AuditEvent.objects.filter(action="member.removed").exists()


def test_manager_cannot_remove_an_owner(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.owner).pk}/"
    response = client_for(world.manager).delete(url)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only owners can remove an owner."
    assert membership(world, world.owner).role == "owner"


def test_last_owner_cannot_leave(world):
    url = f"/api/v1/teams/acme/members/{membership(world, world.owner).pk}/"
    response = client_for(world.owner).delete(url)
    assert response.status_code == 400
    assert "last owner" in response.json()["non_field_errors"][0]


# --- Ownership transfer ------------------------------------------------------------------


def test_owner_transfers_ownership(world):
    response = client_for(world.owner).post(
        "/api/v1/teams/acme/transfer-ownership/",
        {"member": membership(world, world.manager).pk},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["role"] == "manager"
    assert membership(world, world.manager).role == "owner"
    assert membership(world, world.owner).role == "manager"


def test_manager_cannot_transfer_ownership(world):
    response = client_for(world.manager).post(
        "/api/v1/teams/acme/transfer-ownership/",
        {"member": membership(world, world.member).pk},
        format="json",
    )
    assert response.status_code == 403


def test_outsider_cannot_transfer_ownership(world):
    response = client_for(world.outsider).post(
        "/api/v1/teams/acme/transfer-ownership/",
        {"member": membership(world, world.member).pk},
        format="json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize("payload", [{}, {"member": "abc"}, {"member": 999999}])
def test_transfer_needs_a_member_of_the_team(world, payload):
    response = client_for(world.owner).post("/api/v1/teams/acme/transfer-ownership/", payload, format="json")
    assert response.status_code == 400
    assert "member" in response.json()


def test_transfer_to_a_member_of_another_team_is_refused(world):
    foreign = TeamMembership.objects.get(team=world.other_team, user=world.outsider)
    response = client_for(world.owner).post(
        "/api/v1/teams/acme/transfer-ownership/", {"member": foreign.pk}, format="json"
    )
    assert response.status_code == 400
    assert membership(world, world.owner).role == "owner"


# --- Audit events ------------------------------------------------------------------------


def _make_some_history(world):
    manager = client_for(world.manager)
    manager.patch(
        f"/api/v1/teams/acme/members/{membership(world, world.member).pk}/",
        {"role": "billing"},
        format="json",
    )
    manager.post("/api/v1/namespaces/", {"team": "acme", "name": "acme-staging"}, format="json")
    client_for(world.owner).post("/api/v1/namespaces/", {"team": "acme", "name": "acme-prod"}, format="json")


def test_manager_reads_the_audit_log_filtered_by_action_prefix(world):
    _make_some_history(world)
    response = client_for(world.manager).get("/api/v1/teams/acme/audit-events/", {"action": "namespace."})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {e["target_repr"] for e in body["results"]} == {"acme-staging", "acme-prod"}


def test_audit_log_filters_by_actor(world):
    _make_some_history(world)
    response = client_for(world.owner).get("/api/v1/teams/acme/audit-events/", {"actor": "owner@"})
    assert [e["action"] for e in response.json()["results"]] == [
        "quota.allocation_initialized",
        "namespace.created",
    ]


def test_audit_log_is_paginated(world):
    _make_some_history(world)
    client = client_for(world.owner)
    first = client.get("/api/v1/teams/acme/audit-events/", {"page_size": 3}).json()
    assert first["count"] == 5  # a role change, then two namespaces created with their quota
    assert len(first["results"]) == 3
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert second["next"] is None


def test_audit_log_query_count_does_not_grow_with_events(world, django_assert_num_queries):
    client = client_for(world.owner)
    _make_some_history(world)
    small = count_queries(client, "/api/v1/teams/acme/audit-events/")
    AuditEvent.objects.bulk_create(
        AuditEvent(team=world.team, actor=world.owner, action="namespace.created", target_type="namespace")
        for _ in range(10)
    )
    with django_assert_num_queries(small):
        assert client.get("/api/v1/teams/acme/audit-events/").json()["count"] == 15


def test_member_cannot_read_the_audit_log(world):
    assert client_for(world.member).get("/api/v1/teams/acme/audit-events/").status_code == 403


def test_outsider_cannot_read_another_teams_audit_log(world):
    assert client_for(world.outsider).get("/api/v1/teams/acme/audit-events/").status_code == 404

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tenants.models import Invitation, NamespaceMembership, TeamMembership
from tenants.services.invitations import hash_invitation_token
from tests.api import client_for
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

RAW_TOKEN = "raw-invitation-token"


def invite(client, **payload):
    return client.post(
        "/api/v1/teams/acme/invitations/", {"email": "new@example.com", **payload}, format="json"
    )


# --- A team's invitations ----------------------------------------------------------------


def test_manager_invites_and_the_email_carries_a_working_link(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client_for(world.manager), team_role="member")
    assert response.status_code == 201
    assert response.json()["email"] == "new@example.com"
    assert response.json()["invited_by"] == world.manager.email
    (message,) = mail.outbox
    token = re.search(r"/invitations/([^/\s]+)/", message.body).group(1)
    assert Invitation.objects.get(pk=response.json()["id"]).token_hash == hash_invitation_token(token)


def test_invitation_into_a_namespace(world):
    response = invite(client_for(world.owner), namespace="acme-dev", namespace_role="developer")
    assert response.status_code == 201
    assert response.json()["namespace"] == "acme-dev"


def test_member_cannot_invite(world):
    assert invite(client_for(world.member)).status_code == 403
    assert not Invitation.objects.exists()


def test_manager_cannot_invite_an_owner(world):
    assert invite(client_for(world.manager), team_role="owner").status_code == 403


def test_outsider_cannot_invite_to_another_team(world):
    assert invite(client_for(world.outsider)).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "member@example.com"}, "email"),
        ({"team_role": "emperor"}, "team_role"),
        ({"namespace": "globex-prod", "namespace_role": "viewer"}, "namespace"),
        ({"namespace": "no-such-ns", "namespace_role": "viewer"}, "namespace"),
        ({"namespace": "acme-dev"}, "namespace_role"),
        ({"namespace": "acme-dev", "namespace_role": "root"}, "namespace_role"),
    ],
)
def test_invitation_create_rejects_bad_input(world, payload, field):
    response = invite(client_for(world.owner), **payload)
    assert response.status_code == 400
    assert field in response.json()


def test_second_invitation_for_the_same_address_is_refused(world):
    client = client_for(world.owner)
    assert invite(client).status_code == 201
    response = invite(client)
    assert response.status_code == 400
    assert "pending invitation" in response.json()["email"][0]


def test_pending_invitations_list(world):
    InvitationFactory(team=world.team, email="a@example.com")
    InvitationFactory(team=world.team, email="b@example.com", status="revoked")
    InvitationFactory(team=world.other_team, email="c@example.com")
    response = client_for(world.manager).get("/api/v1/teams/acme/invitations/")
    assert response.status_code == 200
    assert [i["email"] for i in response.json()["results"]] == ["a@example.com"]


def test_pending_invitations_hidden_from_members_and_outsiders(world):
    assert client_for(world.member).get("/api/v1/teams/acme/invitations/").status_code == 403
    assert client_for(world.outsider).get("/api/v1/teams/acme/invitations/").status_code == 404


def test_invitation_list_query_count_does_not_grow(world, django_assert_num_queries):
    client = client_for(world.owner)
    InvitationFactory(team=world.team, invited_by=world.owner, namespace=world.namespace)
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/teams/acme/invitations/")
    for _ in range(5):
        InvitationFactory(team=world.team, invited_by=world.manager, namespace=world.namespace)
    with django_assert_num_queries(len(small)):
        assert client.get("/api/v1/teams/acme/invitations/").json()["count"] == 6


def test_manager_revokes_an_invitation(world):
    invitation = InvitationFactory(team=world.team)
    url = f"/api/v1/teams/acme/invitations/{invitation.pk}/revoke/"
    response = client_for(world.manager).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    again = client_for(world.manager).post(url)
    assert again.status_code == 400
    assert "already revoked" in again.json()["non_field_errors"][0]


def test_member_cannot_revoke_or_resend(world):
    invitation = InvitationFactory(team=world.team)
    client = client_for(world.member)
    assert client.post(f"/api/v1/teams/acme/invitations/{invitation.pk}/revoke/").status_code == 403
    assert client.post(f"/api/v1/teams/acme/invitations/{invitation.pk}/resend/").status_code == 403


def test_outsider_cannot_revoke_or_resend(world):
    invitation = InvitationFactory(team=world.team)
    client = client_for(world.outsider)
    assert client.post(f"/api/v1/teams/acme/invitations/{invitation.pk}/revoke/").status_code == 404
    assert client.post(f"/api/v1/teams/acme/invitations/{invitation.pk}/resend/").status_code == 404


def test_invitation_of_another_team_is_404_under_my_team(world):
    invitation = InvitationFactory(team=world.other_team)
    client = client_for(world.owner)
    assert client.post(f"/api/v1/teams/acme/invitations/{invitation.pk}/revoke/").status_code == 404
    assert client.post(f"/api/v1/teams/acme/invitations/{invitation.pk}/resend/").status_code == 404


def test_resend_replaces_the_link_and_restarts_the_clock(world, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(team=world.team, expires_at=timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.manager).post(f"/api/v1/teams/acme/invitations/{invitation.pk}/resend/")
    assert response.status_code == 200
    old_hash = invitation.token_hash
    invitation.refresh_from_db()
    assert invitation.token_hash != old_hash
    assert invitation.expires_at > timezone.now() + timedelta(days=1)
    assert len(mail.outbox) == 1


# --- The invitee's side ------------------------------------------------------------------


@pytest.fixture
def invitee(world):
    return UserFactory(username="newcomer")


@pytest.fixture
def invitation(world, invitee):
    return InvitationFactory(
        team=world.team,
        email=invitee.email,
        team_role="member",
        namespace=world.namespace,
        namespace_role="viewer",
        token_hash=hash_invitation_token(RAW_TOKEN),
    )


def accept(user, token=RAW_TOKEN):
    return client_for(user).post("/api/v1/invitations/accept/", {"token": token}, format="json")


def test_invitee_sees_their_pending_invitations(world, invitee, invitation):
    InvitationFactory(team=world.other_team, email="someone-else@example.com")
    response = client_for(invitee).get("/api/v1/invitations/mine/")
    assert response.status_code == 200
    assert [(i["id"], i["team"]["slug"]) for i in response.json()["results"]] == [(invitation.pk, "acme")]
    assert client_for(world.outsider).get("/api/v1/invitations/mine/").json()["count"] == 0


def test_invitee_accepts_and_joins_team_and_namespace(world, invitee, invitation):
    response = accept(invitee)
    assert response.status_code == 200
    assert response.json() == {"slug": "acme", "name": "Acme", "role": "member"}
    assert TeamMembership.objects.filter(team=world.team, user=invitee, role="member").exists()
    assert NamespaceMembership.objects.filter(namespace=world.namespace, user=invitee, role="viewer").exists()
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert accept(invitee).json()["token"] == ["This invitation has already been used."]


def test_someone_else_cannot_accept_an_invitation(world, invitation):
    response = accept(world.outsider)
    assert response.status_code == 400
    assert "Sign in with that address" in response.json()["non_field_errors"][0]
    assert not TeamMembership.objects.filter(team=world.team, user=world.outsider).exists()


def test_expired_invitation_cannot_be_accepted(world, invitee, invitation):
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1)):
        response = accept(invitee)
    assert response.status_code == 400
    assert "expired" in response.json()["token"][0]


@pytest.mark.parametrize("payload", [{}, {"token": ""}, {"token": "garbage"}])
def test_accept_needs_a_valid_token(world, invitee, invitation, payload):
    response = client_for(invitee).post("/api/v1/invitations/accept/", payload, format="json")
    assert response.status_code == 400
    assert "token" in response.json()


def test_anonymous_cannot_accept(world, invitation):
    response = APIClient().post("/api/v1/invitations/accept/", {"token": RAW_TOKEN}, format="json")
    assert response.status_code == 401

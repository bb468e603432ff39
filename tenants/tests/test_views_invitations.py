from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tenants.models import Invitation, InvitationStatus, NamespaceMembership, Team, TeamMembership, TeamRole
from tenants.services.invitations import hash_invitation_token
from tenants.views.invitations import SESSION_INVITATION_TOKEN
from tests.factories import PASSWORD, InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

RAW = "raw-token-for-tests"


@pytest.fixture
def invitation(world):
    return InvitationFactory(
        team=world.team,
        email="newbie@example.com",
        invited_by=world.manager,
        namespace=world.namespace,
        namespace_role="developer",
        token_hash=hash_invitation_token(RAW),
    )


def _accept_url():
    return reverse("invitation_accept", args=[RAW])


# --- Managing invitations from the team page ---------------------------------------------------


def _team_urls(invitation):
    return {
        "invitation_create": reverse("invitation_create", args=["acme"]),
        "invitation_revoke": reverse("invitation_revoke", args=["acme", invitation.pk]),
        "invitation_resend": reverse("invitation_resend", args=["acme", invitation.pk]),
    }


@pytest.mark.parametrize("name", ["invitation_create", "invitation_revoke", "invitation_resend"])
def test_anonymous_is_sent_to_login(client, invitation, name):
    response = client.post(_team_urls(invitation)[name])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["invitation_create", "invitation_revoke", "invitation_resend"])
def test_outsider_gets_404(client, world, invitation, name):
    client.force_login(world.outsider)
    assert client.post(_team_urls(invitation)[name], {"email": "x@example.com"}).status_code == 404


@pytest.mark.parametrize("name", ["invitation_create", "invitation_revoke", "invitation_resend"])
@pytest.mark.parametrize("persona", ["member", "billing", "ns_admin"])
def test_members_lacking_the_role_get_403(client, world, invitation, name, persona):
    client.force_login(getattr(world, persona))
    assert client.post(_team_urls(invitation)[name], {"email": "x@example.com"}).status_code == 403


def test_invitation_of_another_team_is_404_under_my_team(client, world):
    foreign = InvitationFactory(team=world.other_team)
    client.force_login(world.owner)
    assert client.get(reverse("invitation_revoke", args=["acme", foreign.pk])).status_code == 404


def test_manager_invites_by_email_and_the_email_goes_out(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invitation_create", args=["acme"]),
            {
                "email": "new@example.com",
                "team_role": "member",
                "namespace": world.namespace.pk,
                "namespace_role": "viewer",
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new@example.com")
    assert (invitation.namespace, invitation.namespace_role) == (world.namespace, "viewer")
    assert mail.outbox[-1].to == ["new@example.com"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"email": "not-an-email", "team_role": "member"}, "Enter a valid email address."),
        ({"email": "member@example.com", "team_role": "member"}, "is already a member of Acme"),
        ({"email": "newbie@example.com", "team_role": "member"}, "already has a pending invitation"),
        ({"email": "x@example.com", "team_role": "owner"}, "Select a valid choice"),
        ({"email": "x@example.com", "team_role": "member", "namespace": "999999"}, "Select a valid choice"),
        (
            {"email": "x@example.com", "team_role": "member", "namespace": "NS"},
            "Choose the role in the namespace.",
        ),
    ],
)
def test_invite_form_errors_rerender_with_field_errors(client, world, invitation, data, error):
    data = {
        **data,
        "namespace": world.namespace.pk if data.get("namespace") == "NS" else data.get("namespace", ""),
    }
    client.force_login(world.manager)  # managers cannot invite owners
    response = client.post(reverse("invitation_create", args=["acme"]), data)
    assert response.status_code == 200
    assert error in response.content.decode()


def test_invite_with_htmx_returns_only_the_form_on_error(client, world):
    client.force_login(world.owner)
    response = client.post(
        reverse("invitation_create", args=["acme"]),
        {"email": "nope"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="invite-form",
    )
    assert response.content.decode().lstrip().startswith('<form id="invite-form"')


def test_team_page_lists_pending_invitations_for_managers(client, world, invitation):
    client.force_login(world.manager)
    body = client.get("/teams/acme/").content.decode()
    assert "newbie@example.com" in body
    assert reverse("invitation_revoke", args=["acme", invitation.pk]) in body


def test_revoke_confirms_then_revokes(client, world, invitation):
    client.force_login(world.manager)
    url = reverse("invitation_revoke", args=["acme", invitation.pk])
    assert "Revoke invitation" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED


def test_revoking_twice_shows_the_reason(client, world, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.REVOKED)
    client.force_login(world.manager)
    response = client.post(reverse("invitation_revoke", args=["acme", invitation.pk]))
    assert response.status_code == 200
    assert "already revoked" in response.content.decode()


def test_resend_sends_a_new_link(client, world, invitation, django_capture_on_commit_callbacks):
    client.force_login(world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("invitation_resend", args=["acme", invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.token_hash != hash_invitation_token(RAW)
    assert mail.outbox[-1].to == ["newbie@example.com"]


def test_resend_is_post_only(client, world, invitation):
    client.force_login(world.manager)
    assert client.get(reverse("invitation_resend", args=["acme", invitation.pk])).status_code == 405


# --- The accept page -------------------------------------------------------------------------


def test_anonymous_visitor_sees_the_invitation_and_how_to_continue(client, invitation):
    body = client.get(_accept_url()).content.decode()
    assert "Acme" in body
    assert "manager@example.com" in body
    assert "Developer in namespace <code>acme-dev</code>" in body
    assert reverse("invitation_signup", args=[RAW]) in body
    assert f"{reverse('account_login')}?next=%2Finvitations%2F{RAW}%2F" in body


def test_invalid_token_explains_the_problem(client, db):
    body = client.get(reverse("invitation_accept", args=["nope"])).content.decode()
    assert "This invitation link is not valid." in body


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (InvitationStatus.ACCEPTED, "This invitation has already been used."),
        (InvitationStatus.REVOKED, "This invitation was revoked."),
        (InvitationStatus.EXPIRED, "This invitation has expired."),
    ],
)
def test_unusable_invitations_explain_the_problem(client, invitation, status, problem):
    Invitation.objects.filter(pk=invitation.pk).update(status=status)
    body = client.get(_accept_url()).content.decode()
    assert problem in body
    assert reverse("invitation_signup", args=[RAW]) not in body


def test_invitation_past_its_expiry_cannot_be_accepted(client, invitation):
    user = UserFactory(username="newbie")
    client.force_login(user)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(_accept_url())
    assert "This invitation has expired." in response.content.decode()
    assert not TeamMembership.objects.filter(user=user).exists()


def test_signed_in_with_another_email_is_told_which_address_to_use(client, world, invitation):
    client.force_login(world.outsider)
    response = client.post(_accept_url())
    assert response.status_code == 200
    assert "This invitation is for newbie@example.com" in response.content.decode()
    assert not TeamMembership.objects.filter(team=world.team, user=world.outsider).exists()


def test_invitee_accepts_with_post_and_joins_team_and_namespace(client, world, invitation):
    user = UserFactory(username="newbie")
    client.force_login(user)
    assert "Accept invitation" in client.get(_accept_url()).content.decode()
    response = client.post(_accept_url())
    assert response.status_code == 302
    assert response["Location"] == "/teams/acme/"
    assert TeamMembership.objects.get(team=world.team, user=user).role == TeamRole.MEMBER
    assert NamespaceMembership.objects.get(namespace=world.namespace, user=user).role == "developer"


def test_invitee_with_unverified_address_cannot_accept(client, invitation):
    user = UserFactory(username="newbie", verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False)
    client.force_login(user)
    response = client.post(_accept_url())
    assert "(verified)" in response.content.decode()
    assert not TeamMembership.objects.filter(user=user).exists()


def test_decline_from_the_link_declines_it(client, invitation):
    response = client.post(reverse("invitation_decline", args=[RAW]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED


def test_decline_is_post_only(client, invitation):
    assert client.get(reverse("invitation_decline", args=[RAW])).status_code == 405


def test_signup_from_the_link_verifies_the_invited_email_and_returns_to_the_invitation(
    client, world, invitation
):
    response = client.get(reverse("invitation_signup", args=[RAW]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_signup"))
    assert client.session[SESSION_INVITATION_TOKEN] == RAW
    form = client.get(response["Location"]).content.decode()
    assert 'value="newbie@example.com"' in form
    response = client.post(
        response["Location"],
        {"email": "newbie@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == _accept_url()
    user = get_user_model().objects.get(email="newbie@example.com")
    assert EmailAddress.objects.get(user=user).verified
    # Verified by the link, so the account gets its personal team at once.
    assert Team.objects.filter(is_personal=True, memberships__user=user).count() == 1
    assert client.post(_accept_url()).status_code == 302
    assert TeamMembership.objects.filter(team=world.team, user=user).exists()
    assert SESSION_INVITATION_TOKEN not in client.session


def test_login_after_visiting_the_signup_link_returns_to_the_invitation(client, invitation):
    UserFactory(username="newbie")
    client.get(reverse("invitation_signup", args=[RAW]))
    response = client.post(reverse("account_login"), {"login": "newbie@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == _accept_url()


def test_signup_link_for_an_unusable_invitation_goes_back_to_the_problem(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.REVOKED)
    response = client.get(reverse("invitation_signup", args=[RAW]))
    assert response["Location"] == _accept_url()
    assert "account_verified_email" not in client.session


# --- Invitations on the dashboard ------------------------------------------------------------


def test_dashboard_accept_joins_the_team(client, world, invitation):
    user = UserFactory(username="newbie")
    client.force_login(user)
    response = client.post(reverse("my_invitation_accept", args=[invitation.pk]))
    assert response["Location"] == "/teams/acme/"
    assert TeamMembership.objects.filter(team=world.team, user=user).exists()


def test_dashboard_accept_with_htmx_redirects_the_client(client, invitation):
    client.force_login(UserFactory(username="newbie"))
    response = client.post(reverse("my_invitation_accept", args=[invitation.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/teams/acme/"


@pytest.mark.parametrize("name", ["my_invitation_accept", "my_invitation_decline"])
def test_someone_elses_invitation_is_404(client, world, invitation, name):
    client.force_login(world.outsider)
    assert client.post(reverse(name, args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.parametrize("name", ["my_invitation_accept", "my_invitation_decline"])
def test_anonymous_dashboard_actions_are_sent_to_login(client, invitation, name):
    response = client.post(reverse(name, args=[invitation.pk]))
    assert response["Location"].startswith(reverse("account_login"))


def test_dashboard_decline_with_htmx_returns_the_invitations_section(client, invitation):
    client.force_login(UserFactory(username="newbie"))
    response = client.post(
        reverse("my_invitation_decline", args=[invitation.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="my-invitations",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="my-invitations"')
    assert "You declined the invitation to Acme." in body
    assert "No invitations waiting." in body


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_the_team_pages_invitations_part_is_drawn_only_for_those_who_manage_members(client, world, persona):
    """An htmx request for the invitations' part by someone the page does not show them to gets
    the page without them, not an empty list with an invite button."""
    InvitationFactory(team=world.team, email="pending@example.com", invited_by=world.owner)
    client.force_login(getattr(world, persona))
    body = client.get(
        reverse("team_detail", args=["acme"]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="invitations"
    ).content.decode()
    assert 'id="invitations"' not in body and "Invite someone" not in body
    client.force_login(world.manager)
    body = client.get(
        reverse("team_detail", args=["acme"]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="invitations"
    ).content.decode()
    assert body.lstrip().startswith('<section id="invitations"') and "pending@example.com" in body

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tenants.models import Namespace, NamespaceStatus, TeamMembership
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_dashboard_shows_my_teams_and_namespaces_with_status(client, world):
    Namespace.objects.filter(pk=world.namespace.pk).update(status=NamespaceStatus.READY)
    client.force_login(world.developer)
    body = client.get("/").content.decode()
    assert "Acme" in body
    assert "acme-dev" in body
    assert 'class="badge badge-ready"' in body
    assert "Globex" not in body
    assert "globex-prod" not in body


def test_dashboard_lists_invitations_to_my_verified_addresses_only(client, world):
    user = UserFactory(username="invitee")
    EmailAddress.objects.create(user=user, email="second@example.com", verified=False)
    InvitationFactory(team=world.team, email="INVITEE@example.com")
    InvitationFactory(team=world.other_team, email="second@example.com")
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "Acme" in body
    assert "Globex" not in body
    assert "Accept" in body


def test_first_run_dashboard_says_what_to_do_first(client, world):
    TeamMembership.objects.filter(user=world.member).delete()
    client.force_login(world.member)
    body = client.get("/").content.decode()
    assert 'id="first-run"' in body
    assert "Create a team" in body
    assert 'href="/access/"' in body
    assert 'id="near-limits"' not in body  # nothing to watch yet


def test_first_run_dashboard_still_shows_invitations(client, world):
    TeamMembership.objects.filter(user=world.member).delete()
    InvitationFactory(team=world.other_team, email=world.member.email)
    client.force_login(world.member)
    body = client.get("/").content.decode()
    assert 'id="first-run"' in body
    assert 'id="my-invitations"' in body


def test_dashboard_empty_states_say_what_to_do_next(client, world):
    client.force_login(world.member)
    body = client.get("/").content.decode()
    assert 'id="first-run"' not in body
    assert "No namespaces yet." in body
    assert "comfortably within its quota" in body
    assert "Nothing to decide" in body


def test_dashboard_serves_its_sections_as_htmx_partials(client, world):
    client.force_login(world.owner)
    body = client.get("/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="my-namespaces").content.decode()
    assert body.lstrip().startswith('<section id="my-namespaces"')

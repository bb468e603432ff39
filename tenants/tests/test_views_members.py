import pytest
from django.urls import reverse

from tenants.models import TeamMembership, TeamRole

pytestmark = pytest.mark.django_db


def _membership(world, persona):
    return TeamMembership.objects.get(team=world.team, user=getattr(world, persona))


@pytest.mark.parametrize("name", ["member_role", "member_remove"])
def test_anonymous_is_sent_to_login(client, world, name):
    response = client.get(reverse(name, args=["acme", _membership(world, "member").pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["member_role", "member_remove"])
def test_outsider_gets_404(client, world, name):
    client.force_login(world.outsider)
    url = reverse(name, args=["acme", _membership(world, "member").pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"role": "owner"}).status_code == 404


@pytest.mark.parametrize("name", ["member_role", "member_remove"])
def test_membership_of_another_team_is_404_under_my_team(client, world, name):
    foreign = TeamMembership.objects.get(team=world.other_team, user=world.outsider)
    client.force_login(world.owner)
    assert client.get(reverse(name, args=["acme", foreign.pk])).status_code == 404


@pytest.mark.parametrize("name", ["member_role", "member_remove"])
@pytest.mark.parametrize("persona", ["member", "billing", "ns_admin"])
def test_members_without_manage_role_get_403(client, world, name, persona):
    client.force_login(getattr(world, persona))
    url = reverse(name, args=["acme", _membership(world, "developer").pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"role": "manager"}).status_code == 403


def test_change_role_confirm_page_works_without_javascript(client, world):
    membership = _membership(world, "member")
    url = reverse("member_role", args=["acme", membership.pk])
    client.force_login(world.manager)
    confirm = client.get(url, {"role": "billing"})
    assert confirm.status_code == 200
    assert '<option value="billing" selected>' in confirm.content.decode()
    response = client.post(url, {"role": "billing"})
    assert response.status_code == 302
    assert TeamMembership.objects.get(pk=membership.pk).role == TeamRole.BILLING


def test_change_role_with_htmx_returns_the_members_row(client, world):
    membership = _membership(world, "member")
    client.force_login(world.owner)
    response = client.post(
        reverse("member_role", args=["acme", membership.pk]),
        {"role": "manager"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"member-row-{membership.pk}",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="member-row-{membership.pk}"')
    assert "Role changed to Manager." in body
    assert TeamMembership.objects.get(pk=membership.pk).role == TeamRole.MANAGER


def test_demoting_the_last_owner_shows_the_reason_not_a_500(client, world):
    TeamMembership.objects.filter(team=world.team, role=TeamRole.OWNER).exclude(user=world.owner).delete()
    membership = _membership(world, "owner")
    client.force_login(world.owner)
    response = client.post(reverse("member_role", args=["acme", membership.pk]), {"role": "member"})
    assert response.status_code == 200
    assert "A team needs at least one owner" in response.content.decode()
    assert TeamMembership.objects.get(pk=membership.pk).role == TeamRole.OWNER


def test_demoting_the_last_owner_with_htmx_shows_the_error_in_the_row(client, world):
    membership = _membership(world, "owner")
    client.force_login(world.owner)
    response = client.post(
        reverse("member_role", args=["acme", membership.pk]), {"role": "member"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "at least one owner" in response.content.decode()


def test_manager_cannot_grant_owner(client, world):
    membership = _membership(world, "member")
    client.force_login(world.manager)
    response = client.post(reverse("member_role", args=["acme", membership.pk]), {"role": "owner"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert TeamMembership.objects.get(pk=membership.pk).role == TeamRole.MEMBER


def test_remove_member_confirms_then_removes(client, world):
    membership = _membership(world, "developer")
    url = reverse("member_remove", args=["acme", membership.pk])
    client.force_login(world.manager)
    assert "Remove member" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not TeamMembership.objects.filter(pk=membership.pk).exists()
    assert not world.developer.namespace_memberships.exists()


def test_manager_cannot_remove_an_owner_and_sees_why(client, world):
    membership = _membership(world, "owner")
    client.force_login(world.manager)
    response = client.post(reverse("member_remove", args=["acme", membership.pk]))
    assert response.status_code == 200
    assert "Only owners can remove an owner." in response.content.decode()
    assert TeamMembership.objects.filter(pk=membership.pk).exists()

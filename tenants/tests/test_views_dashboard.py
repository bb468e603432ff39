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


@pytest.mark.parametrize("persona", ["owner", "viewer", "member", "outsider", "admin", "finance", "wide"])
@pytest.mark.parametrize("page", [None, "2", "3", "99", "x"])
def test_dashboard_team_and_namespace_pages_are_the_restricted_querysets_pages(
    client, world, settings, persona, page
):
    """The pages are read through queries compiled per shape of the user's scope: the rows,
    their order and the totals are those of the restricted querysets, page by page, a page
    past the end included (the last page, found from the queryset)."""
    from django.test import RequestFactory

    from console.dashboard import NAMESPACE_FIELDS, TEAM_FIELDS
    from core.pages import paginate
    from tenants import selectors
    from tests.factories import (
        NamespaceFactory,
        NamespaceMembershipFactory,
        TeamFactory,
        TeamMembershipFactory,
    )

    settings.TENANTRY_PAGE_SIZE = 4
    for n in range(9):
        NamespaceFactory(team=world.team, name=f"acme-{n:02d}")
    NamespaceFactory(team=world.team, name="acme-gone", status=NamespaceStatus.DELETED)
    if persona == "wide":  # three teams of their own, a namespace role in one, and one outside them
        user = UserFactory(username="wide")
        for n in range(3):
            team = TeamFactory(name=f"Extra {n}", slug=f"extra-{n}")
            TeamMembershipFactory(team=team, user=user, role="owner" if n else "member")
            for m in range(3):
                namespace = NamespaceFactory(team=team, name=f"extra-{n}-{m}")
                if n == 0 and m == 0:
                    NamespaceMembershipFactory(namespace=namespace, user=user, role="viewer")
        NamespaceMembershipFactory(namespace=world.other_namespace, user=user, role="viewer")
    else:
        user = getattr(world, persona)
    query = {} if page is None else {"teams_page": page, "namespaces_page": page}
    client.force_login(user)
    response = client.get("/", query)
    assert response.status_code == 200
    request = RequestFactory().get("/", query)
    for key, queryset, param in (
        ("teams", selectors.teams_for_user(user=user).values(*TEAM_FIELDS), "teams_page"),
        ("namespaces", selectors.namespaces_for_user(user=user).values(*NAMESPACE_FIELDS), "namespaces_page"),
    ):
        expected = paginate(request, queryset, param=param)
        shown = response.context[key]
        assert list(shown.object_list) == list(expected.object_list), key
        assert (shown.number, shown.paginator.count) == (expected.number, expected.paginator.count), key
    if persona == "wide":
        names = list(selectors.namespaces_for_user(user=user).values_list("name", flat=True))
        assert names == [
            "extra-0-0",
            "extra-1-0",
            "extra-1-1",
            "extra-1-2",
            "extra-2-0",
            "extra-2-1",
            "extra-2-2",
        ]

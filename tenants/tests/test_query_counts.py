"""Page query counts stay flat as teams grow: no per-row queries on the busiest pages."""

import pytest

from tests.factories import (
    InvitationFactory,
    NamespaceFactory,
    NamespaceMembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 30


def _grow(world, size: int) -> None:
    """Add ``size`` of everything: Acme members (in acme-dev too), namespaces and invitations, and
    other teams of the owner and invitations to the owner."""
    for n in range(size):
        user = UserFactory(username=f"grow{n}")
        TeamMembershipFactory(team=world.team, user=user, role="member")
        NamespaceMembershipFactory(namespace=world.namespace, user=user, role="viewer")
        NamespaceFactory(team=world.team, name=f"acme-grow-{n}")
        InvitationFactory(
            team=world.team, invited_by=world.owner, namespace=world.namespace, namespace_role="viewer"
        )
        InvitationFactory(team=world.team, email=f"owner+{n}@example.com")
        TeamMembershipFactory(team=TeamFactory(name=f"Grow {n}"), user=world.owner, role="manager")
        InvitationFactory(team=TeamFactory(), email=world.owner.email, invited_by=user, namespace=None)


@pytest.fixture(autouse=True)
def _big_pages(settings):
    settings.TENANTRY_PAGE_SIZE = 100  # every row lands on one page, so per-row queries would show


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_dashboard_queries_do_not_grow_with_teams_and_namespaces(
    client, world, django_assert_num_queries, size
):
    _grow(world, size)
    client.force_login(world.owner)
    # +1 finance group lookup for the navigation, +1 the user's roles (which every list is chosen
    # by), +4 near-limit, quota-request and notice widgets; teams and namespaces each a page and
    # its total in one query, invitations counted first
    with django_assert_num_queries(12):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_team_page_queries_do_not_grow_with_members_namespaces_and_invitations(
    client, world, django_assert_num_queries, size
):
    _grow(world, size)
    client.force_login(world.owner)
    # +1: finance group lookup for the navigation; the counts of members, namespaces and
    # invitations come with the team
    with django_assert_num_queries(8):
        assert client.get("/teams/acme/").status_code == 200


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_namespace_page_queries_do_not_grow_with_members(client, world, django_assert_num_queries, size):
    _grow(world, size)
    client.force_login(world.manager)
    # session, user, the namespace with its quota and cluster state, the roles, the runtime
    # catalog, the routes, the finance group lookup for the navigation
    with django_assert_num_queries(7):
        assert client.get("/namespaces/acme-dev/").status_code == 200

"""The roles behind every permission question: loaded once per user, team and namespace roles
together."""

import pytest

from tenants import permissions
from tests.factories import NamespaceFactory, NamespaceMembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_team_and_namespace_roles_are_loaded_in_one_query(world, django_assert_num_queries):
    prod = NamespaceFactory(team=world.team, name="acme-prod")
    NamespaceMembershipFactory(namespace=prod, user=world.developer, role="viewer")
    with django_assert_num_queries(1):
        assert permissions.team_role(world.developer, world.team) == "member"
        assert permissions.team_role(world.developer, world.other_team) is None
        assert permissions.namespace_role(world.developer, world.namespace) == "developer"
        assert permissions.namespace_role(world.developer, prod) == "viewer"
        assert permissions.namespace_role(world.developer, world.other_namespace) is None


def test_a_namespace_role_is_never_read_as_a_team_role_of_the_same_id(world):
    """The kinds share one query; a namespace id equal to a team's id does not grant that team."""
    team = TeamFactory(id=9001, name="Initech")
    namespace = NamespaceFactory(id=9001, team=world.team, name="acme-same-id")
    NamespaceMembershipFactory(namespace=namespace, user=world.viewer, role="admin")
    assert permissions.team_role(world.viewer, team) is None
    assert not permissions.can_see_team(world.viewer, team)
    assert permissions.namespace_role(world.viewer, namespace) == "admin"
    assert permissions.team_role(world.viewer, world.team) == "member"


def test_forgotten_roles_are_loaded_again_both_kinds(world, django_assert_num_queries):
    assert permissions.namespace_role(world.viewer, world.namespace) == "viewer"
    world.viewer.namespace_memberships.update(role="developer")
    world.viewer.team_memberships.update(role="billing")
    assert permissions.namespace_role(world.viewer, world.namespace) == "viewer"  # cached
    permissions.forget_roles(world.viewer)
    with django_assert_num_queries(1):
        assert permissions.team_role(world.viewer, world.team) == "billing"
        assert permissions.namespace_role(world.viewer, world.namespace) == "developer"


def test_restrict_reaches_administered_teams_and_own_memberships_in_teams_still_joined(world):
    from tenants.models import Namespace

    prod = NamespaceFactory(team=world.team, name="acme-prod")
    NamespaceMembershipFactory(namespace=world.other_namespace, user=world.viewer, role="admin")

    def visible(user):
        live = Namespace.objects.live()
        return sorted(
            permissions.restrict(live, user, permissions.VIEW_NAMESPACE).values_list("name", flat=True)
        )

    assert visible(world.owner) == ["acme-dev", "acme-prod"]
    assert visible(world.manager) == ["acme-dev", "acme-prod"]
    # Their own namespace, not the other one of the team, nor one of a team they are not in.
    assert visible(world.viewer) == ["acme-dev"]
    assert visible(world.member) == []
    assert visible(world.outsider) == ["globex-prod"]
    assert (
        sorted(
            permissions.restrict(
                Namespace.objects.live(), world.viewer, permissions.ADMIN_NAMESPACE
            ).values_list("name", flat=True)
        )
        == []
    )
    assert prod.name not in visible(world.developer)

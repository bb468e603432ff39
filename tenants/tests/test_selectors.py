"""Selectors return what the permission module's ``restrict`` lets a user see."""

import pytest

from tenants import selectors
from tenants.models import NamespaceStatus
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("owner", "manager", "member", "billing", "ns_admin", "developer", "viewer", "outsider", "admin")


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_teams_namespaces_for_a_user_are_the_restricted_ones_of_that_team(world, persona):
    NamespaceFactory(team=world.team, name="acme-prod")
    NamespaceFactory(team=world.team, name="acme-gone", status=NamespaceStatus.DELETED)
    user = getattr(world, persona)
    for team in (world.team, world.other_team):
        expected = [ns.name for ns in selectors.namespaces_for_user(user=user).filter(team=team)]
        assert [ns.name for ns in selectors.team_namespaces_for_user(user=user, team=team)] == expected
    if persona in ("owner", "manager"):
        names = selectors.team_namespaces_for_user(user=user, team=world.team).values_list("name", flat=True)
        assert list(names) == ["acme-dev", "acme-prod"]

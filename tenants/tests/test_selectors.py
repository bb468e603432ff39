"""Selectors return what the permission module's ``restrict`` lets a user see."""

import pytest
from django.http import Http404

from tenants import selectors
from tenants.models import Namespace, NamespaceStatus
from tests.factories import NamespaceFactory, TeamFactory

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


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_team_pages_counts_are_the_listed_rows(world, persona):
    """The team page's counts, read with the team (``team_for_user(counted=True)``, compiled once
    per process), are how many rows its lists hold, for each team in turn and a team with none:
    members, live namespaces, pending invitations not yet expired (by the database's clock).
    For those who see only some namespaces, no namespace count is claimed (the page counts
    what they may see)."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import InvitationFactory

    NamespaceFactory(team=world.team, name="acme-prod")
    NamespaceFactory(team=world.team, name="acme-gone", status=NamespaceStatus.DELETED)
    NamespaceFactory(team=world.other_team, name="globex-dev")
    for _ in range(3):
        InvitationFactory(team=world.team)
    InvitationFactory(team=world.team, expires_at=timezone.now() - timedelta(minutes=1))  # expired
    InvitationFactory(team=world.team, status="revoked")
    InvitationFactory(team=world.other_team)
    user = getattr(world, persona)
    for team in (world.team, world.other_team, TeamFactory(), world.team):
        counted = selectors._team_lookup((), True).all(team.slug)[0]
        assert counted == team
        assert counted.counted_members == selectors.team_members(team=team).count()
        assert counted.counted_live_namespaces == Namespace.objects.live().filter(team=team).count()
        assert counted.counted_pending_invitations == selectors.team_pending_invitations(team=team).count()
        _, count = selectors.team_namespace_rows_for_user(user=user, team=counted, fields=("name",))
        admin_of_acme = team == world.team and persona in ("owner", "manager")
        admin_of_globex = team == world.other_team and persona == "outsider"  # its owner
        if admin_of_acme or admin_of_globex:
            assert count == selectors.team_namespaces_for_user(user=user, team=team).count() == 2
        else:
            assert count is None
    if persona in ("owner", "manager", "member", "billing", "ns_admin", "developer", "viewer"):
        acme = selectors.team_for_user(user=user, slug="acme", counted=True)
        assert (acme.counted_members, acme.counted_live_namespaces, acme.counted_pending_invitations) == (
            7,
            2,
            3,
        )
    other = selectors._team_lookup((), True).all("globex")[0]
    assert (other.counted_members, other.counted_live_namespaces, other.counted_pending_invitations) == (
        1,
        2,
        1,
    )


def test_the_team_pages_pending_invitations_are_the_querysets(world):
    """The team page's page of pending invitations (compiled once per process): each team its
    own, not expired, newest first, with their namespaces and inviters, for any page."""
    from datetime import timedelta

    from django.utils import timezone

    from tenants.models import Invitation
    from tests.factories import InvitationFactory

    now = timezone.now()
    for n in range(5):
        invitation = InvitationFactory(
            team=world.team, namespace=world.namespace if n % 2 else None, invited_by=world.owner
        )
        Invitation.objects.filter(pk=invitation.pk).update(created_at=now - timedelta(hours=n))
    InvitationFactory(team=world.team, invited_by=None)
    InvitationFactory(team=world.team, expires_at=now - timedelta(minutes=1))  # expired
    InvitationFactory(team=world.team, status="revoked")
    InvitationFactory(team=world.other_team)
    fields = ("pk", "email", "namespace", "invited_by", "expires_at", "team_role", "namespace_role")

    def facts(invitations):
        return [tuple(getattr(i, f) for f in fields) for i in invitations]

    for team in (world.other_team, world.team, TeamFactory()):
        pages = selectors.team_pending_invitation_pages(team=team)
        listed = selectors.team_pending_invitations(team=team)
        for window in (slice(0, 25), slice(0, 2), slice(2, 4), slice(6, 8)):
            assert facts(pages[window]) == facts(listed[window])
    found = selectors.team_pending_invitation_pages(team=world.team)[0:25]
    assert len(found) == 6
    assert {i.team_id for i in found} == {world.team.pk}
    assert any(i.namespace == world.namespace for i in found)
    assert any(i.invited_by is None for i in found)


def test_ids_are_padded_to_a_power_of_two_with_the_last_id_again():
    assert selectors._padded([]) == []
    assert selectors._padded([7]) == [7]
    assert selectors._padded([7, 3, 5]) == [7, 3, 5, 5]
    assert selectors._padded(list(range(1, 6))) == [1, 2, 3, 4, 5, 5, 5, 5]


@pytest.mark.parametrize("persona", [*PERSONAS, "wide", "granted_in_many"])
def test_a_scoped_query_reads_what_namespaces_for_user_restricts(world, persona):
    """Compiled once per shape of the scope, the visible namespaces are those of the
    queryset ``restrict`` builds: administered teams whole (three of them: padded to four),
    granted namespaces only in teams still joined, deleted ones never."""
    from tests.factories import NamespaceMembershipFactory, TeamFactory, TeamMembershipFactory, UserFactory

    NamespaceFactory(team=world.team, name="acme-prod")
    NamespaceFactory(team=world.team, name="acme-gone", status=NamespaceStatus.DELETED)
    extra = [TeamFactory(name=f"Extra {n}", slug=f"extra-{n}") for n in range(3)]
    extra_namespaces = [NamespaceFactory(team=team, name=f"extra-{n}") for n, team in enumerate(extra)]
    if persona == "wide":  # owner of three teams and a viewer of a namespace in a team not joined
        user = UserFactory(username="wide")
        for team in extra:
            TeamMembershipFactory(team=team, user=user, role="owner")
        NamespaceMembershipFactory(namespace=world.other_namespace, user=user, role="viewer")
    elif persona == "granted_in_many":  # granted namespaces in three teams, one of them left
        user = UserFactory(username="granted")
        for team, namespace in zip(extra, extra_namespaces, strict=True):
            TeamMembershipFactory(team=team, user=user, role="member")
            NamespaceMembershipFactory(namespace=namespace, user=user, role="viewer")
        NamespaceMembershipFactory(namespace=world.other_namespace, user=user, role="developer")
    else:
        user = getattr(world, persona)
    scoped = selectors.ScopedQuery(
        selectors.visible_namespace_ids,
        lambda id_lists: selectors.visible_namespaces(id_lists).order_by("name").values_list("name"),
    )
    expected = [ns.name for ns in selectors.namespaces_for_user(user=user)]
    found = scoped.for_user(user)
    if found is None:  # reaches none: the caller reads its own (empty) queryset
        assert expected == []
    else:
        query, ids = found
        assert [name for (name,) in query.rows(*ids)] == expected
        assert "acme-gone" not in expected
    if persona == "wide":
        assert expected == ["extra-0", "extra-1", "extra-2"]
    if persona == "granted_in_many":
        assert expected == ["extra-0", "extra-1", "extra-2"]


def test_a_users_pending_invitation_count_is_the_dashboards_listed_invitations(world):
    """Counted by the database's clock, compiled once per process: the pending invitations not
    yet expired to any of the user's verified addresses (in any case), each user their own."""
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from tests.factories import InvitationFactory, UserFactory

    now = timezone.now()
    invitee = UserFactory(username="invitee")
    EmailAddress.objects.create(user=invitee, email="second@example.com", verified=True)
    EmailAddress.objects.create(user=invitee, email="unverified@example.com", verified=False)
    InvitationFactory(team=world.team, email="INVITEE@example.com")
    InvitationFactory(team=world.other_team, email="second@example.com")
    InvitationFactory(team=world.team, email="unverified@example.com")
    InvitationFactory(team=TeamFactory(), email="invitee@example.com", expires_at=now - timedelta(minutes=1))
    InvitationFactory(team=TeamFactory(), email="invitee@example.com", status="revoked")
    InvitationFactory(team=world.team, email="owner@example.com")
    for _ in range(2):
        for user in (world.owner, invitee, world.outsider):
            listed = selectors.pending_invitations_for_user(user=user).count()
            assert selectors.pending_invitation_count_for_user(user=user) == listed
    assert selectors.pending_invitation_count_for_user(user=invitee) == 2
    assert selectors.pending_invitation_count_for_user(user=world.owner) == 1
    assert selectors.pending_invitation_count_for_user(user=world.outsider) == 0
    assert selectors.pending_invitation_count_for_user(user=AnonymousUser()) == 0


def test_live_namespaces_leave_out_the_deleted_with_the_status_written_in_the_sql(world):
    """``live()`` compares the status to the word the partial index ``uniq_live_namespace_name``
    writes, in the SQL itself: a parameter there has SQLite prepare the query on every run."""
    NamespaceFactory(team=world.team, name="acme-gone", status=NamespaceStatus.DELETED)
    NamespaceFactory(team=world.team, name="acme-stop", status=NamespaceStatus.TERMINATING)
    live = Namespace.objects.live().filter(team=world.team)
    assert sorted(live.values_list("name", flat=True)) == ["acme-dev", "acme-stop"]
    sql, params = live.filter(name="acme-dev").query.sql_with_params()
    assert "'deleted'" in sql and NamespaceStatus.DELETED not in params
    assert selectors.namespace_for_user(user=world.owner, name="acme-dev").name == "acme-dev"
    with pytest.raises(Http404):
        selectors.namespace_for_user(user=world.owner, name="acme-gone")

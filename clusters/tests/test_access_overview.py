"""The access page's reads (``access_overview``): SQL written out around the condition the ORM
compiles for the user's namespaces, checked here against the ORM's own answer, on SQLite and
PostgreSQL alike: the rows, their order, and who may see them."""

import pytest

from clusters.models import Cluster
from clusters.selectors import access_overview
from tenants.models import NamespaceStatus, TeamMembership
from tenants.permissions import forget_roles
from tenants.selectors import namespaces_for_user
from tests.factories import NamespaceFactory, NamespaceMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

COLUMNS = ("name", "display_name", "team__name", "cluster__name", "status")


@pytest.fixture
def spread(world):
    """Namespaces on two clusters (the second sorts first), of both teams, in every status, one
    with a display name that needs escaping; the developer holds roles in a few of them, one in
    the other team, which they do not belong to."""
    second = Cluster.objects.create(name="aaa-second", kubeconfig_path="/nonexistent/kubeconfig")
    made = []
    for n, status in enumerate(NamespaceStatus.values * 2):
        made.append(
            NamespaceFactory(
                team=world.team if n % 3 else world.other_team,
                name=f"ns-{n:02d}",
                display_name=f"<b>{n}</b> & co" if n % 4 == 1 else "",
                status=status,
                **({"cluster": second} if n % 2 else {}),
            )
        )
    for namespace in made[::2] + made[1:2]:
        NamespaceMembershipFactory(namespace=namespace, user=world.developer, role="viewer")
    return made


def expected(user) -> tuple[list[tuple], list[tuple]]:
    """The ORM's answer: the user's namespaces by cluster and name, and per cluster (by name)
    how many and the first by name."""
    rows = list(namespaces_for_user(user=user).order_by("cluster__name", "name").values_list(*COLUMNS))
    per_cluster: dict[str, list[str]] = {}
    for name, _display, _team, cluster, _status in rows:
        per_cluster.setdefault(cluster, []).append(name)
    return rows, sorted((cluster, len(names), min(names)) for cluster, names in per_cluster.items())


@pytest.mark.parametrize(
    "persona", ["owner", "manager", "member", "developer", "viewer", "outsider", "admin"]
)
def test_the_access_overview_shows_exactly_what_the_orm_chooses_in_its_order(world, spread, persona):
    user = getattr(world, persona)
    rows, clusters = expected(user)
    overview = access_overview(user=user)
    lines = overview.namespaces[0 : overview.namespaces.count]
    assert [(x.name, x.display_name, x.team, x.cluster, x.status) for x in lines] == rows
    assert overview.namespaces.count == len(rows)
    assert [
        (c.name, vars(c)["namespace_count"], vars(c)["first_namespace"]) for c in overview.clusters
    ] == clusters
    assert overview.first_namespace == min((name for name, *_ in rows), default="")
    # a page at a time, as the paginator reads it, gives the same rows
    paged = [line.name for start in range(0, len(rows), 3) for line in overview.namespaces[start : start + 3]]
    assert paged == [name for name, *_ in rows]


def test_who_sees_what_on_the_access_overview(world, spread):
    names = {p: {line.name for line in _all(getattr(world, p))} for p in ("owner", "developer", "outsider")}
    live = {n.name for n in spread if n.status != NamespaceStatus.DELETED}
    acme = {n.name for n in spread if n.team_id == world.team.pk} & live
    assert names["owner"] == acme | {"acme-dev"}
    # the developer's own namespaces in their team, live ones only; never the other team's,
    # where they hold a namespace role but no membership
    granted = {n.name for n in spread[::2] + spread[1:2] if n.team_id == world.team.pk} & live
    assert names["developer"] == granted | {"acme-dev"}
    assert names["outsider"] == ({n.name for n in spread if n.team_id == world.other_team.pk} & live) | {
        "globex-prod"
    }
    assert not names["owner"] & names["outsider"]


def test_leaving_the_team_takes_the_namespaces_off_the_access_overview(world, spread):
    assert _all(world.developer)
    TeamMembership.objects.filter(user=world.developer).delete()
    forget_roles(world.developer)
    overview = access_overview(user=world.developer)
    assert overview.clusters == [] and overview.first_namespace == "" and overview.namespaces.count == 0
    assert overview.namespaces[0:25] == []


def test_a_user_without_a_role_gets_an_empty_overview_without_reading_rows(world, django_assert_num_queries):
    user = UserFactory(username="newcomer")
    with django_assert_num_queries(1):  # the roles; nothing to choose namespaces from
        overview = access_overview(user=user)
    assert overview.clusters == [] and overview.namespaces.count == 0
    assert overview.namespaces[0:25] == []


def _all(user):
    overview = access_overview(user=user)
    return overview.namespaces[0 : overview.namespaces.count]

"""The data migrations that pin namespaces to their cluster and give each cluster its own state row."""

import pytest

from tests.migrations import migrate

BEFORE = [
    ("clusters", "0003_max_token_hours"),
    ("tenants", "0007_account_preferences_and_invitation_language"),
    ("metering", "0008_quota_bounds"),
]


@pytest.mark.django_db(transaction=True)
def test_unpinned_namespaces_and_the_moving_default_state_row_are_fixed_in_place():
    apps = migrate(BEFORE)
    Cluster = apps.get_model("clusters", "Cluster")
    ClusterState = apps.get_model("metering", "ClusterState")
    Namespace = apps.get_model("tenants", "Namespace")
    Team = apps.get_model("tenants", "Team")
    Cluster.objects.all().delete()  # the one made after migrating, for a blank start
    a = Cluster.objects.create(name="a", is_default=False)
    b = Cluster.objects.create(name="b", is_default=True)
    team = Team.objects.create(name="Acme", slug="acme")
    unpinned = Namespace.objects.create(team=team, name="acme-dev")
    on_a = Namespace.objects.create(team=team, name="acme-a", cluster=a)
    # The state of the crash: the "default" row still points at A, which was the default
    # when it was written; B already has its own row.
    ClusterState.objects.create(key="default", cluster=a, node_count=3)
    ClusterState.objects.create(key=f"cluster-{b.pk}", cluster=b, node_count=5)

    apps = migrate()
    Namespace = apps.get_model("tenants", "Namespace")
    ClusterState = apps.get_model("metering", "ClusterState")
    assert Namespace.objects.get(pk=unpinned.pk).cluster_id == b.pk  # the default it lived on
    assert Namespace.objects.get(pk=on_a.pk).cluster_id == a.pk
    rows = dict(ClusterState.objects.values_list("cluster_id", "node_count"))
    assert rows == {a.pk: 3, b.pk: 5}


@pytest.mark.django_db(transaction=True)
def test_a_state_row_without_a_cluster_goes_to_the_default_or_away_and_a_default_cluster_is_made():
    apps = migrate(BEFORE)
    Cluster = apps.get_model("clusters", "Cluster")
    ClusterState = apps.get_model("metering", "ClusterState")
    Namespace = apps.get_model("tenants", "Namespace")
    Team = apps.get_model("tenants", "Team")
    apps.get_model("clusters", "Cluster").objects.all().delete()
    team = Team.objects.create(name="Acme", slug="acme")
    unpinned = Namespace.objects.create(team=team, name="acme-dev")
    ClusterState.objects.create(key="default", cluster=None, node_count=2)

    apps = migrate()
    Cluster = apps.get_model("clusters", "Cluster")
    ClusterState = apps.get_model("metering", "ClusterState")
    Namespace = apps.get_model("tenants", "Namespace")
    default = Cluster.objects.get(is_default=True)
    assert default.name == "default"
    assert Namespace.objects.get(pk=unpinned.pk).cluster_id == default.pk
    assert list(ClusterState.objects.values_list("cluster_id", "node_count")) == [(default.pk, 2)]

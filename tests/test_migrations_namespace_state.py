"""The data migrations that move the provisioner's state and the runtime policy off the namespace record."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from tests.migrations import migrate

BEFORE = [
    ("clusters", "0007_bootstrap_check"),
    ("tenants", "0010_two_factor_grace"),
]


def _cluster(apps):
    Cluster = apps.get_model("clusters", "Cluster")
    return Cluster.objects.filter(is_default=True).first() or Cluster.objects.create(
        name="a", is_default=True
    )


@pytest.mark.django_db(transaction=True)
def test_every_namespace_keeps_its_provisioning_state_after_the_move():
    apps = migrate(BEFORE)
    Team = apps.get_model("tenants", "Team")
    Namespace = apps.get_model("tenants", "Namespace")
    team = Team.objects.create(name="Acme", slug="acme")
    cluster = _cluster(apps)
    reconciled = datetime(2026, 11, 1, 12, tzinfo=UTC)
    ready = Namespace.objects.create(
        team=team,
        cluster=cluster,
        name="acme-dev",
        status="ready",
        desired_hash="a" * 64,
        applied_hash="a" * 64,
        applied_versions={"ResourceQuota/acme-dev/tenant-quota": "42"},
        cluster_uid="5b0c6f0e-uid",
        conditions=[{"type": "ObjectsApplied", "status": "True"}],
        last_reconciled_at=reconciled,
        lease_owner="worker-1",
        lease_until=reconciled,
    )
    failed = Namespace.objects.create(
        team=team, cluster=cluster, name="acme-bad", status="error", last_error="name taken"
    )
    pending = Namespace.objects.create(team=team, cluster=cluster, name="acme-new")

    apps = migrate()
    NamespaceProvisioning = apps.get_model("clusters", "NamespaceProvisioning")
    rows = {row.pk: row for row in NamespaceProvisioning.objects.all()}
    assert set(rows) == {ready.pk, failed.pk, pending.pk}
    moved = rows[ready.pk]
    assert (moved.desired_hash, moved.applied_hash, moved.cluster_uid) == ("a" * 64, "a" * 64, "5b0c6f0e-uid")
    assert moved.applied_versions == {"ResourceQuota/acme-dev/tenant-quota": "42"}
    assert moved.conditions == [{"type": "ObjectsApplied", "status": "True"}]
    assert (moved.last_reconciled_at, moved.lease_owner, moved.lease_until) == (
        reconciled,
        "worker-1",
        reconciled,
    )
    assert rows[failed.pk].last_error == "name taken"
    assert (rows[pending.pk].cluster_uid, rows[pending.pk].last_reconciled_at) == ("", None)
    columns = {
        c.name
        for c in connection.introspection.get_table_description(connection.cursor(), "tenants_namespace")
    }
    assert "cluster_uid" not in columns and "last_error" not in columns and "status" in columns


@pytest.mark.django_db(transaction=True)
def test_every_namespace_keeps_its_runtime_policy_after_the_move():
    apps = migrate(
        [
            ("metering", "0010_cluster_state_cluster_required"),
            ("tenants", "0011_provisioning_state_moves_to_clusters"),
        ]
    )
    Team = apps.get_model("tenants", "Team")
    Namespace = apps.get_model("tenants", "Namespace")
    team = Team.objects.create(name="Acme", slug="acme")
    cluster = _cluster(apps)
    gpu = Namespace.objects.create(
        team=team, cluster=cluster, name="acme-ml", min_isolation="microvm", needs_gpu=True
    )
    plain = Namespace.objects.create(team=team, cluster=cluster, name="acme-web")

    apps = migrate()
    NamespaceRuntimePolicy = apps.get_model("metering", "NamespaceRuntimePolicy")
    rows = dict(NamespaceRuntimePolicy.objects.values_list("pk", "min_isolation"))
    assert rows == {gpu.pk: "microvm", plain.pk: ""}
    assert NamespaceRuntimePolicy.objects.get(pk=gpu.pk).needs_gpu is True
    assert NamespaceRuntimePolicy.objects.get(pk=plain.pk).needs_gpu is False
    columns = {
        c.name
        for c in connection.introspection.get_table_description(connection.cursor(), "tenants_namespace")
    }
    assert "min_isolation" not in columns and "needs_gpu" not in columns

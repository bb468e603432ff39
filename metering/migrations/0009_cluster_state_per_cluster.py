"""Each cluster owns its state row; the shared "default" key goes.

The row keyed ``default`` followed the default flag from cluster to cluster, which is what
crashed (``UNIQUE constraint failed: metering_clusterstate.cluster_id``) when another
cluster, already holding its own row, became the default. The ``default`` row stays with the
cluster it last measured; a row with no cluster is given the default cluster, or dropped
when that cluster already has its own row (discovery fills it again within minutes).
"""

from django.db import migrations


def attach(apps, schema_editor):
    Cluster = apps.get_model("clusters", "Cluster")
    ClusterState = apps.get_model("metering", "ClusterState")
    for state in ClusterState.objects.filter(cluster__isnull=True):
        default = Cluster.objects.filter(is_default=True).first()
        if default is None or ClusterState.objects.filter(cluster=default).exists():
            state.delete()
        else:
            state.cluster = default
            state.save(update_fields=["cluster"])


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0008_quota_bounds"),
        ("clusters", "0003_max_token_hours"),
        # Runs after the namespaces are pinned, which makes the default cluster if need be.
        ("tenants", "0008_pin_namespaces_to_their_cluster"),
    ]

    operations = [migrations.RunPython(attach, migrations.RunPython.noop)]

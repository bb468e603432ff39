"""The memory of what suspension changed moves to clusters, which now does the changing:
each row is copied to ``clusters.SuspendedWorkload`` before billing's table is dropped, so a
team suspended during the upgrade is resumed exactly."""

from django.db import migrations


def _copy(source, target):
    target.objects.bulk_create(
        target(
            namespace_id=row.namespace_id,
            kind=row.kind,
            name=row.name,
            replicas=row.replicas,
            was_suspended=row.was_suspended,
        )
        for row in source.objects.iterator()
    )


def copy_to_clusters(apps, schema_editor):
    _copy(apps.get_model("billing", "SuspendedObject"), apps.get_model("clusters", "SuspendedWorkload"))


def copy_back(apps, schema_editor):
    _copy(apps.get_model("clusters", "SuspendedWorkload"), apps.get_model("billing", "SuspendedObject"))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_pricebook_effective_day"),
        ("clusters", "0004_suspended_workloads"),
    ]

    operations = [
        migrations.RunPython(copy_to_clusters, copy_back),
        migrations.DeleteModel(name="SuspendedObject"),
    ]

"""The memory of what suspension changed moves to clusters, which now does the changing:
each row is copied to ``clusters.SuspendedWorkload`` before billing's table is dropped, so a
team suspended during the upgrade is resumed exactly."""

from django.db import migrations


def copy_to_clusters(apps, schema_editor):
    old = apps.get_model("billing", "SuspendedObject")
    new = apps.get_model("clusters", "SuspendedWorkload")
    new.objects.bulk_create(
        new(
            namespace_id=row.namespace_id,
            kind=row.kind,
            name=row.name,
            replicas=row.replicas,
            was_suspended=row.was_suspended,
        )
        for row in old.objects.iterator()
    )


def copy_back(apps, schema_editor):
    old = apps.get_model("billing", "SuspendedObject")
    new = apps.get_model("clusters", "SuspendedWorkload")
    old.objects.bulk_create(
        old(
            namespace_id=row.namespace_id,
            kind=row.kind,
            name=row.name,
            replicas=row.replicas,
            was_suspended=row.was_suspended,
        )
        for row in new.objects.iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_pricebook_effective_day"),
        ("clusters", "0004_suspended_workloads"),
    ]

    operations = [
        migrations.RunPython(copy_to_clusters, copy_back),
        migrations.DeleteModel(name="SuspendedObject"),
    ]

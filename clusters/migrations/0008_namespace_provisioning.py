"""The provisioner's state of each namespace moves off ``tenants.Namespace`` into a row of its
own: created here and filled from the namespace's columns, which tenants then drops."""

import django.db.models.deletion
from django.db import migrations, models

FIELDS = (
    "last_error",
    "conditions",
    "desired_hash",
    "applied_hash",
    "applied_versions",
    "cluster_uid",
    "last_reconciled_at",
    "lease_owner",
    "lease_until",
)


def copy_from_namespaces(apps, schema_editor):
    Namespace = apps.get_model("tenants", "Namespace")
    NamespaceProvisioning = apps.get_model("clusters", "NamespaceProvisioning")
    rows = Namespace.objects.values("pk", *FIELDS).iterator(chunk_size=2000)
    batch = []
    for row in rows:
        batch.append(NamespaceProvisioning(namespace_id=row.pop("pk"), **row))
        if len(batch) == 2000:
            NamespaceProvisioning.objects.bulk_create(batch)
            batch = []
    NamespaceProvisioning.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    Namespace = apps.get_model("tenants", "Namespace")
    NamespaceProvisioning = apps.get_model("clusters", "NamespaceProvisioning")
    for row in NamespaceProvisioning.objects.values("namespace_id", *FIELDS).iterator(chunk_size=2000):
        Namespace.objects.filter(pk=row.pop("namespace_id")).update(**row)


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0007_bootstrap_check"),
        ("tenants", "0010_two_factor_grace"),
    ]

    operations = [
        migrations.CreateModel(
            name="NamespaceProvisioning",
            fields=[
                (
                    "namespace",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="provisioning",
                        serialize=False,
                        to="tenants.namespace",
                    ),
                ),
                ("last_error", models.TextField(blank=True)),
                ("conditions", models.JSONField(blank=True, default=list)),
                ("desired_hash", models.CharField(blank=True, max_length=64)),
                ("applied_hash", models.CharField(blank=True, max_length=64)),
                ("applied_versions", models.JSONField(blank=True, default=dict)),
                ("cluster_uid", models.CharField(blank=True, max_length=36)),
                ("last_reconciled_at", models.DateTimeField(blank=True, null=True)),
                ("lease_owner", models.CharField(blank=True, max_length=64)),
                ("lease_until", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(copy_from_namespaces, copy_back),
    ]

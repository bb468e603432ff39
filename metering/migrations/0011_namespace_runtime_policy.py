"""A namespace's runtime policy (minimum isolation, GPUs) moves off ``tenants.Namespace`` into a
row of metering's own: created here and filled from the namespace's columns, which tenants
then drops."""

import django.db.models.deletion
from django.db import migrations, models


def copy_from_namespaces(apps, schema_editor):
    Namespace = apps.get_model("tenants", "Namespace")
    NamespaceRuntimePolicy = apps.get_model("metering", "NamespaceRuntimePolicy")
    rows = Namespace.objects.values_list("pk", "min_isolation", "needs_gpu").iterator(chunk_size=2000)
    batch = []
    for pk, min_isolation, needs_gpu in rows:
        batch.append(NamespaceRuntimePolicy(namespace_id=pk, min_isolation=min_isolation, needs_gpu=needs_gpu))
        if len(batch) == 2000:
            NamespaceRuntimePolicy.objects.bulk_create(batch)
            batch = []
    NamespaceRuntimePolicy.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    Namespace = apps.get_model("tenants", "Namespace")
    NamespaceRuntimePolicy = apps.get_model("metering", "NamespaceRuntimePolicy")
    for row in NamespaceRuntimePolicy.objects.iterator(chunk_size=2000):
        Namespace.objects.filter(pk=row.namespace_id).update(
            min_isolation=row.min_isolation, needs_gpu=row.needs_gpu
        )


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0010_cluster_state_cluster_required"),
        ("tenants", "0011_provisioning_state_moves_to_clusters"),
    ]

    operations = [
        migrations.CreateModel(
            name="NamespaceRuntimePolicy",
            fields=[
                (
                    "namespace",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="runtime_policy",
                        serialize=False,
                        to="tenants.namespace",
                    ),
                ),
                (
                    "min_isolation",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("container", "Container (runc)"),
                            ("sandbox", "Sandbox (gVisor)"),
                            ("microvm", "MicroVM (Kata)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("needs_gpu", models.BooleanField(default=False)),
            ],
        ),
        migrations.RunPython(copy_from_namespaces, copy_back),
    ]

"""The provisioner's columns leave the namespace record; ``clusters.NamespaceProvisioning`` holds
them now (copied there by clusters' 0008 before they are dropped)."""

from django.db import migrations

FIELDS = (
    "applied_hash",
    "applied_versions",
    "cluster_uid",
    "conditions",
    "desired_hash",
    "last_error",
    "last_reconciled_at",
    "lease_owner",
    "lease_until",
)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0010_two_factor_grace"),
        ("clusters", "0008_namespace_provisioning"),
    ]

    operations = [migrations.RemoveField(model_name="namespace", name=field) for field in FIELDS]

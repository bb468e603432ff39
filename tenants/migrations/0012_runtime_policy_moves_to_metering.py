"""A namespace's runtime policy leaves the namespace record; ``metering.NamespaceRuntimePolicy``
holds it now (copied there by metering's 0011 before the columns are dropped)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0011_provisioning_state_moves_to_clusters"),
        ("metering", "0011_namespace_runtime_policy"),
    ]

    operations = [
        migrations.RemoveField(model_name="namespace", name="min_isolation"),
        migrations.RemoveField(model_name="namespace", name="needs_gpu"),
    ]

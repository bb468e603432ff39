"""Namespaces that relied on "the default cluster" are pinned to the cluster they live on.

Until now an empty ``cluster`` meant "whichever cluster is the default", so a namespace could
silently change clusters when staff made another cluster the default (the services pinned
them at that moment, but nothing in the model said so). Every such namespace was created on
the current default cluster, so that is where it is pinned; the default cluster row is made
(with the environment's credentials, as before) if there is none yet.
"""

from django.db import migrations


def pin(apps, schema_editor):
    Cluster = apps.get_model("clusters", "Cluster")
    Namespace = apps.get_model("tenants", "Namespace")
    unpinned = Namespace.objects.filter(cluster__isnull=True)
    if not unpinned.exists():
        return
    default = Cluster.objects.filter(is_default=True).first()
    if default is None:
        default, _ = Cluster.objects.get_or_create(name="default", defaults={"is_default": True})
    unpinned.update(cluster=default)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0007_account_preferences_and_invitation_language"),
        ("clusters", "0003_max_token_hours"),
    ]

    operations = [migrations.RunPython(pin, migrations.RunPython.noop)]

from django.contrib import admin

from clusters.models import Cluster


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    """Read-mostly: clusters are connected on the Clusters page, which encrypts pasted kubeconfigs."""

    list_display = ["name", "is_default", "reachable", "server_version", "last_checked_at"]
    exclude = ["kubeconfig_encrypted"]
    readonly_fields = [
        "reachable",
        "server_version",
        "last_checked_at",
        "last_error",
        "bootstrap_hash",
        "bootstrap_versions",
        "created_at",
    ]

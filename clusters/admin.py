from django.contrib import admin

from clusters.models import Cluster


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    """View only: clusters are changed on the Clusters page, whose services audit, encrypt and
    drop cached connections. Stored credentials are never shown."""

    list_display = ["name", "is_default", "reachable", "server_version", "last_checked_at"]
    exclude = ["kubeconfig_encrypted"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

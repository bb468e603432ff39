from django.contrib import admin

from metering.models import (
    ClusterRuntime,
    ClusterState,
    NamespaceQuota,
    QuotaRequest,
    RuntimeClassProfile,
    TeamQuota,
)


@admin.register(RuntimeClassProfile)
class RuntimeClassProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "handler", "isolation", "supports_gpu", "price_multiplier", "enabled"]
    list_editable = ["enabled"]


@admin.register(ClusterState)
class ClusterStateAdmin(admin.ModelAdmin):
    list_display = ["cluster", "last_window_start", "discovered_at", "node_count"]
    readonly_fields = [f.name for f in ClusterState._meta.fields]


@admin.register(ClusterRuntime)
class ClusterRuntimeAdmin(admin.ModelAdmin):
    list_display = ["name", "handler", "state", "seen_at"]


class ViewOnlyAdmin(admin.ModelAdmin):
    """Quotas change only through ``metering.services.quotas``, which keeps every team's
    allocations within its quota and audits the change; the admin would bypass both."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TeamQuota)
class TeamQuotaAdmin(ViewOnlyAdmin):
    list_display = ["team", "cpu_millicores", "memory_bytes", "gpus", "max_namespaces"]
    search_fields = ["team__slug"]


@admin.register(NamespaceQuota)
class NamespaceQuotaAdmin(ViewOnlyAdmin):
    list_display = ["namespace", "cpu_millicores", "memory_bytes", "gpus"]


@admin.register(QuotaRequest)
class QuotaRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "team", "namespace", "status", "needs_staff", "created_at"]
    list_filter = ["status", "needs_staff"]

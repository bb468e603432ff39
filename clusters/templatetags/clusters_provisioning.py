from django import template

from clusters.selectors import IN_PROGRESS_STATUSES
from tenants import permissions
from tenants.models import NamespaceStatus

register = template.Library()


@register.filter
def may_retry_provisioning(namespace, user) -> bool:
    """Whether ``user`` may retry this namespace's failed provisioning (namespace admins)."""
    return namespace.status == NamespaceStatus.ERROR and permissions.has_namespace_perm(
        user, permissions.ADMIN_NAMESPACE, namespace
    )


@register.filter
def provisioning_in_progress(namespace) -> bool:
    """Whether the namespace's state is still changing, so its status should be polled."""
    return namespace.status in IN_PROGRESS_STATUSES

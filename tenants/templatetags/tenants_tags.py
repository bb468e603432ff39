"""Template questions answered by ``tenants.permissions``, so templates never re-encode a rule."""

from django import template

from tenants import permissions

register = template.Library()


@register.filter
def may_manage_member(membership, user) -> bool:
    return permissions.may_manage_member(user, membership)

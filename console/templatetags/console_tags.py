"""Template helpers that weave the apps' pages together (team and namespace headers)."""

from django import template

from tenants import permissions

register = template.Library()


@register.filter
def team_tabs(team, user) -> dict:
    """Which team tabs ``user`` may open, asked of ``tenants.permissions`` (roles are cached)."""
    return {
        "role": permissions.team_role(user, team),
        "member": permissions.can_see_team(user, team),
        "billing": permissions.has_team_perm(user, permissions.VIEW_BILLING, team),
        "audit": permissions.has_team_perm(user, permissions.VIEW_AUDIT, team),
    }

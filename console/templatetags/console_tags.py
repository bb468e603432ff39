"""Template helpers that weave the apps' pages together (team and namespace headers)."""

from django import template

from tenants import permissions
from tenants.models import TeamRole

register = template.Library()


@register.filter
def team_tabs(team, user) -> dict:
    """Which team tabs ``user`` may open, asked of ``tenants.permissions`` (roles are cached)."""
    role = permissions.team_role(user, team)
    return {
        "role": TeamRole(role).label if role else "",
        "member": permissions.can_see_team(user, team),
        "billing": permissions.has_team_perm(user, permissions.VIEW_BILLING, team),
        "audit": permissions.has_team_perm(user, permissions.VIEW_AUDIT, team),
        "owner": role == TeamRole.OWNER,
    }

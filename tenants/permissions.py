"""The one place that answers "may this user do this to this object".

Pages, the API and tasks all ask here. Roles are loaded once per user object and cached on
it, so a page that asks many questions costs at most two queries.
"""

import contextlib

from django.core.exceptions import PermissionDenied
from django.http import Http404

from tenants.models import Namespace, NamespaceMembership, NamespaceRole, Team, TeamMembership, TeamRole

TEAM_ADMIN_ROLES = frozenset({TeamRole.OWNER, TeamRole.MANAGER})
TEAM_BILLING_ROLES = frozenset({TeamRole.OWNER, TeamRole.MANAGER, TeamRole.BILLING})

# Team-level permissions.
VIEW_TEAM = "view_team"
MANAGE_MEMBERS = "manage_members"  # invite, remove, change roles below owner
MANAGE_OWNERS = "manage_owners"  # grant/revoke owner, transfer ownership
MANAGE_NAMESPACES = "manage_namespaces"  # create/delete namespaces, split quota
VIEW_AUDIT = "view_audit"
VIEW_BILLING = "view_billing"
# Namespace-level permissions.
VIEW_NAMESPACE = "view_namespace"
ADMIN_NAMESPACE = "admin_namespace"  # manage the namespace's members

_TEAM_RULES: dict[str, frozenset[str]] = {
    VIEW_TEAM: frozenset(TeamRole.values),
    MANAGE_MEMBERS: TEAM_ADMIN_ROLES,
    MANAGE_OWNERS: frozenset({TeamRole.OWNER}),
    MANAGE_NAMESPACES: TEAM_ADMIN_ROLES,
    VIEW_AUDIT: TEAM_ADMIN_ROLES,
    VIEW_BILLING: TEAM_BILLING_ROLES,
}
_NAMESPACE_RULES: dict[str, frozenset[str]] = {
    VIEW_NAMESPACE: frozenset(NamespaceRole.values),
    ADMIN_NAMESPACE: frozenset({NamespaceRole.ADMIN}),
}


def _roles(user) -> tuple[dict[int, str], dict[int, str]]:
    cached = getattr(user, "_tenantry_roles", None)
    if cached is None:
        team_roles = dict(TeamMembership.objects.filter(user=user).values_list("team_id", "role"))
        ns_roles = dict(NamespaceMembership.objects.filter(user=user).values_list("namespace_id", "role"))
        cached = (team_roles, ns_roles)
        user._tenantry_roles = cached
    return cached


def forget_roles(user) -> None:
    """Drop the cached roles after the user's memberships changed in this request."""
    # ``request.user`` is a lazy proxy: deleting the attribute reaches the real user, but
    # popping from ``user.__dict__`` would only touch the proxy and leave stale roles behind.
    with contextlib.suppress(AttributeError):
        del user._tenantry_roles


def team_role(user, team: Team | int) -> str | None:
    if not user.is_authenticated:
        return None
    team_id = team if isinstance(team, int) else team.pk
    return _roles(user)[0].get(team_id)


def namespace_role(user, namespace: Namespace) -> str | None:
    """The effective role: team owners and managers administer every namespace of their team."""
    if not user.is_authenticated:
        return None
    team_roles, ns_roles = _roles(user)
    if team_roles.get(namespace.team_id) in TEAM_ADMIN_ROLES:
        return NamespaceRole.ADMIN
    if namespace.team_id not in team_roles:
        return None
    return ns_roles.get(namespace.pk)


def can_see_team(user, team: Team) -> bool:
    return team_role(user, team) is not None


def has_team_perm(user, perm: str, team: Team) -> bool:
    return team_role(user, team) in _TEAM_RULES[perm]


def can_see_namespace(user, namespace: Namespace) -> bool:
    return namespace_role(user, namespace) is not None


def has_namespace_perm(user, perm: str, namespace: Namespace) -> bool:
    return namespace_role(user, namespace) in _NAMESPACE_RULES[perm]


def may_set_team_quota(user) -> bool:
    """Team quotas split the clusters' capacity between teams: only cluster admins (staff) set them."""
    return bool(user.is_authenticated and user.is_staff)


def may_assign_team_role(user, team: Team, *, current: str | None, new: str) -> bool:
    """Owners assign any role; managers only move people between roles below owner."""
    role = team_role(user, team)
    if role == TeamRole.OWNER:
        return True
    if role == TeamRole.MANAGER:
        return TeamRole.OWNER not in (current, new)
    return False


def require_staff(user) -> None:
    """Staff pages do not exist for anyone else: 404, like another tenant's objects."""
    if not (user.is_authenticated and user.is_staff):
        raise Http404("No such page.")


def require_team_perm(user, perm: str, team: Team) -> None:
    """404 for outsiders (the team's existence is not disclosed), 403 for members lacking the role."""
    if not can_see_team(user, team):
        raise Http404("No such team.")
    if not has_team_perm(user, perm, team):
        raise PermissionDenied("Your role in this team does not allow that.")


def require_namespace_perm(user, perm: str, namespace: Namespace) -> None:
    if not can_see_namespace(user, namespace):
        raise Http404("No such namespace.")
    if not has_namespace_perm(user, perm, namespace):
        raise PermissionDenied("Your role in this namespace does not allow that.")

"""The one place that answers "may this user do this to this object".

Pages, the API, services and tasks all ask here, staff and finance included: a permission
names who holds it through a team role, and whether cluster admins (staff) or the finance
group hold it on every team. ``restrict`` narrows a queryset to what a user may see, so a read
cannot forget its scope. Roles are loaded once per user object and cached on it (team and
namespace roles in one query), so a page that asks many questions costs at most two queries: the
roles and, for finance permissions, the user's groups.
"""

import contextlib
from typing import Protocol

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from tenants.models import Namespace, NamespaceMembership, NamespaceRole, Team, TeamMembership, TeamRole

TEAM_ADMIN_ROLES = frozenset({TeamRole.OWNER, TeamRole.MANAGER})
TEAM_BILLING_ROLES = frozenset({TeamRole.OWNER, TeamRole.MANAGER, TeamRole.BILLING})

# Team-level permissions.
VIEW_TEAM = "view_team"
MANAGE_MEMBERS = "manage_members"  # invite, remove, change roles below owner
MANAGE_OWNERS = "manage_owners"  # grant/revoke owner, transfer ownership
MANAGE_NAMESPACES = "manage_namespaces"  # create/delete namespaces, split quota
VIEW_AUDIT = "view_audit"
VIEW_BILLING = "view_billing"  # statements, charges, the balance
VIEW_QUOTA = "view_quota"  # the team quota page
MANAGE_QUOTA = "manage_quota"  # split the team quota, decide quota requests
SET_TEAM_QUOTA = "set_team_quota"  # the team quota itself: cluster capacity between teams
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
    VIEW_QUOTA: frozenset(TeamRole.values),
    MANAGE_QUOTA: TEAM_ADMIN_ROLES,
    SET_TEAM_QUOTA: frozenset(),
}
# Team permissions held on every team without a role in it.
_STAFF_TEAM_PERMS = frozenset({VIEW_BILLING, VIEW_QUOTA, MANAGE_QUOTA, SET_TEAM_QUOTA})
_FINANCE_TEAM_PERMS = frozenset({VIEW_BILLING})
# Permissions no team role grants: refused with 404 to members too, like a staff page.
_STAFF_ONLY_TEAM_PERMS = frozenset(perm for perm, roles in _TEAM_RULES.items() if not roles)
FINANCE_GROUP = "finance"
_NAMESPACE_RULES: dict[str, frozenset[str]] = {
    VIEW_NAMESPACE: frozenset(NamespaceRole.values),
    ADMIN_NAMESPACE: frozenset({NamespaceRole.ADMIN}),
}


def _roles_sql() -> str:
    """Standard SQL, the same on SQLite and PostgreSQL, with the tables and columns the models
    name; each row is marked with the kind of membership it comes from (1 team, 0 namespace)."""

    def select(kind: int, model, object_field: str) -> str:
        q = connection.ops.quote_name
        fields = {f.name: f.column for f in model._meta.concrete_fields}
        # Only the models' quoted table and column names are spliced in.
        table, user_column = q(model._meta.db_table), q(fields["user"])
        columns = f"{kind}, {q(fields[object_field])}, {q(fields['role'])}"
        return f"SELECT {columns} FROM {table} WHERE {user_column} = %s"  # noqa: S608

    return f"{select(1, TeamMembership, 'team')} UNION ALL {select(0, NamespaceMembership, 'namespace')}"


def _roles(user) -> tuple[dict[int, str], dict[int, str]]:
    """The user's team roles by team id and namespace roles by namespace id, in one query."""
    cached = getattr(user, "_tenantry_roles", None)
    if cached is None:
        # Every page a member sees asks this, so it is SQL written out: the same UNION ALL of
        # two values_list() querysets cost 0.35 ms of Python to build each time, this 0.02 ms.
        team_roles: dict[int, str] = {}
        ns_roles: dict[int, str] = {}
        with connection.cursor() as cursor:
            cursor.execute(_roles_sql(), [user.pk, user.pk])
            for is_team, object_id, role in cursor.fetchall():
                (team_roles if is_team else ns_roles)[object_id] = role
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


def is_staff(user) -> bool:
    """Cluster admins: the clusters, the runtime catalog, team quotas, price books."""
    return bool(user.is_authenticated and user.is_staff)


def is_finance(user) -> bool:
    """The finance group (and staff): every team's billing, statements and the ledger."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    cached = getattr(user, "_tenantry_is_finance", None)
    if cached is None:
        cached = user.groups.filter(name=FINANCE_GROUP).exists()
        user._tenantry_is_finance = cached
    return cached


def holds_everywhere(user, perm: str) -> bool:
    """Whether ``user`` holds the team permission ``perm`` on every team, without a role."""
    return (perm in _STAFF_TEAM_PERMS and is_staff(user)) or (
        perm in _FINANCE_TEAM_PERMS and is_finance(user)
    )


def namespace_cluster_access(namespace: Namespace) -> tuple[dict[int, str], tuple[int, ...]]:
    """Who holds which role in ``namespace`` on the cluster (its RoleBindings), by user id, and
    the ids of every active member of its team. Two queries.

    Active users only. Owners and managers administer every namespace of their team; members get
    their namespace role where they have one; the billing role and non-members get nothing.
    """
    team_roles = dict(
        TeamMembership.objects.filter(team_id=namespace.team_id, user__is_active=True).values_list(
            "user_id", "role"
        )
    )
    namespace_roles = dict(
        NamespaceMembership.objects.filter(namespace_id=namespace.pk, user__is_active=True).values_list(
            "user_id", "role"
        )
    )
    roles: dict[int, str] = {}
    for user_id, team_role in team_roles.items():
        if team_role in TEAM_ADMIN_ROLES:
            roles[user_id] = NamespaceRole.ADMIN.value
        elif team_role == TeamRole.MEMBER and user_id in namespace_roles:
            roles[user_id] = namespace_roles[user_id]
    return roles, tuple(sorted(team_roles))


def can_see_team(user, team: Team) -> bool:
    return team_role(user, team) is not None


def has_team_perm(user, perm: str, team: Team) -> bool:
    return team_role(user, team) in _TEAM_RULES[perm] or holds_everywhere(user, perm)


def can_see_namespace(user, namespace: Namespace) -> bool:
    return namespace_role(user, namespace) is not None


def has_namespace_perm(user, perm: str, namespace: Namespace) -> bool:
    return namespace_role(user, namespace) in _NAMESPACE_RULES[perm]


def may_approve_quota_request(user, team: Team, *, within_team_quota: bool) -> bool:
    """Deciding a quota request is MANAGE_QUOTA; approving one beyond the team's remaining quota
    raises the team quota, which is SET_TEAM_QUOTA (staff)."""
    return has_team_perm(user, MANAGE_QUOTA if within_team_quota else SET_TEAM_QUOTA, team)


def may_assign_team_role(user, team: Team | int, *, current: str | None, new: str) -> bool:
    """Owners assign any role; managers only move people between roles below owner."""
    role = team_role(user, team)
    if role == TeamRole.OWNER:
        return True
    if role == TeamRole.MANAGER:
        return TeamRole.OWNER not in (current, new)
    return False


class MembershipFacts(Protocol):
    """What ``may_manage_member`` reads of a membership (a ``values()`` row's will do)."""

    @property
    def user_id(self) -> int: ...
    @property
    def team_id(self) -> int: ...
    @property
    def role(self) -> str: ...


def may_manage_member(user, membership: TeamMembership | MembershipFacts) -> bool:
    """Whether ``user`` may change this member's role or remove them (leaving is ``team_leave``)."""
    return membership.user_id != user.pk and may_assign_team_role(
        user, membership.team_id, current=membership.role, new=TeamRole.MEMBER
    )


def require_staff(user) -> None:
    """Staff pages do not exist for anyone else: 404, like another tenant's objects."""
    if not is_staff(user):
        raise Http404("No such page.")


def require_finance(user) -> None:
    """Finance pages, likewise: 404 to everyone outside the finance group and staff."""
    if not is_finance(user):
        raise Http404("No such page.")


def require_team_perm(user, perm: str, team: Team) -> None:
    """404 for outsiders (the team's existence is not disclosed), 403 for members lacking the role.

    Permissions only staff hold are 404 to members as well.
    """
    if has_team_perm(user, perm, team):
        return
    if not can_see_team(user, team) or perm in _STAFF_ONLY_TEAM_PERMS:
        raise Http404("No such team.")
    raise PermissionDenied(_("Your role in this team does not allow that."))


def require_namespace_perm(user, perm: str, namespace: Namespace) -> None:
    if not can_see_namespace(user, namespace):
        raise Http404("No such namespace.")
    if not has_namespace_perm(user, perm, namespace):
        raise PermissionDenied(_("Your role in this namespace does not allow that."))


def role_team_ids(user, perm: str) -> list[int]:
    """Ids of the teams in which ``user`` holds the team permission ``perm`` through their role
    (not the teams staff or finance hold it on without one), from the roles already loaded."""
    if not user.is_authenticated:
        return []
    return [team_id for team_id, role in _roles(user)[0].items() if role in _TEAM_RULES[perm]]


def namespace_scope_ids(user, perm: str) -> tuple[list[int], list[int], list[int]]:
    """What a namespace permission ``perm`` reaches for ``user`` (signed in), from the roles
    loaded once: the teams they administer, the namespaces their own memberships grant ``perm``
    on, and the teams they belong to (a namespace membership counts only in those)."""
    team_roles, ns_roles = _roles(user)
    admin_teams = [team_id for team_id, role in team_roles.items() if role in TEAM_ADMIN_ROLES]
    granted = [ns_id for ns_id, role in ns_roles.items() if role in _NAMESPACE_RULES[perm]]
    return admin_teams, granted, list(team_roles)


def namespace_scope(admin_teams: list[int], granted: list[int], member_teams: list[int]) -> Q:
    """The condition on namespaces of ``namespace_scope_ids``: every namespace of the teams
    administered, and the granted ones in teams still belonged to. Empty (``not scope``) when
    it reaches none. A pure function of its arguments, so a query built on it may be compiled
    once (``core.compiled``)."""
    scope = Q()  # only the conditions that can hold: an empty one is built, then dropped
    if admin_teams:
        scope |= Q(team_id__in=admin_teams)
    if granted:
        scope |= Q(id__in=granted, team_id__in=member_teams)
    return scope


def restrict(queryset: QuerySet, user, perm: str) -> QuerySet:
    """``queryset`` narrowed to the rows ``user`` holds ``perm`` on, in the manner of netbox's
    ``restrict()``: teams, namespaces, or any model with a ``team`` (a team permission).

    A namespace permission reaches every namespace of the teams the user administers, and the
    user's own namespace memberships in teams they still belong to.

    The rows are chosen by the ids of the user's roles (loaded once, like every question here
    asks them) rather than by subqueries of memberships, which cost more to build than the
    roles query and the whole read together; a service that changes the user's memberships
    calls ``forget_roles`` before reading again.
    """
    if not user.is_authenticated:
        return queryset.none()
    model = queryset.model
    if perm in _NAMESPACE_RULES:
        if not issubclass(model, Namespace):
            raise TypeError(f"{perm} applies to namespaces, not {model.__name__}")
        scope = namespace_scope(*namespace_scope_ids(user, perm))
        return queryset.filter(scope) if scope else queryset.none()
    if holds_everywhere(user, perm):
        return queryset
    teams = role_team_ids(user, perm)
    if issubclass(model, Team):
        return queryset.filter(id__in=teams)
    return queryset.filter(team_id__in=teams)

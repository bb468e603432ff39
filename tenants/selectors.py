"""Reads scoped to what a user may see, and one access helper per object kind.

Views never query tenant data directly; they come here. Access helpers return 404 to
outsiders and 403 to members who lack the role (through ``tenants.permissions``).
"""

import functools
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Now
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.compiled import ID_STAND_IN, CompiledPages, CompiledQuery
from tenants import permissions
from tenants.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    InvitationStatus,
    Namespace,
    NamespaceMembership,
    NamespaceStatus,
    Team,
    TeamMembership,
    TrustLevelRequest,
    TrustRequestStatus,
)


def teams_for_user(*, user) -> QuerySet[Team]:
    # Restricted through a subquery: joining on the user's membership would count only that row.
    teams = permissions.restrict(Team.objects.all(), user, permissions.VIEW_TEAM)
    return team_list(teams)


def team_list(teams: QuerySet[Team]) -> QuerySet[Team]:
    """``teams`` with their member counts, by name (``teams_for_user``)."""
    return teams.annotate(member_count=Count("memberships")).order_by("name")


def _padded(ids: list[int]) -> list[int]:
    """``ids`` with its last id repeated up to the next power of two in length: ``IN`` reads
    the same set, and a query compiled for each length of a scope is compiled for few."""
    if not ids:
        return []
    return ids + [ids[-1]] * ((1 << (len(ids) - 1).bit_length()) - len(ids))


class ScopedQuery:
    """A query over what a user's roles reach, compiled once per process (``core.compiled``)
    for each shape of that reach: ``scope_ids(user)`` gives the lists of ids the query is
    restricted by (the conditions ``permissions.restrict`` builds), or None when the caller's
    own queryset is to be read instead (a scope that reaches nothing, or everything);
    ``build(id_lists, *values)`` is the query for those lists, a pure function of its
    arguments. Each list is padded to a power of two in length (``_padded``), so a shape is
    the lengths of the padded lists, and few shapes are ever compiled."""

    def __init__(
        self,
        scope_ids: Callable[[Any], tuple[list[int], ...] | None],
        build: Callable[..., QuerySet],
        *stand_ins: Any,
        sliced: bool = False,
    ):
        self._scope_ids = scope_ids
        self._build = build
        self._stand_ins = stand_ins
        self._sliced = sliced
        self._compiled: dict[tuple[int, ...], CompiledQuery] = {}

    def _from_values(self, shape: tuple[int, ...], *values: Any) -> QuerySet:
        id_lists, start = [], 0
        for length in shape:
            id_lists.append(list(values[start : start + length]))
            start += length
        return self._build(tuple(id_lists), *values[start:])

    def for_user(self, user) -> tuple[CompiledQuery, list[Any]] | None:
        """The compiled query for the user's scope and the values that start its arguments (the
        ids; the caller adds its own values), or None (read the caller's queryset)."""
        found = self._scope_ids(user)
        if found is None:
            return None
        id_lists = [_padded(ids) for ids in found]
        shape = tuple(len(ids) for ids in id_lists)
        compiled = self._compiled.get(shape)
        if compiled is None:
            # 1,000 apart, so that none is another's alternative (``core.compiled``).
            stand_ins = [ID_STAND_IN - 1000 * n for n in range(sum(shape))]
            compiled = self._compiled.setdefault(
                shape,
                CompiledQuery(
                    partial(self._from_values, shape), *stand_ins, *self._stand_ins, sliced=self._sliced
                ),
            )
        return compiled, [i for ids in id_lists for i in ids]


def visible_team_ids(user) -> tuple[list[int]] | None:
    """``ScopedQuery``'s scope for the teams the user can see (``teams_for_user``): the teams
    they hold a role in, as ``restrict`` chooses them for ``VIEW_TEAM``, which no one holds on
    every team; None when they hold none."""
    if not user.is_authenticated or permissions.holds_everywhere(user, permissions.VIEW_TEAM):
        return None
    ids = permissions.role_team_ids(user, permissions.VIEW_TEAM)
    return (ids,) if ids else None


def visible_teams(id_lists: tuple[list[int], ...]) -> QuerySet[Team]:
    """The teams of a ``visible_team_ids`` scope, as ``restrict`` narrows them."""
    return Team.objects.filter(id__in=id_lists[0])


def visible_namespace_ids(user) -> tuple[list[int], list[int], list[int]] | None:
    """``ScopedQuery``'s scope for the namespaces the user can see (``namespaces_for_user``):
    the ids ``permissions.namespace_scope`` takes, the teams belonged to left out when no
    namespace is granted (the condition does not name them); None when it reaches none."""
    if not user.is_authenticated:
        return None
    admin_teams, granted, member_teams = permissions.namespace_scope_ids(user, permissions.VIEW_NAMESPACE)
    if not admin_teams and not granted:
        return None
    return admin_teams, granted, member_teams if granted else []


def visible_namespaces(id_lists: tuple[list[int], ...]) -> QuerySet[Namespace]:
    """The live namespaces of a ``visible_namespace_ids`` scope, as ``namespaces_for_user``
    restricts them (without its joins and order)."""
    return Namespace.objects.live().filter(permissions.namespace_scope(*id_lists))


def namespace_list(namespaces: QuerySet[Namespace]) -> QuerySet[Namespace]:
    """``namespaces`` with their team and cluster, by name (``namespaces_for_user``)."""
    return namespaces.select_related("team", "cluster").order_by("name")


def team_memberships_for_user(*, user) -> QuerySet[TeamMembership]:
    return TeamMembership.objects.filter(user=user).select_related("team").order_by("team__name")


def namespaces_for_user(*, user) -> QuerySet[Namespace]:
    """Namespaces the user can see: all of the teams they manage, plus their own memberships."""
    namespaces = permissions.restrict(Namespace.objects.live(), user, permissions.VIEW_NAMESPACE)
    return namespace_list(namespaces)


def team_namespaces_for_user(*, user, team: Team) -> QuerySet[Namespace]:
    """The team's namespaces the user can see: all of them for its owners and managers (known
    from the roles the access check loaded, so the query needs no subquery of memberships)."""
    if permissions.team_role(user, team) in permissions.TEAM_ADMIN_ROLES:
        return _team_live_namespaces(team.pk)
    return namespaces_for_user(user=user).filter(team=team)


def _team_live_namespaces(team_id: int) -> QuerySet[Namespace]:
    return Namespace.objects.live().filter(team_id=team_id).select_related("team", "cluster").order_by("name")


@functools.cache
def _team_namespace_rows(fields: tuple[str, ...]) -> CompiledQuery:
    return CompiledQuery(
        lambda team_id: _team_live_namespaces(team_id).values(*fields), ID_STAND_IN, sliced=True
    )


def team_namespace_rows_for_user(*, user, team: Team, fields: tuple[str, ...]):
    """``team_namespaces_for_user`` as ``values(*fields)`` rows, and how many there are when known
    without a restricted count: for the team's owners and managers, who see every live
    namespace, its SQL built once per process (``core.compiled``; 0.5 ms of Python on every team
    page) and the count read with the team (``team_for_user(counted=True)`` gives ``team``); for
    anyone else the queryset and None (paginate counts)."""
    if permissions.team_role(user, team) in permissions.TEAM_ADMIN_ROLES:
        counted = team.counted_live_namespaces  # type: ignore[attr-defined]  # team_for_user(counted=True)
        return CompiledPages(_team_namespace_rows(fields), team.pk), counted
    return team_namespaces_for_user(user=user, team=team).values(*fields), None


def team_members(*, team: Team) -> QuerySet[TeamMembership]:
    return TeamMembership.objects.filter(team=team).select_related("user").order_by("user__email")


def _grouped_count(rows: QuerySet) -> QuerySet:
    """``rows`` counted, as one row per team (none when there are no rows): a count whose SQL
    ``core.compiled`` can keep (a queryset's ``count()`` is run as soon as it is asked)."""
    return rows.order_by().values("team_id").annotate(n=Count("pk")).values_list("n")


def _count(query: CompiledQuery, value: int) -> int:
    """What a compiled count of one row (or none: 0) gives for the id ``value``."""
    rows = query.rows(value)
    return rows[0][0] if rows else 0


def _counted(rows: QuerySet) -> Coalesce:
    """How many of ``rows`` are the outer team's, as a column of the team's row (0 for none)."""
    return Coalesce(Subquery(_grouped_count(rows.filter(team_id=OuterRef("pk")))), 0)


def _team_page_counts() -> dict[str, Coalesce]:
    """What the team page counts, read with the team (``team_for_user(counted=True)``): its
    members (``team_members``), live namespaces (``team_namespaces_for_user`` for its owners and
    managers) and pending invitations (``team_pending_invitations``, by the database's clock)."""
    return {
        "counted_members": _counted(TeamMembership.objects.all()),
        "counted_live_namespaces": _counted(Namespace.objects.live()),
        "counted_pending_invitations": _counted(
            Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__gt=Now())
        ),
    }


@functools.cache
def _team_member_rows(fields: tuple[str, ...]) -> CompiledQuery:
    return CompiledQuery(
        lambda team_id: (
            TeamMembership.objects.filter(team_id=team_id).order_by("user__email").values(*fields)
        ),
        ID_STAND_IN,
        sliced=True,
    )


def team_member_rows(*, team: Team, fields: tuple[str, ...]) -> CompiledPages:
    """``team_members`` as ``values(*fields)`` rows, a page at a time, the SQL built once per
    process (``core.compiled``)."""
    return CompiledPages(_team_member_rows(fields), team.pk)


def namespace_members(*, namespace: Namespace) -> QuerySet[NamespaceMembership]:
    return (
        NamespaceMembership.objects.filter(namespace=namespace).select_related("user").order_by("user__email")
    )


def team_pending_invitations(*, team: Team | int) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(team=team, status=InvitationStatus.PENDING, expires_at__gt=Now())
        .select_related("namespace", "invited_by")
        .order_by("-created_at")
    )


# The page of them the team page shows: 0.15 ms of Python to build on every team page an owner
# or manager opens, even with no invitation to read.
_PENDING_INVITATIONS = CompiledQuery(
    lambda team_id: team_pending_invitations(team=team_id), ID_STAND_IN, sliced=True
)


def team_pending_invitation_pages(*, team: Team) -> CompiledPages:
    """``team_pending_invitations`` (with their namespaces and inviters), a page at a time, the
    SQL built once per process (``core.compiled``)."""
    return CompiledPages(_PENDING_INVITATIONS, team.pk, read="all")


def _verified_address_of(user) -> Exists:
    """An invitation's address is one of ``user``'s (a user or their id) verified ones."""
    from allauth.account.models import EmailAddress

    return Exists(EmailAddress.objects.filter(user=user, verified=True, email__iexact=OuterRef("email")))


def pending_invitations_for_user(*, user) -> QuerySet[Invitation]:
    """Invitations addressed to any of the user's verified email addresses, expired by the
    database's clock, as ``pending_invitation_count_for_user`` counts them."""
    return (
        Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__gt=Now())
        .filter(_verified_address_of(user))
        .select_related("team", "namespace", "invited_by")
        .order_by("-created_at")
    )


# Counted against the database's clock (``Now()``), as the team page's pending invitations, so
# that the count has no parameter but the user's and is compiled once per process (0.4 ms of
# Python on every dashboard); the invitations listed (read only when there are any) are expired
# by the same clock, so both agree. One row (all are pending) or none.
_PENDING_INVITATION_COUNT_FOR_USER = CompiledQuery(
    lambda user_id: (
        Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__gt=Now())
        .filter(_verified_address_of(user_id))
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("n")
    ),
    ID_STAND_IN,
)


def pending_invitation_count_for_user(*, user) -> int:
    """How many invitations ``pending_invitations_for_user`` lists; none for an anonymous user."""
    if not user.is_authenticated:
        return 0
    return _count(_PENDING_INVITATION_COUNT_FOR_USER, user.pk)


def team_audit_events(*, team: Team, action: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(team=team)
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_repr__icontains=actor)
    return events.order_by("-created_at", "-id")


def pending_trust_request(*, team: Team) -> TrustLevelRequest | None:
    return TrustLevelRequest.objects.filter(team=team, status=TrustRequestStatus.PENDING).first()


def pending_trust_requests() -> QuerySet[TrustLevelRequest]:
    return (
        TrustLevelRequest.objects.filter(status=TrustRequestStatus.PENDING)
        .select_related("team", "requested_by")
        .order_by("created_at")
    )


def team_live_namespace_count(*, team: Team) -> int:
    return Namespace.objects.live().filter(team=team).exclude(status=NamespaceStatus.TERMINATING).count()


def team_for_user(
    *,
    user,
    slug: str,
    perm: str = permissions.VIEW_TEAM,
    related: tuple[str, ...] = (),
    counted: bool = False,
) -> Team:
    """A team the user holds ``perm`` in (404 to outsiders, 403 to members without it);
    ``related`` names what the floors above keep beside it (one-to-one), loaded in the same query;
    ``counted``: with what the team page counts (``_team_page_counts``) in the same query too,
    three queries fewer there.

    The lookup is compiled once per process for each ``related`` (``core.compiled``): 0.15 to
    0.25 ms of Python on every team page."""
    found = _team_lookup(related, counted).all(slug)
    if not found:
        raise Http404(f"No {Team._meta.object_name} matches the given query.")
    team = found[0]  # slugs are unique
    permissions.require_team_perm(user, perm, team)
    return team


@functools.cache  # one per ``related`` the code names, counted or not
def _team_lookup(related: tuple[str, ...], counted: bool = False) -> CompiledQuery:
    def build(slug: str) -> QuerySet[Team]:
        teams = Team.objects.select_related(*related).filter(slug=slug)
        return teams.annotate(**_team_page_counts()) if counted else teams

    return CompiledQuery(build, "compiled-stand-in-for-a-team-slug")


def namespace_for_user(
    *, user, name: str, perm: str = permissions.VIEW_NAMESPACE, related: tuple[str, ...] = ()
) -> Namespace:
    """A live namespace the user holds ``perm`` on (404 to outsiders, 403 to members without
    it); ``related`` names what the floors above keep beside it, loaded in the same query.

    The lookup is compiled once per process for each ``related`` (``core.compiled``): with its
    related rows it cost 0.5 ms of Python to compile on every namespace page."""
    lookup = _NAMESPACE_LOOKUPS.get(related)
    if lookup is None:
        lookup = _NAMESPACE_LOOKUPS.setdefault(related, _namespace_lookup(related))
    found = lookup.all(name)
    if not found:
        raise Http404(f"No {Namespace._meta.object_name} matches the given query.")
    if len(found) > 1:  # as get() would: live names are unique
        raise Namespace.MultipleObjectsReturned(
            f"get() returned more than one Namespace -- it returned {len(found)}!"
        )
    namespace = found[0]
    permissions.require_namespace_perm(user, perm, namespace)
    return namespace


_NAMESPACE_LOOKUPS: dict[tuple[str, ...], CompiledQuery] = {}


def _namespace_lookup(related: tuple[str, ...]) -> CompiledQuery:
    return CompiledQuery(
        lambda name: Namespace.objects.live().select_related("team", "cluster", *related).filter(name=name),
        "compiled-stand-in-for-a-namespace-name",
    )


def team_namespace(*, team: Team, name: str) -> Namespace:
    """A live namespace of a team the caller already passed the access check for (404 otherwise)."""
    return get_object_or_404(Namespace.objects.live().filter(team=team), name=name)


def team_membership(*, team: Team, membership_id: int) -> TeamMembership:
    """A membership of a team the caller already passed the access check for (404 otherwise)."""
    return get_object_or_404(TeamMembership.objects.select_related("user"), team=team, pk=membership_id)


def namespace_membership_for_user(*, namespace: Namespace, membership_id: int) -> NamespaceMembership:
    return get_object_or_404(
        NamespaceMembership.objects.select_related("user"), namespace=namespace, pk=membership_id
    )


def invitation_for_team(*, team: Team, invitation_id: int) -> Invitation:
    return get_object_or_404(Invitation, team=team, pk=invitation_id)


def own_team_membership(*, user, team: Team) -> TeamMembership:
    return get_object_or_404(TeamMembership.objects.select_related("user"), team=team, user=user)


def transferable_memberships(*, user, team: Team) -> QuerySet[TeamMembership]:
    """Team members who could receive ownership from ``user`` (everyone but the user)."""
    return team_members(team=team).exclude(user=user)


def team_members_outside_namespace(*, namespace: Namespace) -> QuerySet[TeamMembership]:
    """Team members not yet in the namespace: the ones that can be added to it."""
    inside = NamespaceMembership.objects.filter(namespace=namespace).values("user_id")
    return team_members(team=namespace.team).exclude(user_id__in=inside)


def invitation_for_invitee(*, user, invitation_id: int) -> Invitation:
    """A pending invitation addressed to one of the user's verified emails; 404 otherwise."""
    return get_object_or_404(pending_invitations_for_user(user=user), pk=invitation_id)


def user_has_verified_email(*, user, email: str) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def api_tokens_for_user(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_for_user(*, user, token_id: int) -> ApiToken:
    return get_object_or_404(ApiToken, user=user, pk=token_id)

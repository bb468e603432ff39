"""Namespace lifecycle in the console; the cluster follows through the provisioning workers."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clusters.connections import default_cluster
from clusters.models import NamespaceProvisioning
from clusters.placement import placement_cluster
from clusters.provisioning import namespace_name_on_cluster
from metering.models import NamespaceRuntimePolicy
from metering.services.quotas import namespace_quota_initialize, namespace_slot_check
from tenants import permissions
from tenants.models import (
    DNS1123_LABEL,
    Invitation,
    InvitationStatus,
    Namespace,
    NamespaceStatus,
    Team,
    TeamMembership,
    TeamRole,
)
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed
from tenants.services.teams import team_create, unique_slug

RESERVED_PREFIXES = ("kube-", "tenantry-", "openshift-")
RESERVED_NAMES = {"default", "kube-system", "kube-public", "kube-node-lease"}


def reserved_namespace_names() -> set[str]:
    """Names the cluster or its add-ons use: Kubernetes' own, the console's system and
    ingress namespaces, and ``TENANTRY_RESERVED_NAMESPACES``."""
    return {
        *RESERVED_NAMES,
        settings.TENANTRY_SYSTEM_NAMESPACE,
        settings.TENANTRY_INGRESS_NAMESPACE,
        *settings.TENANTRY_RESERVED_NAMESPACES,
    }


def _name_problem(name: str, cluster) -> str | None:
    """Why ``name`` cannot be a new namespace, or None. Checks the cluster last (one request)."""
    if name in reserved_namespace_names() or name.startswith(RESERVED_PREFIXES):
        return f"'{name}' is reserved for the cluster itself; choose another name."
    if Namespace.objects.live().filter(name=name).exists():
        return f"A namespace called '{name}' already exists; choose another name."
    if namespace_name_on_cluster(name=name, cluster=cluster):
        return f"'{name}' is taken on the cluster by a namespace the console does not manage; choose another name."
    return None


def validate_namespace_name(name: str, *, cluster) -> None:
    if len(name) > 63:
        raise ValidationError({"name": _("At most 63 characters.")})
    try:
        DNS1123_LABEL(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    problem = _name_problem(name, cluster)
    if problem:
        raise ValidationError({"name": problem})


@transaction.atomic
def namespace_create(
    *, actor, team: Team, name: str, display_name: str = "", base_name: str = "", cluster=None
) -> Namespace:
    """Create a namespace record and schedule its provisioning.

    With no ``name``, one is derived from ``base_name`` (used for personal namespaces). The
    namespace lives on ``cluster`` for its whole life: one the team may use (its placement),
    its placement's default when none is given (the default cluster, made if need be).
    """
    cluster = placement_cluster(team=team, cluster=cluster) or default_cluster()
    name = name.strip().lower()
    if not name:
        # A derived name steps around reserved and taken names instead of failing signup.
        base = base_name or team.slug
        if base.startswith(RESERVED_PREFIXES):
            base = f"ns-{base}"
        name = unique_slug(base, taken=lambda s: _name_problem(s, cluster) is not None, max_length=63)
    validate_namespace_name(name, cluster=cluster)
    namespace_slot_check(team=team)
    namespace = Namespace.objects.create(
        team=team, name=name, display_name=display_name.strip(), cluster=cluster, created_by=actor
    )
    NamespaceProvisioning.objects.create(namespace=namespace)
    NamespaceRuntimePolicy.objects.create(namespace=namespace)
    audit_record(
        actor=actor,
        action="namespace.created",
        target=namespace,
        data={"name": name, "cluster": cluster.name},
    )
    namespace_quota_initialize(actor=actor, namespace=namespace)
    namespace_changed(namespace)
    return namespace


@transaction.atomic
def namespace_delete(*, actor, namespace: Namespace) -> Namespace:
    """Mark the namespace terminating; the worker deletes it on the cluster and then the record."""
    namespace = Namespace.objects.select_for_update().get(pk=namespace.pk)
    if namespace.status == NamespaceStatus.TERMINATING:
        return namespace
    namespace.status = NamespaceStatus.TERMINATING
    namespace.save(update_fields=["status"])
    audit_record(actor=actor, action="namespace.deleted", target=namespace, data={"name": namespace.name})
    namespace_changed(namespace)
    return namespace


@transaction.atomic
def personal_team_create(*, user) -> Team | None:
    """A verified account's personal team (trust level public) with one namespace.

    Called when the account's email address is verified; once per account, so confirming a
    second address (or confirming again) changes nothing.
    """
    if not settings.TENANTRY_PERSONAL_TEAM_ON_SIGNUP:
        return None
    # Lock the user's row so two confirmations at once cannot both create a team.
    type(user).objects.select_for_update().filter(pk=user.pk).first()
    existing = Team.objects.filter(
        is_personal=True, memberships__user=user, memberships__role=TeamRole.OWNER
    ).first()
    if existing is not None:
        return existing
    local = user.email.split("@")[0] if user.email else user.get_username()
    team = team_create(actor=user, name=f"{local}'s team", slug="", is_personal=True)
    namespace_create(actor=user, team=team, name="", display_name=f"{local} (personal)", base_name=local)
    return team


@transaction.atomic
def team_delete(*, actor, team: Team, confirm_slug: str) -> int:
    """Delete a team: its namespaces go (on the cluster too), then every membership and pending
    invitation. The team's row stays with its billing history for finance, out of everyone's
    lists (nobody is a member). Needs the team's address typed as confirmation; returns how
    many namespaces are being deleted.
    """
    if not permissions.has_team_perm(actor, permissions.MANAGE_OWNERS, team):
        raise PermissionDenied(_("Only owners delete the team."))
    if confirm_slug.strip() != team.slug:
        raise ValidationError(
            {"confirm_slug": _("Type %(team)s exactly to delete the team.") % {"team": team.slug}}
        )
    namespaces = list(Namespace.objects.live().filter(team=team).exclude(status=NamespaceStatus.TERMINATING))
    for namespace in namespaces:
        namespace_delete(actor=actor, namespace=namespace)
    invitations = Invitation.objects.filter(team=team, status=InvitationStatus.PENDING)
    invitations.update(status=InvitationStatus.REVOKED)
    members = list(TeamMembership.objects.filter(team=team).values_list("user__email", flat=True))
    TeamMembership.objects.filter(team=team).delete()
    audit_record(
        actor=actor,
        action="team.deleted",
        target=team,
        data={"namespaces": sorted(ns.name for ns in namespaces), "members": sorted(members)},
    )
    return len(namespaces)

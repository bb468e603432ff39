"""Team and namespace memberships, with the rules that keep every team owned."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants import permissions
from tenants.models import Namespace, NamespaceMembership, Team, TeamMembership, TeamRole
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed


def _lock_owners(team: Team) -> int:
    """Lock the team's owner rows and count them, so two demotions cannot both pass."""
    return len(
        list(
            TeamMembership.objects.select_for_update()
            .filter(team=team, role=TeamRole.OWNER)
            .values_list("pk")
        )
    )


def team_namespaces_changed(team: Team) -> None:
    """Something every namespace of the team carries changed: re-apply them all (on commit)."""
    for namespace in _team_namespaces(team):
        namespace_changed(namespace)


def _team_namespaces(team: Team) -> list[Namespace]:
    """A team role change can alter bindings in every namespace of the team."""
    return list(Namespace.objects.filter(team=team))


@transaction.atomic
def membership_set_role(*, actor, membership: TeamMembership, role: str) -> TeamMembership:
    if role not in TeamRole.values:
        raise ValidationError({"role": _("Unknown role '%(role)s'.") % {"role": role}})
    membership = (
        TeamMembership.objects.select_for_update(of=("self",))
        .select_related("team", "user")
        .get(pk=membership.pk)
    )
    team = membership.team
    if not permissions.may_assign_team_role(actor, team, current=membership.role, new=role):
        raise PermissionDenied(_("Only owners can grant or take away the owner role."))
    if membership.role == role:
        return membership
    if membership.role == TeamRole.OWNER and _lock_owners(team) <= 1:
        raise ValidationError({"role": _("A team needs at least one owner. Make someone else owner first.")})
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="member.role_changed",
        target=membership.user,
        team=team,
        data={"email": membership.user.email, "from": old, "to": role},
    )
    team_namespaces_changed(team)
    return membership


@transaction.atomic
def membership_remove(*, actor, membership: TeamMembership) -> None:
    """Remove someone from the team and every namespace of it; their RoleBindings go with them."""
    membership = (
        TeamMembership.objects.select_for_update(of=("self",))
        .select_related("team", "user")
        .get(pk=membership.pk)
    )
    team, user = membership.team, membership.user
    is_self = actor.pk == user.pk
    if not is_self and not permissions.may_assign_team_role(
        actor, team, current=membership.role, new=TeamRole.MEMBER
    ):
        raise PermissionDenied(_("Only owners can remove an owner."))
    if membership.role == TeamRole.OWNER and _lock_owners(team) <= 1:
        raise ValidationError(_("The last owner cannot leave or be removed. Transfer ownership first."))
    namespaces = _team_namespaces(team)
    NamespaceMembership.objects.filter(namespace__team=team, user=user).delete()
    membership.delete()
    audit_record(
        actor=actor,
        action="member.left" if is_self else "member.removed",
        target=user,
        team=team,
        data={"email": user.email, "role": membership.role},
    )
    for namespace in namespaces:
        namespace_changed(namespace)


@transaction.atomic
def ownership_transfer(*, actor, team: Team, new_owner: TeamMembership) -> None:
    """Make ``new_owner`` an owner and step the acting owner down to manager."""
    if permissions.team_role(actor, team) != TeamRole.OWNER:
        raise PermissionDenied(_("Only an owner can transfer ownership."))
    new_owner = (
        TeamMembership.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=new_owner.pk, team=team)
    )
    if new_owner.user_id == actor.pk:
        raise ValidationError({"member": _("You already own this team; choose someone else.")})
    mine = TeamMembership.objects.select_for_update().get(team=team, user=actor)
    new_owner.role = TeamRole.OWNER
    new_owner.save(update_fields=["role"])
    mine.role = TeamRole.MANAGER
    mine.save(update_fields=["role"])
    audit_record(
        actor=actor, action="team.ownership_transferred", target=team, data={"to": new_owner.user.email}
    )
    for namespace in _team_namespaces(team):
        namespace_changed(namespace)


@transaction.atomic
def team_membership_add(*, actor, team: Team, user, role: str) -> TeamMembership:
    membership, created = TeamMembership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    if created:
        audit_record(
            actor=actor,
            action="member.added",
            target=user,
            team=team,
            data={"email": user.email, "role": role},
        )
        # Owners and managers administer every namespace; every member may be named in its
        # RoleBindings (the Namespace lists them for the admission policy).
        team_namespaces_changed(team)
    return membership


@transaction.atomic
def namespace_membership_set(*, actor, namespace: Namespace, user, role: str) -> NamespaceMembership:
    """Add a team member to a namespace or change their role there."""
    if not TeamMembership.objects.filter(team_id=namespace.team_id, user=user).exists():
        raise ValidationError({"user": _("Only members of the team can be added to its namespaces.")})
    membership, created = NamespaceMembership.objects.select_for_update().get_or_create(
        namespace=namespace, user=user, defaults={"role": role}
    )
    if not created and membership.role == role:
        return membership
    old = None if created else membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="namespace_member.added" if created else "namespace_member.role_changed",
        target=namespace,
        data={"email": user.email, "from": old, "to": role},
    )
    namespace_changed(namespace)
    return membership


@transaction.atomic
def namespace_membership_remove(*, actor, membership: NamespaceMembership) -> None:
    namespace, user = membership.namespace, membership.user
    membership.delete()
    audit_record(actor=actor, action="namespace_member.removed", target=namespace, data={"email": user.email})
    namespace_changed(namespace)

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tenants.models import AuditEvent, NamespaceMembership, TeamMembership
from tenants.services.memberships import membership_remove, membership_set_role, ownership_transfer

pytestmark = pytest.mark.django_db


def _membership(world, user):
    return TeamMembership.objects.get(team=world.team, user=user)


def test_last_owner_cannot_be_demoted(world):
    with pytest.raises(ValidationError, match="at least one owner"):
        membership_set_role(actor=world.owner, membership=_membership(world, world.owner), role="manager")


def test_last_owner_cannot_leave(world):
    with pytest.raises(ValidationError, match="last owner"):
        membership_remove(actor=world.owner, membership=_membership(world, world.owner))


def test_last_owner_cannot_be_removed_by_a_manager(world):
    with pytest.raises(PermissionDenied):
        membership_remove(actor=world.manager, membership=_membership(world, world.owner))


def test_manager_cannot_grant_owner(world):
    with pytest.raises(PermissionDenied):
        membership_set_role(actor=world.manager, membership=_membership(world, world.member), role="owner")


def test_manager_changes_roles_below_owner_and_it_is_audited(world):
    membership_set_role(actor=world.manager, membership=_membership(world, world.member), role="billing")
    assert _membership(world, world.member).role == "billing"
    event = AuditEvent.objects.get(action="member.role_changed")
    assert event.data == {"email": world.member.email, "from": "member", "to": "billing"}
    assert event.team == world.team


def test_ownership_transfer_keeps_one_owner_and_steps_down_the_old_one(world):
    ownership_transfer(actor=world.owner, team=world.team, new_owner=_membership(world, world.manager))
    assert _membership(world, world.manager).role == "owner"
    assert _membership(world, world.owner).role == "manager"


def test_second_owner_can_leave(world):
    membership_set_role(actor=world.owner, membership=_membership(world, world.manager), role="owner")
    membership_remove(actor=world.owner, membership=_membership(world, world.owner))
    assert not TeamMembership.objects.filter(team=world.team, user=world.owner).exists()


def test_removing_a_member_removes_their_namespace_memberships(world):
    membership_remove(actor=world.manager, membership=_membership(world, world.developer))
    assert not NamespaceMembership.objects.filter(user=world.developer).exists()
    assert AuditEvent.objects.filter(action="member.removed", team=world.team).exists()

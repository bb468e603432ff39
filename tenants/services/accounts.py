"""Staff actions on people's accounts."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants import permissions
from tenants.models import ApiToken, Namespace, TeamMembership
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed

# Sent after commit with ``user_id``: the account's credentials were revoked; the clusters
# floor, which listens, revokes its kubeconfig tokens on every cluster.
credentials_revoked = Signal()


def _namespaces_of_teams(user) -> list[Namespace]:
    team_ids = TeamMembership.objects.filter(user=user).values("team_id")
    return list(Namespace.objects.live().filter(team_id__in=team_ids))


@transaction.atomic
def user_disable(*, actor, user, reason: str) -> int:
    """Disable an account: it can no longer sign in, its sessions and API tokens stop working at
    once, and its RoleBindings are removed on the next apply of every namespace it could reach.

    Returns how many namespaces will be re-applied. Audited once for the user and once per team,
    so each team's log shows it.
    """
    if not permissions.is_staff(actor):
        raise PermissionDenied(_("Only staff disable accounts."))
    if user.pk == actor.pk:
        raise ValidationError({"reason": _("You cannot disable your own account.")})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why; the reason goes into the audit log.")})
    if not user.is_active:
        return 0
    user.is_active = False  # the auth backend refuses inactive users: every session ends with it
    user.save(update_fields=["is_active"])
    now = timezone.now()
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    # Every namespace of the user's teams: the ones holding a RoleBinding for them are among these.
    namespaces = _namespaces_of_teams(user)
    for namespace in namespaces:
        namespace_changed(namespace)
    data = {"reason": reason, "tokens_revoked": revoked, "email": user.email}
    audit_record(actor=actor, action="user.disabled", target=user, team=None, data=data)
    for membership in TeamMembership.objects.filter(user=user).select_related("team"):
        audit_record(actor=actor, action="user.disabled", target=user, team=membership.team, data=data)
    return len(namespaces)


@transaction.atomic
def user_enable(*, actor, user) -> None:
    """Let a disabled account sign in again; its RoleBindings come back on the next apply."""
    if not permissions.is_staff(actor):
        raise PermissionDenied(_("Only staff enable accounts."))
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    for namespace in _namespaces_of_teams(user):
        namespace_changed(namespace)
    audit_record(actor=actor, action="user.enabled", target=user, team=None, data={"email": user.email})


@transaction.atomic
def user_credentials_revoke(*, user, reason: str) -> int:
    """After a password reset or two-factor turned off: the account's API tokens stop working
    at once and its kubeconfig tokens are revoked on every cluster (after commit). Audited;
    returns how many API tokens were revoked."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    data = {"reason": reason, "api_tokens_revoked": revoked}
    audit_record(actor=user, action="user.credentials_revoked", target=user, team=None, data=data)
    user_id = user.pk
    transaction.on_commit(lambda: credentials_revoked.send(sender=ApiToken, user_id=user_id))
    return revoked

"""Suspension of prepaid teams in debt, and exact resumption after a top-up.

Billing decides; the provisioner does. Suspending a team records ``suspended_at`` (audited in
the same transaction) and asks the provisioner to reconcile the team's namespaces: billing's
``suspended`` spec input (``BillingConfig.ready``) then makes their desired state a zero-pod
quota with the console's configured labels, and the provisioner scales the workloads to zero,
remembering what it changed (``clusters.suspension``). Resuming clears ``suspended_at`` and the
provisioner prunes the quota and restores exactly what it remembered. Only namespaces the
provisioner created and proved its own are asked for; it checks ownership again before writing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import Band, BillingAccount
from clusters.selectors import namespaces_owned_on_cluster
from tenants.models import BillingMode, Team
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed


def suspension_due(*, account: BillingAccount, team: Team, now: datetime) -> bool:
    """A prepaid team in debt for longer than BILLING_SUSPEND_GRACE_HOURS, not yet suspended."""
    return (
        team.billing_mode == BillingMode.PREPAID
        and account.band == Band.DEBT
        and account.debt_since is not None
        and account.debt_since <= now - timedelta(hours=settings.BILLING_SUSPEND_GRACE_HOURS)
        and account.suspended_at is None
    )


def resume_due(*, account: BillingAccount) -> bool:
    return account.suspended_at is not None and account.band != Band.DEBT


def _team_namespaces_changed(team: Team) -> None:
    for namespace in namespaces_owned_on_cluster().filter(team=team):
        namespace_changed(namespace)


@transaction.atomic
def team_suspend(*, team: Team, now: datetime | None = None) -> None:
    """Record the suspension; after commit the provisioner suspends every live namespace."""
    BillingAccount.objects.filter(team=team).update(suspended_at=now or timezone.now())
    audit_record(actor=None, action="billing.team.suspended", target=team, data={"reason": "debt"})
    _team_namespaces_changed(team)


@transaction.atomic
def team_resume(*, team: Team) -> None:
    """Clear the suspension; after commit the provisioner restores exactly what it changed."""
    BillingAccount.objects.filter(team=team).update(suspended_at=None)
    audit_record(actor=None, action="billing.team.resumed", target=team, data={})
    _team_namespaces_changed(team)


def suspensions_enforce(*, now: datetime | None = None) -> dict:
    """The hourly check: suspend teams past the debt grace period, resume teams out of debt."""
    now = now or timezone.now()
    suspended = resumed = 0
    accounts = (
        BillingAccount.objects.select_related("team")
        .filter(team__billing_mode=BillingMode.PREPAID)
        .filter(Q(band=Band.DEBT, suspended_at__isnull=True) | Q(suspended_at__isnull=False))
    )
    for account in accounts:
        if suspension_due(account=account, team=account.team, now=now):
            team_suspend(team=account.team, now=now)
            suspended += 1
        elif resume_due(account=account):
            team_resume(team=account.team)
            resumed += 1
    return {"suspended": suspended, "resumed": resumed}

"""Account security around the clusters: staff must use two-factor authentication, and a
password reset or turning two-factor off revokes the account's tokens.

The second factor itself is allauth.mfa's (TOTP with recovery codes): allauth asks for it at
every sign-in of an account that has one. This module decides who must have one and until
when they may go without, and listens to allauth's signals (connected in ``TenantsConfig``).
API tokens are a separate credential that never asks for the second factor, by design.
"""

from datetime import datetime, timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.utils import timezone

from tenants import permissions
from tenants.models import TwoFactorGrace
from tenants.services.accounts import user_credentials_revoke


def two_factor_required(user) -> bool:
    return permissions.is_staff(user)


def two_factor_deadline(user) -> datetime | None:
    """Until when ``user`` may go on without two-factor authentication; None when they need
    not have it or have it. The grace period starts the first time this is asked."""
    if not two_factor_required(user) or is_mfa_enabled(user):
        return None
    grace, _created = TwoFactorGrace.objects.get_or_create(user=user, defaults={"started_at": timezone.now()})
    return grace.started_at + timedelta(hours=settings.TENANTRY_STAFF_TWO_FACTOR_GRACE_HOURS)


def grace_from_first_sign_in(sender, *, user, **kwargs) -> None:
    """``user_logged_in``: a staff account without two-factor starts its grace period at its
    first sign-in (a page asked first, for an account made staff while signed in, starts it too)."""
    two_factor_deadline(user)


def revoke_after_password_reset(sender, *, user, **kwargs) -> None:
    """allauth's ``password_reset``: whoever held the old password may hold tokens too."""
    user_credentials_revoke(user=user, reason="password_reset")


def revoke_after_two_factor_removed(sender, *, user, authenticator, **kwargs) -> None:
    """allauth's ``authenticator_removed``: turning a second factor off ends the tokens issued
    while it guarded the account (recovery codes going with it change nothing more)."""
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        user_credentials_revoke(user=user, reason="two_factor_disabled")

"""Invitations: emailed, hashed, single-use, expiring, rate-limited per team."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.email import email_on_commit
from tenants import permissions
from tenants.locale import preferences_of, recipient_locale, supported_language, user_for_email
from tenants.models import (
    Invitation,
    InvitationStatus,
    Namespace,
    NamespaceMembership,
    Team,
    TeamMembership,
    TeamRole,
)
from tenants.services.audit import audit_record
from tenants.services.memberships import namespace_membership_set, team_membership_add


def hash_invitation_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invitation_url(raw_token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[raw_token])


def _email_invitation(invitation: Invitation, raw_token: str) -> None:
    """The link is the credential: sent by this process after commit, never through the broker.
    In the invitee's stored language when they have an account, else the invitation's."""
    context = {"invitation": invitation, "url": invitation_url(raw_token), "site_name": settings.SITE_NAME}
    with recipient_locale(user_for_email(invitation.email), default_language=invitation.language):
        email_on_commit(
            subject=_("You're invited to %(team)s on %(site)s")
            % {"team": invitation.team.name, "site": settings.SITE_NAME},
            body=render_to_string("tenants/email/invitation.txt", context),
            to=[invitation.email],
            secret=True,
        )


def _check_rate_limit(team: Team, now: datetime) -> None:
    """Refuse past the hourly limit. Counted under a lock on the team's row, held until the
    caller's transaction ends, so two requests at once cannot both pass the last free slot."""
    Team.objects.select_for_update().filter(pk=team.pk).first()
    recent = Invitation.objects.filter(team=team, created_at__gte=now - timedelta(hours=1)).count()
    limit = settings.TENANTRY_INVITATIONS_PER_TEAM_PER_HOUR
    if recent >= limit:
        raise ValidationError(
            _("This team has sent %(limit)d invitations in the last hour; try again later.")
            % {"limit": limit}
        )


@transaction.atomic
def invitation_create(
    *,
    actor,
    team: Team,
    email: str,
    team_role: str = TeamRole.MEMBER,
    namespace: Namespace | None = None,
    namespace_role: str = "",
    language: str = "",
    now: datetime,
) -> Invitation:
    """Invite ``email`` to the team (and optionally a namespace). The email goes out on commit.

    ``language`` (the email's and the link's pages') defaults to the invitee's stored language
    if they have an account, else the language the inviter is using.
    """
    email = email.strip()
    if not language:
        invitee = preferences_of(user_for_email(email))
        language = (invitee and invitee.language) or translation.get_language() or ""
    language = supported_language(language) or settings.LANGUAGE_CODE
    if not permissions.may_assign_team_role(actor, team, current=None, new=team_role):
        raise PermissionDenied(_("Only owners can invite new owners."))
    if team_role not in TeamRole.values:
        raise ValidationError({"team_role": _("Unknown role '%(role)s'.") % {"role": team_role}})
    if namespace is not None:
        if namespace.team_id != team.pk:
            raise ValidationError({"namespace": _("That namespace belongs to another team.")})
        if not namespace_role:
            raise ValidationError({"namespace_role": _("Choose the role in the namespace.")})
    if TeamMembership.objects.filter(team=team, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s is already a member of %(team)s.") % {"email": email, "team": team.name}}
        )
    pending = Invitation.objects.filter(
        team=team, email__iexact=email, status=InvitationStatus.PENDING, expires_at__gt=now
    ).exists()
    if pending:
        raise ValidationError(
            {"email": _("%(email)s already has a pending invitation; resend it instead.") % {"email": email}}
        )
    # A pending invitation past its expiry is expired now, freeing the slot for the new one.
    Invitation.objects.filter(team=team, email__iexact=email, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.EXPIRED
    )
    _check_rate_limit(team, now)
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        team=team,
        namespace=namespace,
        email=email,
        team_role=team_role,
        namespace_role=namespace_role if namespace else "",
        language=language,
        invited_by=actor,
        token_hash=hash_invitation_token(raw),
        expires_at=now + settings.TENANTRY_INVITATION_TTL,
        sent_at=now,
    )
    invitation.full_clean(exclude=["token_hash"])
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:  # a concurrent invite for the same address won the race
        raise ValidationError(
            {"email": _("%(email)s already has a pending invitation.") % {"email": email}}
        ) from exc
    audit_record(
        actor=actor,
        action="invitation.created",
        target=invitation,
        data={"email": email, "role": team_role, "namespace": namespace.name if namespace else None},
    )
    _email_invitation(invitation, raw)
    return invitation


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation, now: datetime) -> Invitation:
    """Send a fresh link (the old one stops working) and restart the expiry clock."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("team").get(pk=invitation.pk)
    )
    if not permissions.may_assign_team_role(actor, invitation.team, current=None, new=invitation.team_role):
        raise PermissionDenied(_("Only owners can resend an invitation to become owner."))
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError(
            _("This invitation is %(status)s; create a new one instead.")
            % {"status": invitation.get_status_display().lower()}
        )
    _check_rate_limit(invitation.team, now)
    raw = secrets.token_urlsafe(32)
    invitation.token_hash = hash_invitation_token(raw)
    invitation.expires_at = now + settings.TENANTRY_INVITATION_TTL
    invitation.sent_at = now
    invitation.save(update_fields=["token_hash", "expires_at", "sent_at"])
    audit_record(actor=actor, action="invitation.resent", target=invitation, data={"email": invitation.email})
    _email_invitation(invitation, raw)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError(
            _("This invitation is already %(status)s.") % {"status": invitation.get_status_display().lower()}
        )
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status"])
    audit_record(
        actor=actor, action="invitation.revoked", target=invitation, data={"email": invitation.email}
    )
    return invitation


@transaction.atomic
def invitation_decline(*, actor, invitation: Invitation) -> Invitation:
    """The invitee says no. ``actor`` is None when declined from the emailed link signed out."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError(
            _("This invitation is already %(status)s.") % {"status": invitation.get_status_display().lower()}
        )
    invitation.status = InvitationStatus.DECLINED
    invitation.save(update_fields=["status"])
    audit_record(
        actor=actor, action="invitation.declined", target=invitation, data={"email": invitation.email}
    )
    return invitation


def invitation_by_token(*, raw_token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("team", "namespace", "invited_by")
        .filter(token_hash=hash_invitation_token(raw_token))
        .first()
    )


def invitation_problem(*, invitation: Invitation | None, now: datetime) -> str:
    """Why an invitation cannot be accepted, or '' when it can."""
    if invitation is None:
        return _("This invitation link is not valid. Ask for a new invitation.")
    if invitation.status == InvitationStatus.ACCEPTED:
        return _("This invitation has already been used.")
    if invitation.status == InvitationStatus.REVOKED:
        return _("This invitation was revoked.")
    if invitation.status == InvitationStatus.DECLINED:
        return _("This invitation was declined.")
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        return _("This invitation has expired. Ask the team for a new one.")
    return ""


def _has_verified_email(user, email: str) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


@transaction.atomic
def invitation_accept(*, user, invitation: Invitation, now: datetime) -> TeamMembership:
    """Join the team (and namespace). Requires a verified address equal to the invited one."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("team", "namespace")
        .get(pk=invitation.pk)
    )
    problem = invitation_problem(invitation=invitation, now=now)
    if problem:
        raise ValidationError(problem)
    if not _has_verified_email(user, invitation.email):
        raise ValidationError(
            _("This invitation is for %(email)s. Sign in with that address (verified) to accept it.")
            % {"email": invitation.email}
        )
    membership = TeamMembership.objects.filter(team=invitation.team, user=user).first()
    if membership is None:
        membership = team_membership_add(
            actor=user, team=invitation.team, user=user, role=invitation.team_role
        )
    if (
        invitation.namespace is not None
        and not NamespaceMembership.objects.filter(namespace=invitation.namespace, user=user).exists()
    ):
        permissions.forget_roles(user)
        namespace_membership_set(
            actor=user, namespace=invitation.namespace, user=user, role=invitation.namespace_role
        )
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = now
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit_record(
        actor=user, action="invitation.accepted", target=invitation, data={"email": invitation.email}
    )
    permissions.forget_roles(user)
    return membership


def invitations_expire(*, now: datetime) -> int:
    """Mark pending invitations past their expiry as expired; returns how many."""
    return Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__lte=now).update(
        status=InvitationStatus.EXPIRED
    )

import os
import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from tenants.models import AuditEvent, Invitation, InvitationStatus, NamespaceMembership, TeamMembership
from tenants.services.invitations import (
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_decline,
    invitation_resend,
    invitation_revoke,
    invitations_expire,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _invite(world, email="New.Person@Example.com", **kwargs):
    """Create an invitation and return it with the raw token read from the sent email."""
    now = kwargs.pop("now", timezone.now())
    mail.outbox.clear()
    invitation = invitation_create(
        actor=kwargs.pop("actor", world.manager), team=world.team, email=email, now=now, **kwargs
    )
    return invitation


def _token_from_outbox() -> str:
    body = mail.outbox[-1].body
    url = next(line for line in body.splitlines() if "/invitations/" in line)
    return url.rstrip("/").split("/")[-1]


def test_invitation_email_is_sent_on_commit_with_a_token_that_is_stored_hashed(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(world)
    raw = _token_from_outbox()
    assert raw not in invitation.token_hash
    assert invitation_by_token(raw_token=raw) == invitation
    assert AuditEvent.objects.filter(team=world.team, action="invitation.created").count() == 1


def test_accepting_with_matching_verified_email_in_other_case_joins_team_and_namespace(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(world, namespace=world.namespace, namespace_role="viewer")
    invitee = UserFactory(username="new.person", email="new.person@example.com")
    invitation_accept(user=invitee, invitation=invitation, now=timezone.now())
    assert TeamMembership.objects.get(team=world.team, user=invitee).role == "member"
    assert NamespaceMembership.objects.get(namespace=world.namespace, user=invitee).role == "viewer"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED


def test_invitation_cannot_be_used_twice(world):
    invitation = _invite(world)
    invitee = UserFactory(username="x", email="new.person@example.com")
    invitation_accept(user=invitee, invitation=invitation, now=timezone.now())
    with pytest.raises(ValidationError, match="already been used"):
        invitation_accept(user=invitee, invitation=invitation, now=timezone.now())


def test_expired_invitation_cannot_be_accepted(world):
    invitation = _invite(world)
    invitee = UserFactory(username="x", email="new.person@example.com")
    with pytest.raises(ValidationError, match="expired"):
        invitation_accept(user=invitee, invitation=invitation, now=timezone.now() + timedelta(days=8))
    assert invitations_expire(now=timezone.now() + timedelta(days=8)) == 1


def test_revoked_invitation_cannot_be_accepted(world):
    invitation = _invite(world)
    invitation_revoke(actor=world.manager, invitation=invitation)
    invitee = UserFactory(username="x", email="new.person@example.com")
    with pytest.raises(ValidationError, match="revoked"):
        invitation_accept(user=invitee, invitation=invitation, now=timezone.now())


def test_wrong_email_cannot_accept(world):
    invitation = _invite(world)
    with pytest.raises(ValidationError, match="This invitation is for"):
        invitation_accept(user=world.outsider, invitation=invitation, now=timezone.now())
    assert not TeamMembership.objects.filter(team=world.team, user=world.outsider).exists()


def test_unverified_matching_email_cannot_accept(world):
    invitation = _invite(world)
    invitee = UserFactory(username="x", email="new.person@example.com", verified=False)
    EmailAddress.objects.create(user=invitee, email=invitee.email, verified=False)
    with pytest.raises(ValidationError):
        invitation_accept(user=invitee, invitation=invitation, now=timezone.now())


def test_inviting_an_existing_member_gives_a_clear_message(world):
    with pytest.raises(ValidationError) as excinfo:
        _invite(world, email=world.member.email.upper())
    assert "already a member" in str(excinfo.value.message_dict["email"])


def test_reinviting_a_pending_email_asks_to_resend(world):
    _invite(world)
    with pytest.raises(ValidationError) as excinfo:
        _invite(world, email="new.person@example.com")
    assert "resend" in str(excinfo.value.message_dict["email"])


def test_resend_invalidates_the_old_link(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(world)
    old = _token_from_outbox()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(actor=world.manager, invitation=invitation, now=timezone.now())
    new = _token_from_outbox()
    assert invitation_by_token(raw_token=old) is None
    assert invitation_by_token(raw_token=new) == invitation


def test_invitations_per_team_per_hour_are_rate_limited(world, settings):
    settings.TENANTRY_INVITATIONS_PER_TEAM_PER_HOUR = 3
    now = timezone.now()
    for i in range(3):
        _invite(world, email=f"p{i}@example.com", now=now)
    with pytest.raises(ValidationError, match="in the last hour"):
        _invite(world, email="p4@example.com", now=now)
    assert Invitation.objects.filter(team=world.team).count() == 3


def test_manager_cannot_invite_an_owner(world):
    with pytest.raises(PermissionDenied):
        _invite(world, team_role="owner")
    _invite(world, team_role="owner", actor=world.owner)


def test_manager_cannot_resend_an_owner_invitation(world):
    invitation = _invite(world, team_role="owner", actor=world.owner)
    with pytest.raises(PermissionDenied):
        invitation_resend(actor=world.manager, invitation=invitation, now=timezone.now())


def test_declined_invitation_cannot_be_accepted_and_the_decline_is_audited(world):
    invitation = _invite(world)
    invitee = UserFactory(username="x", email="new.person@example.com")
    invitation_decline(actor=invitee, invitation=invitation)
    assert AuditEvent.objects.filter(action="invitation.declined", actor=invitee).exists()
    with pytest.raises(ValidationError, match="declined"):
        invitation_accept(user=invitee, invitation=invitation, now=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_two_invitations_at_once_cannot_both_take_the_last_slot(world, settings):
    """Each thread has its own connection; the lock on the team's row serialises the count."""
    if connection.vendor != "postgresql":
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL points at PostgreSQL but the test database is not PostgreSQL")
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    settings.TENANTRY_INVITATIONS_PER_TEAM_PER_HOUR = 1
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def invite(email):
        try:
            barrier.wait(timeout=10)
            invitation_create(actor=world.owner, team=world.team, email=email, now=timezone.now())
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=invite, args=(e,)) for e in ("a@example.org", "b@example.org")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert Invitation.objects.filter(team=world.team).count() == 1

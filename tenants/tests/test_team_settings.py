"""Team settings: owners rename, move the billing time zone (warned about the current day), ask
to become trusted and delete the team; staff set trust level and billing mode. All audited."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from metering.models import NamespaceRuntime
from tenants.models import (
    AuditEvent,
    Invitation,
    InvitationStatus,
    Namespace,
    NamespaceStatus,
    Team,
    TeamMembership,
    TrustLevelRequest,
)
from tenants.services.teams import time_zone_change_effect

pytestmark = pytest.mark.django_db


def test_owner_renames_the_team_and_the_slug_stays(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("team_rename", args=["acme"]), {"name": "Acme Shop"})
    assert response.status_code == 302
    team = Team.objects.get(pk=world.team.pk)
    assert (team.name, team.slug) == ("Acme Shop", "acme")
    assert AuditEvent.objects.get(action="team.renamed").data == {"from": "Acme", "to": "Acme Shop"}


def test_a_blank_name_is_a_field_error(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("team_rename", args=["acme"]), {"name": " "})
    assert response.status_code == 400
    assert (
        "Give the team a name." in response.content.decode()
        or "This field is required." in response.content.decode()
    )


def test_managers_get_403_on_settings(client, world):
    client.force_login(world.manager)
    assert client.get(reverse("team_settings", args=["acme"])).status_code == 403


@pytest.mark.parametrize(
    ("old", "new", "hours"),  # in June: New York is on daylight time (UTC-4)
    [
        ("UTC", "UTC", 0),
        ("UTC", "America/New_York", 4),
        ("UTC", "Asia/Tokyo", -9),
        ("Europe/Berlin", "Europe/Paris", 0),
    ],
)
def test_time_zone_effect_on_the_current_day(world, old, new, hours):
    world.team.time_zone = old
    effect = time_zone_change_effect(
        team=world.team, time_zone=new, now=datetime(2026, 6, 10, 12, tzinfo=UTC)
    )
    assert effect.hours == hours


def test_moving_the_time_zone_needs_confirmation_when_hours_move(client, world):
    client.force_login(world.owner)
    url = reverse("team_time_zone", args=["acme"])
    response = client.post(url, {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "9 hours before the previous day ended" in html and "billed in both days" in html
    assert Team.objects.get(pk=world.team.pk).time_zone == "UTC"
    assert client.post(url, {"time_zone": "Asia/Tokyo", "confirm": "on"}).status_code == 302
    assert Team.objects.get(pk=world.team.pk).time_zone == "Asia/Tokyo"
    event = AuditEvent.objects.get(action="team.time_zone_changed")
    assert event.data == {"from": "UTC", "to": "Asia/Tokyo", "boundary_shift_hours": -9.0}


def test_an_unknown_time_zone_is_a_field_error(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("team_time_zone", args=["acme"]), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "is not a time zone" in response.content.decode()


def test_owner_asks_for_trust_and_staff_approve(client, world, django_capture_on_commit_callbacks):
    team = world.other_team  # public
    client.force_login(world.outsider)  # globex's owner
    client.post(reverse("team_trust_request", args=["globex"]), {"reason": "A registered company"})
    request = TrustLevelRequest.objects.get(team=team)
    assert request.status == "pending"
    page = client.get(reverse("team_settings", args=["globex"])).content.decode()
    assert "staff have not decided yet" in page
    again = client.post(reverse("team_trust_request", args=["globex"]), {"reason": "twice"})
    assert again.status_code == 400 and "already waiting" in again.content.decode()
    client.force_login(world.admin)
    assert "Teams asking to become trusted" in client.get(reverse("dashboard")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff_trust_request_decide", args=[request.pk, "approve"]))
    team.refresh_from_db()
    request.refresh_from_db()
    assert (team.trust_level, request.status) == ("trusted", "approved")
    assert AuditEvent.objects.filter(action="team.trust_level_changed", team=team).exists()
    # The runtime selection follows at once: a trusted team runs the nodes' runc.
    assert NamespaceRuntime.objects.get(namespace=world.other_namespace).chosen == "runc"


def test_owner_withdraws_a_request(client, world):
    client.force_login(world.outsider)
    client.post(reverse("team_trust_request", args=["globex"]), {"reason": "please"})
    client.post(reverse("team_trust_request", args=["globex"]), {"withdraw": "1"})
    assert TrustLevelRequest.objects.get(team=world.other_team).status == "withdrawn"


def test_staff_set_trust_level_and_billing_mode_with_a_reason(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("staff_team_settings", args=["acme"]),
        {"trust_level": "public", "billing_mode": "invoiced", "reason": "contract ended"},
    )
    assert response.status_code == 302
    team = Team.objects.get(pk=world.team.pk)
    assert (team.trust_level, team.billing_mode) == ("public", "invoiced")
    actions = set(AuditEvent.objects.filter(team=team).values_list("action", flat=True))
    assert {"team.trust_level_changed", "team.billing_mode_changed"} <= actions
    bad = client.post(
        reverse("staff_team_settings", args=["acme"]), {"trust_level": "root", "billing_mode": "x"}
    )
    assert bad.status_code == 400


def test_deleting_a_team_needs_its_address_typed(client, world):
    client.force_login(world.owner)
    url = reverse("team_delete", args=["acme"])
    page = client.get(url).content.decode()
    assert "1 namespace will be deleted on the cluster" in page
    response = client.post(url, {"confirm_slug": "Acme"})
    assert response.status_code == 400 and "Type acme exactly" in response.content.decode()
    assert TeamMembership.objects.filter(team=world.team).exists()


def test_deleting_a_team_deletes_its_namespaces_and_memberships(client, world):
    Invitation.objects.create(
        team=world.team,
        email="x@example.com",
        token_hash="h",
        expires_at=datetime(2099, 1, 1, tzinfo=UTC),
        invited_by=world.owner,
    )
    client.force_login(world.owner)
    response = client.post(reverse("team_delete", args=["acme"]), {"confirm_slug": "acme"})
    assert response.status_code == 302
    assert Namespace.objects.get(pk=world.namespace.pk).status == NamespaceStatus.TERMINATING
    assert not TeamMembership.objects.filter(team=world.team).exists()
    assert Invitation.objects.get(team=world.team).status == InvitationStatus.REVOKED
    event = AuditEvent.objects.get(action="team.deleted")
    assert event.data["namespaces"] == ["acme-dev"]
    assert client.get(reverse("team_detail", args=["acme"])).status_code == 404
    assert Team.objects.filter(pk=world.team.pk).exists()  # kept with its billing history

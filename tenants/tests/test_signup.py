"""Signing up through allauth: mandatory email verification and the personal team."""

import re

import pytest
from django.core import mail

from tenants.models import Namespace, Team, TeamMembership

pytestmark = pytest.mark.django_db

PASSWORD = "A-long-enough-passphrase-1"


def _sign_up(client, email="new@example.com"):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def test_signup_requires_email_verification_before_login(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    response = _sign_up(client)
    assert response.status_code == 302
    assert "confirm-email" in response.url
    assert client.get("/").status_code == 302  # not logged in until verified
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    assert client.post(path).status_code == 302
    assert client.get("/").status_code == 200


def test_signup_creates_a_public_personal_team_with_one_namespace_owned_by_the_user(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    _sign_up(client, "Grace.Hopper@example.com")
    team = Team.objects.get(is_personal=True)
    assert team.trust_level == "public"
    assert TeamMembership.objects.get(team=team).role == "owner"
    assert TeamMembership.objects.get(team=team).user.email == "grace.hopper@example.com"
    namespace = Namespace.objects.get(team=team)
    assert namespace.name == "grace-hopper"


def test_personal_team_can_be_switched_off(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    settings.TENANTRY_PERSONAL_TEAM_ON_SIGNUP = False
    _sign_up(client)
    assert not Team.objects.exists()

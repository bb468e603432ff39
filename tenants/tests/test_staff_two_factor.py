"""Staff must use two-factor authentication (allauth.mfa's TOTP), with a grace period from
the first time an account is seen as staff without it; a password reset or turning
two-factor off revokes the account's API and kubeconfig tokens. API tokens never ask for the
second factor, by design."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from clusters.kubeconfigs import kubeconfig_issue
from clusters.provisioning import namespace_provision
from tenants.models import ApiToken, AuditEvent, TwoFactorGrace
from tenants.services.tokens import api_token_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

GRACE = timedelta(hours=settings.TENANTRY_STAFF_TWO_FACTOR_GRACE_HOURS)
NOT_STAFF = ["owner", "member", "viewer", "outsider", "finance"]


def _code(secret: str) -> str:
    counter = list(yield_hotp_counters_from_time())[len(list(yield_hotp_counters_from_time())) // 2]
    return format_hotp_value(hotp_value(secret, counter))


def _with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _bearer(user) -> APIClient:
    _token, raw = api_token_create(user=user, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _sign_in(client, user, secret: str | None = None):
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    if secret is not None:
        assert response["Location"].startswith("/accounts/2fa/authenticate/")
        response = client.post("/accounts/2fa/authenticate/", {"code": _code(secret)})
    return response


def _reauthenticate(client) -> None:
    """allauth asks for the password again before two-factor settings change."""
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302


def test_staff_work_during_the_grace_period_and_are_told_until_when(client, world):
    client.force_login(world.admin)
    page = client.get("/clusters/")
    assert page.status_code == 200
    grace = TwoFactorGrace.objects.get(user=world.admin)
    assert "two-factor authentication" in page.content.decode()
    assert 'href="/accounts/2fa/totp/activate/"' in page.content.decode()
    client.get("/clusters/")
    assert TwoFactorGrace.objects.get(user=world.admin).started_at == grace.started_at  # from the first time


def test_after_the_grace_period_staff_are_sent_to_set_it_up(client, world):
    client.force_login(world.admin)
    client.get("/")
    with time_machine.travel(timezone.now() + GRACE + timedelta(minutes=1)):
        response = client.get("/clusters/")
        assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
        assert client.get("/staff/overview/", HTTP_HX_REQUEST="true")["HX-Redirect"] == (
            "/accounts/2fa/totp/activate/"
        )
        api = client.get("/api/v1/teams/")
        assert api.status_code == 403 and "two-factor" in api.json()["detail"]
        assert client.get("/admin/").status_code == 302
        # What they need to get there stays open.
        assert client.get("/accounts/2fa/").status_code == 200
        assert client.get("/accounts/2fa/totp/activate/").status_code in (200, 302)
        assert client.get("/healthz").status_code == 200
        assert client.post("/accounts/logout/").status_code == 302


def test_staff_with_two_factor_are_not_stopped_and_sign_in_asks_for_the_code(client, world):
    secret = _with_totp(world.admin)
    response = _sign_in(client, world.admin)
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/clusters/").status_code == 302  # not signed in before the code
    assert client.post("/accounts/2fa/authenticate/", {"code": _code(secret)}).status_code == 302
    with time_machine.travel(timezone.now() + GRACE + timedelta(hours=1)):
        page = client.get("/clusters/")
    assert page.status_code == 200 and "Set it up" not in page.content.decode()
    assert not TwoFactorGrace.objects.filter(user=world.admin).exists()


@pytest.mark.parametrize("persona", NOT_STAFF)
def test_people_who_are_not_staff_are_never_asked(client, world, persona):
    user = getattr(world, persona)
    client.force_login(user)
    with time_machine.travel(timezone.now() + GRACE + timedelta(hours=1)):
        page = client.get("/")
    assert page.status_code == 200
    assert "two-factor authentication" not in page.content.decode()
    assert not TwoFactorGrace.objects.filter(user=user).exists()


def test_api_tokens_bypass_the_second_factor_by_design(world):
    api = _bearer(world.admin)
    with time_machine.travel(timezone.now() + GRACE + timedelta(hours=1)):
        assert api.get("/api/v1/teams/").status_code == 200


def test_the_admin_site_signs_in_through_allauth(client, world):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.fixture
def provisioned(world, cluster):
    namespace_provision(namespace_id=world.namespace.pk)
    return world


def _kubeconfig_token(user) -> str:
    return re.search(r"token: (\S+)", kubeconfig_issue(user=user).text).group(1)


def _cluster_accepts(cluster, token: str) -> bool:
    import kubernetes

    from kubeemu.testing import api_client

    with api_client(cluster, token) as client:
        try:
            kubernetes.client.CoreV1Api(client).list_namespaced_config_map("acme-dev")
        except kubernetes.client.ApiException as refused:
            return refused.status != 401
    return True


def test_a_password_reset_revokes_api_and_kubeconfig_tokens_and_only_that_person_s(
    client, provisioned, cluster, django_capture_on_commit_callbacks
):
    world = provisioned
    user, bystander = world.developer, world.viewer
    api, theirs = _bearer(user), _bearer(bystander)
    token, bystander_token = _kubeconfig_token(user), _kubeconfig_token(bystander)
    assert _cluster_accepts(cluster, token) and api.get("/api/v1/teams/").status_code == 200

    client.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    form = client.get(link, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form.redirect_chain[-1][0],
            {"password1": "a new long passphrase 42", "password2": "a new long passphrase 42"},
        )
    assert done.status_code == 302

    assert api.get("/api/v1/teams/").status_code == 401
    assert not _cluster_accepts(cluster, token)
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    event = AuditEvent.objects.get(action="user.credentials_revoked")
    assert event.actor == user and event.data == {"reason": "password_reset", "api_tokens_revoked": 1}
    assert AuditEvent.objects.filter(action="kubeconfig.tokens_revoked", actor=user).exists()
    # Nobody else lost anything.
    assert theirs.get("/api/v1/teams/").status_code == 200
    assert _cluster_accepts(cluster, bystander_token)
    # A new kubeconfig works at once.
    assert _cluster_accepts(cluster, _kubeconfig_token(user))


def test_turning_two_factor_off_revokes_the_tokens(
    client, provisioned, cluster, django_capture_on_commit_callbacks
):
    world = provisioned
    user = world.developer
    secret = _with_totp(user)
    api = _bearer(user)
    token = _kubeconfig_token(user)
    _sign_in(client, user, secret)
    _reauthenticate(client)
    page = client.get("/accounts/2fa/totp/deactivate/")
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert api.get("/api/v1/teams/").status_code == 401
    assert not _cluster_accepts(cluster, token)
    event = AuditEvent.objects.get(action="user.credentials_revoked")
    assert event.data["reason"] == "two_factor_disabled"


def test_regenerating_recovery_codes_revokes_nothing(client, provisioned, django_capture_on_commit_callbacks):
    user = provisioned.developer
    secret = _with_totp(user)
    api = _bearer(user)
    _sign_in(client, user, secret)
    _reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/2fa/recovery-codes/generate/").status_code == 302
    assert api.get("/api/v1/teams/").status_code == 200
    assert not AuditEvent.objects.filter(action="user.credentials_revoked").exists()

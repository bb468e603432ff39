"""Who may call the API at all: sessions, Bearer tokens, and the token endpoints."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tenants.models import ApiToken, AuditEvent
from tenants.services.tokens import api_token_create

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/me/"),
    ("get", "/api/v1/teams/"),
    ("post", "/api/v1/teams/"),
    ("get", "/api/v1/teams/acme/"),
    ("get", "/api/v1/teams/acme/members/"),
    ("patch", "/api/v1/teams/acme/members/1/"),
    ("delete", "/api/v1/teams/acme/members/1/"),
    ("post", "/api/v1/teams/acme/transfer-ownership/"),
    ("get", "/api/v1/teams/acme/audit-events/"),
    ("get", "/api/v1/teams/acme/invitations/"),
    ("post", "/api/v1/teams/acme/invitations/"),
    ("post", "/api/v1/teams/acme/invitations/1/revoke/"),
    ("post", "/api/v1/teams/acme/invitations/1/resend/"),
    ("get", "/api/v1/invitations/mine/"),
    ("post", "/api/v1/invitations/accept/"),
    ("get", "/api/v1/namespaces/"),
    ("post", "/api/v1/namespaces/"),
    ("get", "/api/v1/namespaces/acme-dev/"),
    ("delete", "/api/v1/namespaces/acme-dev/"),
    ("get", "/api/v1/namespaces/acme-dev/members/"),
    ("post", "/api/v1/namespaces/acme-dev/members/"),
    ("patch", "/api/v1/namespaces/acme-dev/members/1/"),
    ("delete", "/api/v1/namespaces/acme-dev/members/1/"),
    ("get", "/api/v1/tokens/"),
    ("post", "/api/v1/tokens/"),
    ("delete", "/api/v1/tokens/1/"),
]


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_gets_401_with_a_bearer_challenge(world, method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_garbage_token_gets_401_everywhere(world, method, url):
    response = getattr(bearer("tnt_garbage"), method)(url, {}, format="json")
    assert response.status_code == 401


def test_bearer_token_authenticates_and_records_use(world):
    token, raw = api_token_create(user=world.manager, name="ci")
    response = bearer(raw).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == world.manager.email
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_bearer_token_writes_without_csrf(world):
    _, raw = api_token_create(user=world.manager, name="ci")
    client = bearer(raw)
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1/namespaces/", {"team": "acme", "name": "acme-ci"}, format="json")
    assert response.status_code == 201


def test_session_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.manager)
    response = client.post("/api/v1/namespaces/", {"team": "acme", "name": "acme-ci"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_bearer_token_keeps_the_users_permissions(world):
    _, raw = api_token_create(user=world.outsider, name="ci")
    assert bearer(raw).get("/api/v1/teams/acme/").status_code == 404
    _, raw = api_token_create(user=world.member, name="ci")
    assert bearer(raw).get("/api/v1/teams/acme/audit-events/").status_code == 403


def test_revoked_token_gets_401(world):
    token, raw = api_token_create(user=world.member, name="ci")
    assert session(world.member).delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert bearer(raw).get("/api/v1/me/").status_code == 401


def test_expired_token_gets_401(world):
    _, raw = api_token_create(user=world.member, name="ci", expires_at=timezone.now() + timedelta(days=1))
    assert bearer(raw).get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert bearer(raw).get("/api/v1/me/").status_code == 401


def test_token_of_an_inactive_user_gets_401(world):
    _, raw = api_token_create(user=world.member, name="ci")
    world.member.is_active = False
    world.member.save()
    assert bearer(raw).get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer \xff"])
def test_malformed_authorization_header_gets_401(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/me/").status_code == 401


# --- Token endpoints ---------------------------------------------------------------------


def test_create_token_shows_the_secret_once(world):
    client = session(world.member)
    response = client.post("/api/v1/tokens/", {"name": "laptop"}, format="json")
    assert response.status_code == 201
    raw = response.json()["token"]
    assert raw.startswith("tnt_")
    assert response.json()["prefix"] == raw[:10]
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["laptop"]
    assert "token" not in listed[0]
    assert bearer(raw).get("/api/v1/me/").json()["id"] == world.member.pk
    assert AuditEvent.objects.filter(action="api_token.created", actor=world.member).exists()


def test_api_tokens_expire_in_90_days_unless_null_is_asked_for(world):
    client = session(world.member)
    default = client.post("/api/v1/tokens/", {"name": "default"}, format="json").json()
    never = client.post("/api/v1/tokens/", {"name": "never", "expires_at": None}, format="json").json()
    expires = datetime.fromisoformat(default["expires_at"])
    assert timedelta(days=89, hours=23) < expires - timezone.now() <= timedelta(days=90)
    assert never["expires_at"] is None


def test_token_list_shows_only_my_tokens(world):
    api_token_create(user=world.outsider, name="theirs")
    api_token_create(user=world.member, name="mine")
    listed = session(world.member).get("/api/v1/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["mine"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ci", "expires_at": "yesterday"}, "expires_at"),
        ({"name": "ci", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_create_token_rejects_bad_input(world, payload, field):
    response = session(world.member).post("/api/v1/tokens/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_cannot_revoke_someone_elses_token(world):
    token, raw = api_token_create(user=world.outsider, name="theirs")
    assert session(world.member).delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert bearer(raw).get("/api/v1/me/").status_code == 200


def test_revoking_twice_is_harmless(world):
    token, _ = api_token_create(user=world.member, name="ci")
    client = session(world.member)
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1

"""403 and 404 pages: styled, with navigation, a reason only where it is safe, no traceback."""

import logging
import re
import sys

import pytest
from django.test import Client
from django.urls import reverse

from console.views import NOT_FOUND_REASON

pytestmark = pytest.mark.django_db


def _without_csrf_token(html: str) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_a_member_without_the_role_gets_a_styled_403_with_the_reason(client, world):
    client.force_login(world.member)
    response = client.get(reverse("team_audit", args=["acme"]))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your role in this team does not allow that." in body
    assert 'aria-label="Main"' in body  # the console's navigation
    assert reverse("dashboard") in body


def test_a_403_is_logged_on_one_line_without_a_traceback(client, world, caplog):
    client.force_login(world.member)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(reverse("team_audit", args=["acme"]))
    forbidden = [r for r in caplog.records if r.name == "django.request" and r.status_code == 403]
    assert [r.getMessage() for r in forbidden] == ["Forbidden (Permission denied): /teams/acme/audit/"]
    assert forbidden[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_a_500_still_logs_its_traceback(caplog):
    from console.observability.logs import ForbiddenWithoutTraceback

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.makeLogRecord(
            {"msg": "Internal Server Error", "status_code": 500, "exc_info": sys.exc_info()}
        )
    assert ForbiddenWithoutTraceback().filter(record)
    assert record.exc_info is not None


def test_another_teams_object_and_a_missing_one_get_the_same_styled_404(client, world):
    client.force_login(world.outsider)
    theirs = client.get(reverse("team_detail", args=["acme"]))
    missing = client.get(reverse("team_detail", args=["no-such-team"]))
    assert theirs.status_code == missing.status_code == 404
    body = theirs.content.decode()
    assert _without_csrf_token(body) == _without_csrf_token(missing.content.decode())
    assert NOT_FOUND_REASON in body
    assert 'aria-label="Main"' in body


def test_an_unknown_address_is_a_styled_404_signed_out_too(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert NOT_FOUND_REASON in body
    assert reverse("account_login") in body


def test_a_form_without_its_csrf_token_gets_a_styled_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    response = client.post(reverse("team_create"), {"name": "Sneaky"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "The form expired" in body
    assert 'aria-label="Main"' in body

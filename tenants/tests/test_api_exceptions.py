import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tenants.api.exceptions import exception_handler
from tests.api import client_for


def test_field_and_model_wide_errors_become_a_400_with_details():
    response = exception_handler(ValidationError({"__all__": ["Clash."], "name": ["Too long."]}), {})
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Clash."], "name": ["Too long."]}


def test_plain_messages_become_non_field_errors():
    response = exception_handler(ValidationError(["One.", "Two."]), {})
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["One.", "Two."]}


def test_permission_denied_keeps_its_reason_and_404_stays_generic():
    assert exception_handler(PermissionDenied("Owners only."), {}).data == {"detail": "Owners only."}
    assert exception_handler(PermissionDenied(), {}).status_code == 403
    not_found = exception_handler(Http404("No Team matches the given query."), {})
    assert not_found.status_code == 404
    assert "Team" not in str(not_found.data["detail"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/namespaces/acme%00dev/",
        "/api/v1/teams/acme/audit-events/?actor=a%00b",
        "/api/v1/teams/acme/quota-requests/?status=pending%00",
        "/api/v1/teams/?x%00=1",
        "/namespaces/acme%00dev/",
    ],
)
def test_a_nul_in_the_url_is_a_400(world, url):
    # PostgreSQL refuses NUL in text: lookups and filters with one were 500s there.
    response = client_for(world.owner).get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json() == {"detail": "The URL contains a NUL character."}

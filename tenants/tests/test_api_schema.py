import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/namespaces/{name}/members/{id}/" in schema["paths"]
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_schema_generates_without_warnings_or_errors(tmp_path):
    # --fail-on-warn turns every warning (unresolvable types, enum collisions…) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/teams/{slug}/transfer-ownership/:" in (tmp_path / "schema.yaml").read_text()


def test_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the docs page should load Swagger UI"
    for asset in assets:
        if asset.startswith("/api/docs/?script"):
            # Swagger UI's start-up script, served by the page itself rather than inline (CSP).
            script = client.get(asset)
            assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
            continue
        assert asset.startswith(settings.STATIC_URL), asset
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), f"{asset} is not a local static file"
    assert "://" not in " ".join(re.findall(r"<(?:script|link)[^>]*>", html))

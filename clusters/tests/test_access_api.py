"""POST /api/v1/kubeconfig/ and /api/v1/kubeconfig/revoke/: same rules as the Access page."""

import base64
import json

import jsonschema
import kubernetes
import pytest
import yaml
from rest_framework.test import APIClient

from clusters.models import Cluster
from tenants.models import AuditEvent
from tenants.services.tokens import api_token_create
from tests.api import client_for

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def pods_status(config: dict, namespace: str) -> int:
    with kubernetes.config.new_client_from_config_dict(config) as api:
        try:
            kubernetes.client.CoreV1Api(api).list_namespaced_pod(namespace)
        except kubernetes.client.ApiException as exc:
            return exc.status
    return 200


@pytest.mark.parametrize("url", ["/api/v1/kubeconfig/", "/api/v1/kubeconfig/revoke/"])
def test_anonymous_requests_are_unauthorized(world, url):
    assert APIClient().post(url).status_code == 401
    assert not AuditEvent.objects.exists()


def test_kubeconfig_comes_as_yaml_by_default(provisioned):
    response = client_for(provisioned.developer).post("/api/v1/kubeconfig/", {"hours": 2}, format="json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert response["Cache-Control"] == "no-store"
    config = yaml.safe_load(response.content)
    assert [c["name"] for c in config["contexts"]] == ["acme-dev"]
    assert pods_status(config, "acme-dev") == 200
    assert pods_status(config, "globex-prod") == 403


def test_kubeconfig_as_json_carries_the_text_expiry_and_namespaces(provisioned):
    client = client_for(provisioned.owner)
    for response in (
        client.post("/api/v1/kubeconfig/", **JSON),
        client.post("/api/v1/kubeconfig/?format=json"),
    ):
        assert response.status_code == 200
        body = response.json()
        assert body["namespaces"] == ["acme-dev"]
        assert body["expires_at"]
        assert yaml.safe_load(body["kubeconfig"])["current-context"] == "acme-dev"


def test_personal_api_token_authenticates(provisioned):
    _, raw = api_token_create(user=provisioned.developer, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.post("/api/v1/kubeconfig/", **JSON)
    assert response.status_code == 200
    assert response.json()["namespaces"] == ["acme-dev"]


def test_outsider_gets_only_their_own_namespaces(provisioned):
    body = client_for(provisioned.outsider).post("/api/v1/kubeconfig/", **JSON).json()
    assert body["namespaces"] == ["globex-prod"]
    config = yaml.safe_load(body["kubeconfig"])
    assert pods_status(config, "acme-dev") == 403


@pytest.mark.parametrize("hours", [0, 25, "many"])
def test_lifetime_outside_the_limits_is_a_bad_request(world, cluster, hours):
    response = client_for(world.developer).post(
        "/api/v1/kubeconfig/", {"hours": hours}, format="json", **JSON
    )
    assert response.status_code == 400
    assert "hours" in response.json()
    assert not AuditEvent.objects.filter(action="kubeconfig.downloaded").exists()


def test_a_clusters_maximum_makes_longer_lifetimes_a_bad_request_naming_it(provisioned):
    Cluster.objects.filter(is_default=True).update(max_token_hours=3)
    client = client_for(provisioned.developer)
    response = client.post("/api/v1/kubeconfig/", {"hours": 4}, format="json", **JSON)
    assert response.status_code == 400
    assert response.json() == {"hours": ["At most 3 hours: the limit set by cluster 'default'."]}
    assert not AuditEvent.objects.filter(action="kubeconfig.downloaded").exists()
    body = client.post("/api/v1/kubeconfig/", {"hours": 3}, format="json", **JSON).json()
    assert (body["hours"], body["max_hours"]) == (3, 3)
    token = yaml.safe_load(body["kubeconfig"])["users"][0]["user"]["token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["exp"] - claims["iat"] == 3 * 3600


def test_get_reports_the_lifetime_limit(world, cluster, settings):
    settings.TENANTRY_KUBECONFIG_TTL_HOURS = 8
    settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS = 24
    client = client_for(world.developer)
    assert client.get("/api/v1/kubeconfig/", **JSON).json() == {
        "max_hours": 24,
        "default_hours": 8,
        "cluster": None,
    }
    Cluster.objects.filter(is_default=True).update(max_token_hours=5)
    assert client.get("/api/v1/kubeconfig/", **JSON).json() == {
        "max_hours": 5,
        "default_hours": 5,
        "cluster": "default",
    }
    assert APIClient().get("/api/v1/kubeconfig/").status_code == 401


def test_errors_render_as_yaml_for_yaml_clients(world, cluster):
    response = client_for(world.developer).post("/api/v1/kubeconfig/", {"hours": 99}, format="json")
    assert response.status_code == 400
    assert "hours" in yaml.safe_load(response.content)


def test_user_without_namespaces_gets_a_bad_request(world, cluster):
    response = client_for(world.member).post("/api/v1/kubeconfig/", **JSON)
    assert response.status_code == 400
    assert "no namespaces" in str(response.json())


def test_cluster_failure_is_a_503_naming_the_cluster(world, cluster):
    cluster.fail_next(10, 503)
    response = client_for(world.developer).post("/api/v1/kubeconfig/", **JSON)
    assert response.status_code == 503
    assert "Cluster 'default'" in response.json()["detail"]


def test_revoke_invalidates_issued_tokens(provisioned):
    client = client_for(provisioned.developer)
    config = yaml.safe_load(client.post("/api/v1/kubeconfig/").content)
    response = client.post("/api/v1/kubeconfig/revoke/")
    assert response.status_code == 200
    assert response.json() == {"revoked": ["default"], "failed": {}}
    assert pods_status(config, "acme-dev") == 401


def test_revoke_reports_unreachable_clusters_with_503(world, cluster):
    Cluster.objects.create(name="zz-broken", kubeconfig_path="/nonexistent/kubeconfig")
    response = client_for(world.developer).post("/api/v1/kubeconfig/revoke/")
    assert response.status_code == 503
    body = response.json()
    assert body["revoked"] == ["default"]
    assert list(body["failed"]) == ["zz-broken"]


def test_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "application/yaml" in schema["paths"]["/api/v1/kubeconfig/"]["post"]["responses"]["200"]["content"]
    assert "/api/v1/kubeconfig/revoke/" in schema["paths"]


def test_the_yaml_kubeconfig_matches_its_documented_schema(provisioned, client):
    # The YAML answer is the kubeconfig itself, an object: the schema once called it a string.
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    documented = schema["paths"]["/api/v1/kubeconfig/"]["post"]["responses"]["200"]["content"]
    response = client_for(provisioned.developer).post("/api/v1/kubeconfig/", {"hours": 2}, format="json")
    jsonschema.validate(yaml.safe_load(response.content), documented["application/yaml"]["schema"])

"""POST /api/v1/kubeconfig/ and /api/v1/kubeconfig/revoke/: same rules as the Access page."""

import kubernetes
import pytest
import yaml
from rest_framework.test import APIClient

from clusters.models import Cluster
from tenants.models import AuditEvent
from tenants.services.tokens import api_token_create

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


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

import kubernetes
import pytest

from kubeemu import rbac
from kubeemu.tests.helpers import namespace, status_of

ApiException = kubernetes.client.ApiException


@pytest.fixture
def core(kube_admin_client):
    return kubernetes.client.CoreV1Api(kube_admin_client)


def issue_token(core, ns, name, seconds=3600, audiences=None):
    spec = {"expirationSeconds": seconds}
    if audiences:
        spec["audiences"] = audiences
    return core.create_namespaced_service_account_token(name, ns, {"spec": spec}).status


@pytest.fixture
def developer(core):
    """A ServiceAccount in ``tenants`` bound to a pod-reading ClusterRole in namespace ``team-a`` only."""
    for name in ("tenants", "team-a", "team-b"):
        namespace(core.api_client, name)
    core.create_namespaced_service_account("tenants", {"metadata": {"name": "alice"}})
    rbac = kubernetes.client.RbacAuthorizationV1Api(core.api_client)
    rules = [
        {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["*"]},
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["public"]},
    ]
    rbac.create_cluster_role({"metadata": {"name": "tenant-developer"}, "rules": rules})
    binding = {
        "metadata": {"name": "alice"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "tenant-developer",
        },
        "subjects": [{"kind": "ServiceAccount", "name": "alice", "namespace": "tenants"}],
    }
    rbac.create_namespaced_role_binding("team-a", binding)
    return issue_token(core, "tenants", "alice").token


def test_token_request_returns_a_token_and_expiry(core):
    namespace(core.api_client, "tenants")
    core.create_namespaced_service_account("tenants", {"metadata": {"name": "alice"}})
    status = issue_token(core, "tenants", "alice", seconds=7200)
    assert status.token.count(".") == 2
    assert status.expiration_timestamp is not None


def test_token_request_for_a_missing_service_account_is_not_found(core):
    with pytest.raises(ApiException) as excinfo:
        issue_token(core, "default", "nobody")
    assert excinfo.value.status == 404


def test_token_shorter_than_ten_minutes_is_invalid(core):
    namespace(core.api_client, "tenants")
    core.create_namespaced_service_account("tenants", {"metadata": {"name": "alice"}})
    with pytest.raises(ApiException) as excinfo:
        issue_token(core, "tenants", "alice", seconds=60)
    assert excinfo.value.status == 422


def test_bound_role_allows_listing_pods_in_its_namespace(developer, kube_client_for_token):
    tenant = kubernetes.client.CoreV1Api(kube_client_for_token(developer))
    assert tenant.list_namespaced_pod("team-a").items == []


def test_resource_names_and_wildcard_verbs_are_honoured(core, developer, kube_client_for_token):
    core.create_namespaced_config_map("team-a", {"metadata": {"name": "public"}})
    core.create_namespaced_config_map("team-a", {"metadata": {"name": "private"}})
    tenant = kube_client_for_token(developer)
    tenant_core = kubernetes.client.CoreV1Api(tenant)
    assert tenant_core.read_namespaced_config_map("public", "team-a").metadata.name == "public"
    with pytest.raises(ApiException) as excinfo:
        tenant_core.read_namespaced_config_map("private", "team-a")
    assert excinfo.value.status == 403
    with pytest.raises(ApiException):
        tenant_core.list_namespaced_config_map("team-a")
    apps = kubernetes.client.AppsV1Api(tenant)
    assert apps.list_namespaced_deployment("team-a").items == []


def test_service_account_is_denied_in_other_namespaces(developer, kube_client_for_token):
    tenant = kubernetes.client.CoreV1Api(kube_client_for_token(developer))
    with pytest.raises(ApiException) as excinfo:
        tenant.list_namespaced_pod("team-b")
    status = status_of(excinfo.value)
    assert excinfo.value.status == 403
    assert status["reason"] == "Forbidden"
    assert status["message"] == (
        'pods is forbidden: User "system:serviceaccount:tenants:alice" cannot list resource "pods" '
        'in API group "" in the namespace "team-b"'
    )


def test_service_account_is_denied_cluster_scoped_resources(developer, kube_client_for_token):
    tenant = kubernetes.client.CoreV1Api(kube_client_for_token(developer))
    with pytest.raises(ApiException) as excinfo:
        tenant.list_node()
    assert excinfo.value.status == 403
    assert "at the cluster scope" in status_of(excinfo.value)["message"]
    with pytest.raises(ApiException):
        tenant.list_pod_for_all_namespaces()
    with pytest.raises(ApiException):
        tenant.create_namespace({"metadata": {"name": "mine"}})


def test_service_account_cannot_write_what_it_may_only_read(developer, kube_client_for_token):
    tenant = kubernetes.client.CoreV1Api(kube_client_for_token(developer))
    with pytest.raises(ApiException) as excinfo:
        tenant.delete_namespaced_pod("anything", "team-a")
    assert excinfo.value.status == 403


def test_cluster_role_binding_grants_everywhere_and_aggregation_is_followed(
    core, developer, kube_client_for_token
):
    rbac = kubernetes.client.RbacAuthorizationV1Api(core.api_client)
    selector = {"matchLabels": {"aggregate-to-node-reader": "true"}}
    rbac.create_cluster_role(
        {"metadata": {"name": "node-reader"}, "aggregationRule": {"clusterRoleSelectors": [selector]}}
    )
    rbac.create_cluster_role(
        {
            "metadata": {"name": "node-reader-rules", "labels": {"aggregate-to-node-reader": "true"}},
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}],
        }
    )
    rbac.create_cluster_role_binding(
        {
            "metadata": {"name": "alice-nodes"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "node-reader",
            },
            "subjects": [{"kind": "Group", "name": "system:serviceaccounts:tenants"}],
        }
    )
    tenant = kubernetes.client.CoreV1Api(kube_client_for_token(developer))
    assert tenant.list_node().items == []


def test_unknown_token_is_unauthorized(kube_client_for_token):
    with pytest.raises(ApiException) as excinfo:
        kubernetes.client.CoreV1Api(kube_client_for_token("not-a-token")).list_namespace()
    assert excinfo.value.status == 401
    assert status_of(excinfo.value)["reason"] == "Unauthorized"


def test_expired_token_is_refused(kube_emulator, developer, kube_client_for_token):
    tenant = kubernetes.client.CoreV1Api(kube_client_for_token(developer))
    tenant.list_namespaced_pod("team-a")
    kube_emulator.advance_clock(3601)
    with pytest.raises(ApiException) as excinfo:
        tenant.list_namespaced_pod("team-a")
    assert excinfo.value.status == 401


def test_deleting_the_service_account_revokes_its_tokens(core, developer, kube_client_for_token):
    tenant = kubernetes.client.CoreV1Api(kube_client_for_token(developer))
    tenant.list_namespaced_pod("team-a")
    core.delete_namespaced_service_account("alice", "tenants")
    core.create_namespaced_service_account("tenants", {"metadata": {"name": "alice"}})
    with pytest.raises(ApiException) as excinfo:
        tenant.list_namespaced_pod("team-a")
    assert excinfo.value.status == 401
    fresh = kubernetes.client.CoreV1Api(kube_client_for_token(issue_token(core, "tenants", "alice").token))
    assert fresh.list_namespaced_pod("team-a").items == []


def test_token_for_another_audience_does_not_authenticate(core, developer, kube_client_for_token):
    token = issue_token(core, "tenants", "alice", audiences=["vault"]).token
    with pytest.raises(ApiException) as excinfo:
        kubernetes.client.CoreV1Api(kube_client_for_token(token)).list_namespaced_pod("team-a")
    assert excinfo.value.status == 401


def test_requests_without_credentials_only_reach_public_paths(kube_emulator):
    configuration = kubernetes.client.Configuration(host=kube_emulator.url)
    with kubernetes.client.ApiClient(configuration) as anonymous:
        assert kubernetes.client.VersionApi(anonymous).get_code().git_version == "v1.33.0"
        with pytest.raises(ApiException) as excinfo:
            kubernetes.client.CoreV1Api(anonymous).list_namespace()
    assert excinfo.value.status == 401


def test_subresource_rules_match_only_that_subresource(kube_emulator, developer):
    alice = rbac.service_account_user("tenants", "alice")
    store = kube_emulator.store
    assert rbac.authorize(store, alice, rbac.Request("get", "", "pods", "log", "web", "team-a"))
    assert not rbac.authorize(store, alice, rbac.Request("create", "", "pods", "exec", "web", "team-a"))
    assert not rbac.authorize(store, alice, rbac.Request("get", "", "pods", "log", "web", "team-b"))

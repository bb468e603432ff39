import kubernetes
from kubernetes.dynamic import DynamicClient


def test_version_reports_the_emulated_release(kube_admin_client):
    info = kubernetes.client.VersionApi(kube_admin_client).get_code()
    assert info.git_version == "v1.33.0"
    assert (info.major, info.minor) == ("1", "33")


def test_core_resources_are_listed_with_scope_kind_and_subresources(kube_admin_client):
    resources = kubernetes.client.CoreV1Api(kube_admin_client).get_api_resources().resources
    by_name = {r.name: r for r in resources}
    assert by_name["namespaces"].namespaced is False
    assert by_name["pods"].namespaced is True
    assert by_name["pods"].kind == "Pod"
    assert "serviceaccounts/token" in by_name
    assert "resourcequotas/status" in by_name
    assert set(by_name["configmaps"].verbs) >= {"get", "list", "create", "update", "patch", "delete"}


def test_api_groups_include_rbac_admission_and_metrics(kube_admin_client):
    groups = kubernetes.client.ApisApi(kube_admin_client).get_api_versions().groups
    names = {g.name for g in groups}
    assert {"rbac.authorization.k8s.io", "admissionregistration.k8s.io", "metrics.k8s.io", "apps"} <= names
    admission = next(g for g in groups if g.name == "admissionregistration.k8s.io")
    assert admission.preferred_version.version == "v1"
    assert {v.version for v in admission.versions} == {"v1", "v1beta1"}


def test_mutating_admission_policies_disappear_from_discovery_when_switched_off(
    kube_emulator, kube_admin_client
):
    kube_emulator.options["mutating_admission_policies"] = False
    groups = kubernetes.client.ApisApi(kube_admin_client).get_api_versions().groups
    admission = next(g for g in groups if g.name == "admissionregistration.k8s.io")
    assert {v.version for v in admission.versions} == {"v1"}
    try:
        kube_admin_client.call_api(
            "/apis/admissionregistration.k8s.io/v1beta1", "GET", auth_settings=["BearerToken"]
        )
    except kubernetes.client.ApiException as error:
        assert error.status == 404
    else:
        raise AssertionError("v1beta1 should not be served")


def test_dynamic_client_resolves_kinds_through_discovery(kube_admin_client):
    dynamic = DynamicClient(kube_admin_client)
    deployments = dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.namespaced is True
    names = [ns.metadata.name for ns in dynamic.resources.get(api_version="v1", kind="Namespace").get().items]
    assert "default" in names

import socket

import pytest

from clusters.kube import errors
from clusters.kube.gateway import KubeGateway


@pytest.fixture
def gateway(kube_emulator):
    gateway = KubeGateway.from_kubeconfig_dict(kube_emulator.kubeconfig(), timeout=(2.0, 2.0))
    yield gateway
    gateway.close()


def namespace(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def configmap(name, ns, **labels):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "data": {"k": "v"},
    }


def test_apply_creates_then_updates_in_one_request_each(kube_emulator, gateway):
    kube_emulator.reset_counters()
    created = gateway.apply(namespace("team-a", plan="free"))
    updated = gateway.apply(namespace("team-a", plan="pro"))
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert updated["metadata"]["labels"]["plan"] == "pro"
    assert updated["metadata"]["managedFields"][0]["manager"] == "tenantry-console"
    counts = kube_emulator.counts()
    assert (counts["total"], counts["by_verb"]) == (2, {"patch": 2})


def test_get_returns_the_object_or_none(gateway):
    gateway.apply(namespace("team-a"))
    assert gateway.get("v1", "Namespace", "team-a")["status"]["phase"] == "Active"
    assert gateway.get("v1", "ConfigMap", "missing", "team-a") is None


def test_list_filters_by_namespace_and_label_selector(gateway):
    gateway.apply(namespace("team-a"))
    gateway.apply(namespace("team-b"))
    gateway.apply(configmap("one", "team-a", managed="yes"))
    gateway.apply(configmap("two", "team-b", managed="yes"))
    gateway.apply(configmap("three", "team-a"))
    everywhere = gateway.list("v1", "ConfigMap", label_selector="managed=yes")
    assert sorted(c["metadata"]["name"] for c in everywhere) == ["one", "two"]
    assert {(c["apiVersion"], c["kind"]) for c in everywhere} == {("v1", "ConfigMap")}
    in_a = gateway.list("v1", "ConfigMap", "team-a", label_selector="managed")
    assert [c["metadata"]["name"] for c in in_a] == ["one"]


def test_delete_reports_whether_something_was_deleted(gateway):
    gateway.apply(namespace("team-a"))
    gateway.apply(configmap("one", "team-a"))
    assert gateway.delete("v1", "ConfigMap", "one", "team-a") is True
    assert gateway.delete("v1", "ConfigMap", "one", "team-a") is False


def test_invalid_object_is_a_permanent_error_with_the_api_message(gateway):
    bad = namespace("team-a")
    bad["spec"] = {"bogus": 1}
    with pytest.raises(errors.PermanentKubeError) as excinfo:
        gateway.apply(bad)
    error = excinfo.value
    assert isinstance(error, errors.InvalidError)
    assert (error.code, error.reason) == (422, "Invalid")
    assert error.message.startswith(
        'Namespace "team-a" is invalid: spec: Additional properties are not allowed'
    )


def test_admission_rejection_is_forbidden(gateway):
    gateway.apply(namespace("team-a", **{"pod-security.kubernetes.io/enforce": "restricted"}))
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root", "namespace": "team-a"},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
    }
    with pytest.raises(errors.ForbiddenError) as excinfo:
        gateway.apply(pod)
    assert 'violates PodSecurity "restricted:latest"' in excinfo.value.message


def test_stale_resource_version_is_a_conflict(gateway):
    first = gateway.apply(namespace("team-a"))
    gateway.apply(namespace("team-a", plan="pro"))
    stale = namespace("team-a")
    stale["metadata"]["resourceVersion"] = first["metadata"]["resourceVersion"]
    with pytest.raises(errors.ConflictError):
        gateway.apply(stale)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_throttling_are_transient(kube_emulator, gateway, status):
    kube_emulator.fail_next(1, status)
    with pytest.raises(errors.TransientKubeError) as excinfo:
        gateway.list("v1", "Namespace")
    assert excinfo.value.code == status
    assert gateway.list("v1", "Namespace")


def test_dropped_connection_is_transient(kube_emulator, gateway):
    kube_emulator.drop_next(1, method="PATCH")
    with pytest.raises(errors.TransientKubeError):
        gateway.apply(namespace("team-a"))
    assert gateway.apply(namespace("team-a"))["metadata"]["name"] == "team-a"


def test_read_timeout_is_transient(kube_emulator):
    kube_emulator.set_latency(0.5)
    gateway = KubeGateway.from_url(kube_emulator.url, kube_emulator.admin_token, timeout=(1.0, 0.05))
    with pytest.raises(errors.TransientKubeError):
        gateway.version()


def test_refused_connection_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = KubeGateway.from_url(f"http://127.0.0.1:{port}", "token", timeout=(0.5, 0.5))
    with pytest.raises(errors.TransientKubeError):
        gateway.version()


def test_token_authenticates_until_its_service_account_is_deleted(kube_emulator, gateway):
    gateway.apply(namespace("tenants"))
    gateway.apply(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "alice", "namespace": "tenants"}}
    )
    token, expires_at = gateway.create_token("tenants", "alice", 3600)
    assert expires_at.tzinfo is not None
    as_alice = KubeGateway.from_url(kube_emulator.url, token)
    with pytest.raises(errors.ForbiddenError):
        as_alice.list("v1", "Pod", "tenants")
    assert as_alice.version() == "v1.33.0"
    gateway.delete("v1", "ServiceAccount", "alice", "tenants")
    with pytest.raises(errors.PermanentKubeError) as excinfo:
        as_alice.list("v1", "Pod", "tenants")
    assert (excinfo.value.code, excinfo.value.reason) == (401, "Unauthorized")


def test_discovery_detects_optional_apis(kube_emulator, gateway):
    assert gateway.version() == "v1.33.0"
    assert {"rbac.authorization.k8s.io", "metrics.k8s.io"} <= gateway.api_groups()
    assert gateway.has_resource("v1", "resourcequotas")
    assert gateway.has_resource("admissionregistration.k8s.io/v1beta1", "mutatingadmissionpolicies")
    kube_emulator.options["mutating_admission_policies"] = False
    assert not gateway.has_resource("admissionregistration.k8s.io/v1beta1", "mutatingadmissionpolicies")
    assert not gateway.has_resource("example.com/v1", "widgets")


def test_scale_and_merge_patch(gateway):
    gateway.apply(namespace("team-a"))
    labels = {"app": "web"}
    gateway.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "team-a"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "w", "image": "nginx"}]},
                },
            },
        }
    )
    assert gateway.get_scale("Deployment", "web", "team-a") == 2
    assert gateway.set_scale("Deployment", "web", "team-a", 0) == 0
    assert gateway.get("apps/v1", "Deployment", "web", "team-a")["spec"]["replicas"] == 0
    patched = gateway.patch_merge(
        "v1", "Namespace", "team-a", {"metadata": {"labels": {"suspended": "true"}}}
    )
    assert patched["metadata"]["labels"]["suspended"] == "true"


def test_metrics_lists(kube_emulator, gateway):
    kube_emulator.set_pod_metrics("team-a", "web-1", {"web": {"cpu": "5m", "memory": "10Mi"}})
    kube_emulator.set_node_metrics("node-1", {"cpu": "1", "memory": "1Gi"})
    pods = gateway.list_pod_metrics("team-a")
    assert pods[0]["containers"][0]["usage"]["cpu"] == "5m"
    assert [n["metadata"]["name"] for n in gateway.list_node_metrics()] == ["node-1"]


def test_kubeconfig_file_connects(kube_kubeconfig):
    gateway = KubeGateway.from_kubeconfig(str(kube_kubeconfig))
    assert gateway.version() == "v1.33.0"


def test_unknown_kind_is_permanent(gateway):
    with pytest.raises(errors.PermanentKubeError):
        gateway.get("example.com/v1", "Widget", "w")


def test_error_mapping_tolerates_non_status_bodies():
    error = errors.from_response(502, b"<html>bad gateway</html>", "Bad Gateway")
    assert isinstance(error, errors.TransientKubeError)
    assert error.message == "<html>bad gateway</html>"
    assert isinstance(errors.from_response(400, None, "Bad Request"), errors.PermanentKubeError)
    assert isinstance(errors.from_response(404, b"{}"), errors.NotFoundError)

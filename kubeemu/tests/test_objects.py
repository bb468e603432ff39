import kubernetes
import pytest

from kubeemu.testing import wait_for
from kubeemu.tests.helpers import apply, namespace, request, status_of

ApiException = kubernetes.client.ApiException


@pytest.fixture
def core(kube_admin_client):
    return kubernetes.client.CoreV1Api(kube_admin_client)


def configmap(name, **labels):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"k": "v"},
    }


def test_create_get_update_delete_round_trip(core):
    namespace(core.api_client, "team-a")
    created = core.create_namespaced_config_map("team-a", configmap("settings"))
    assert created.metadata.uid and created.metadata.creation_timestamp
    created.data = {"k": "changed"}
    updated = core.replace_namespaced_config_map("settings", "team-a", created)
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    assert core.read_namespaced_config_map("settings", "team-a").data == {"k": "changed"}
    core.delete_namespaced_config_map("settings", "team-a")
    with pytest.raises(ApiException) as excinfo:
        core.read_namespaced_config_map("settings", "team-a")
    assert excinfo.value.status == 404
    assert status_of(excinfo.value)["reason"] == "NotFound"


def test_creating_twice_is_already_exists(core):
    namespace(core.api_client, "team-a")
    core.create_namespaced_config_map("team-a", configmap("settings"))
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map("team-a", configmap("settings"))
    assert excinfo.value.status == 409
    assert status_of(excinfo.value)["reason"] == "AlreadyExists"


def test_update_with_stale_resource_version_conflicts(core):
    namespace(core.api_client, "team-a")
    first = core.create_namespaced_config_map("team-a", configmap("settings"))
    core.patch_namespaced_config_map("settings", "team-a", {"data": {"k": "other"}})
    first.data = {"k": "stale"}
    with pytest.raises(ApiException) as excinfo:
        core.replace_namespaced_config_map("settings", "team-a", first)
    assert excinfo.value.status == 409
    assert "the object has been modified" in status_of(excinfo.value)["message"]


def test_label_and_field_selectors_filter_lists(core):
    namespace(core.api_client, "team-a")
    namespace(core.api_client, "team-b")
    core.create_namespaced_config_map("team-a", configmap("one", tier="web", env="prod"))
    core.create_namespaced_config_map("team-a", configmap("two", tier="db", env="prod"))
    core.create_namespaced_config_map("team-b", configmap("three", tier="web"))

    def names(**kwargs):
        return sorted(c.metadata.name for c in core.list_config_map_for_all_namespaces(**kwargs).items)

    assert names(label_selector="tier=web") == ["one", "three"]
    assert names(label_selector="tier==web,env=prod") == ["one"]
    assert names(label_selector="tier!=web,tier") == ["two"]
    assert names(label_selector="tier in (db, cache)") == ["two"]
    assert names(label_selector="tier notin (db),env") == ["one"]
    assert names(label_selector="!env,tier") == ["three"]
    assert names(field_selector="metadata.name=two") == ["two"]
    in_a = core.list_namespaced_config_map("team-a", label_selector="tier").items
    assert sorted(c.metadata.name for c in in_a) == ["one", "two"]


def test_malformed_label_selector_is_bad_request(core):
    with pytest.raises(ApiException) as excinfo:
        core.list_namespace(label_selector="a in (b")
    assert excinfo.value.status == 400


def test_server_side_apply_creates_then_updates_and_records_the_manager(kube_admin_client, core):
    path = "/api/v1/namespaces/team-a"
    body = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team-a", "labels": {"plan": "free"}},
    }
    created = apply(kube_admin_client, path, body, manager="tenantry")
    assert created["metadata"]["labels"]["plan"] == "free"
    assert created["status"]["phase"] == "Active"
    body["metadata"]["labels"] = {"plan": "pro"}
    updated = apply(kube_admin_client, path, body, manager="tenantry")
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert updated["metadata"]["labels"]["plan"] == "pro"
    assert [m["manager"] for m in updated["metadata"]["managedFields"]] == ["tenantry"]
    assert updated["metadata"]["managedFields"][0]["operation"] == "Apply"
    assert core.read_namespace("team-a").metadata.labels["plan"] == "pro"


def test_apply_without_field_manager_is_rejected(kube_admin_client):
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    with pytest.raises(ApiException) as excinfo:
        request(
            kube_admin_client,
            "PATCH",
            "/api/v1/namespaces/team-a",
            body=body,
            content_type="application/apply-patch+yaml",
        )
    assert excinfo.value.status == 422
    assert "fieldManager" in status_of(excinfo.value)["message"]


def test_apply_keeps_status_set_through_the_status_subresource(kube_emulator, kube_admin_client):
    namespace(kube_admin_client, "team-a")
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "tenant", "namespace": "team-a"},
        "spec": {"hard": {"pods": "10"}},
    }
    path = "/api/v1/namespaces/team-a/resourcequotas/tenant"
    apply(kube_admin_client, path, quota)
    kube_emulator.set_quota_used("team-a", "tenant", {"pods": "3"})
    quota["spec"]["hard"]["pods"] = "20"
    stored = apply(kube_admin_client, path, quota)
    assert stored["status"] == {"hard": {"pods": "20"}, "used": {"pods": "3"}}
    read = kubernetes.client.CoreV1Api(kube_admin_client).read_namespaced_resource_quota_status(
        "tenant", "team-a"
    )
    assert read.status.used == {"pods": "3"}


def test_invalid_object_is_rejected_with_the_schema_message(core):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespace({"metadata": {"name": "team-a"}, "spec": {"bogus": True}})
    status = status_of(excinfo.value)
    assert excinfo.value.status == 422
    assert status["reason"] == "Invalid"
    assert "bogus" in status["message"]
    assert core.list_namespace(field_selector="metadata.name=team-a").items == []


def test_null_fields_are_ignored_like_unset_ones(kube_admin_client):
    body = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team-a", "creationTimestamp": None},
    }
    created = apply(kube_admin_client, "/api/v1/namespaces/team-a", body)
    assert created["metadata"]["creationTimestamp"]


def test_invalid_name_is_rejected(core):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespace({"metadata": {"name": "Team_A"}})
    assert excinfo.value.status == 422
    assert "RFC 1123" in status_of(excinfo.value)["message"]


def test_namespaced_create_needs_an_existing_namespace(core):
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map("missing", configmap("settings"))
    assert excinfo.value.status == 404
    assert status_of(excinfo.value)["message"] == 'namespaces "missing" not found'


def test_merge_patch_changes_only_the_given_fields(core):
    namespace(core.api_client, "team-a", plan="free", team="a")
    patched = core.patch_namespace("team-a", {"metadata": {"labels": {"plan": "pro", "team": None}}})
    assert patched.metadata.labels["plan"] == "pro"
    assert "team" not in patched.metadata.labels


def test_deleted_namespace_terminates_then_disappears_with_its_objects(kube_emulator, core):
    namespace(core.api_client, "team-a")
    core.create_namespaced_config_map("team-a", configmap("settings"))
    core.delete_namespace("team-a")
    terminating = core.read_namespace("team-a")
    assert terminating.status.phase == "Terminating"
    assert terminating.metadata.deletion_timestamp is not None
    with pytest.raises(ApiException) as excinfo:
        core.create_namespaced_config_map("team-a", configmap("late"))
    assert excinfo.value.status == 403

    def gone():
        return not core.list_namespace(field_selector="metadata.name=team-a").items

    wait_for(gone)
    assert core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=team-a").items == []
    assert kube_emulator.get_object("v1", "ConfigMap", "settings", "team-a") is None


def test_new_namespace_gets_a_default_service_account(core):
    namespace(core.api_client, "team-a")
    assert [sa.metadata.name for sa in core.list_namespaced_service_account("team-a").items] == ["default"]


def test_deployment_scale_subresource_reads_and_sets_replicas(kube_admin_client):
    namespace(kube_admin_client, "team-a")
    apps = kubernetes.client.AppsV1Api(kube_admin_client)
    labels = {"app": "web"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    apps.create_namespaced_deployment("team-a", deployment)
    scale = apps.read_namespaced_deployment_scale("web", "team-a")
    assert (scale.spec.replicas, scale.status.selector) == (2, "app=web")
    apps.patch_namespaced_deployment_scale("web", "team-a", {"spec": {"replicas": 0}})
    stored = apps.read_namespaced_deployment("web", "team-a")
    assert stored.spec.replicas == 0
    assert stored.metadata.generation == 2
    scale = apps.read_namespaced_deployment_scale("web", "team-a")
    scale.spec.replicas = 3
    assert apps.replace_namespaced_deployment_scale("web", "team-a", scale).spec.replicas == 3


def test_statefulset_scale_subresource(kube_admin_client):
    namespace(kube_admin_client, "team-a")
    apps = kubernetes.client.AppsV1Api(kube_admin_client)
    labels = {"app": "db"}
    statefulset = {
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "db", "image": "pg"}]},
            },
        },
    }
    apps.create_namespaced_stateful_set("team-a", statefulset)
    assert apps.read_namespaced_stateful_set_scale("db", "team-a").spec.replicas == 1
    apps.patch_namespaced_stateful_set_scale("db", "team-a", {"spec": {"replicas": 4}})
    assert apps.read_namespaced_stateful_set("db", "team-a").spec.replicas == 4


def test_admission_policies_of_both_versions_are_stored_and_validated(kube_admin_client):
    group = "/apis/admissionregistration.k8s.io"
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "runtime-classes"},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE"],
                        "resources": ["pods"],
                    }
                ]
            },
            "validations": [{"expression": "has(object.spec.runtimeClassName)"}],
        },
    }
    stored = apply(kube_admin_client, f"{group}/v1/validatingadmissionpolicies/runtime-classes", policy)
    assert stored["spec"]["validations"][0]["expression"] == "has(object.spec.runtimeClassName)"
    mutating = {
        "apiVersion": "admissionregistration.k8s.io/v1beta1",
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": "defaults"},
        "spec": {
            "reinvocationPolicy": "Never",
            "mutations": [{"patchType": "ApplyConfiguration"}],
            "bogus": 1,
        },
    }
    with pytest.raises(ApiException) as excinfo:
        apply(kube_admin_client, f"{group}/v1beta1/mutatingadmissionpolicies/defaults", mutating)
    assert excinfo.value.status == 422
    del mutating["spec"]["bogus"]
    assert apply(kube_admin_client, f"{group}/v1beta1/mutatingadmissionpolicies/defaults", mutating)[
        "metadata"
    ]["uid"]

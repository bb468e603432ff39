"""Provisioning end to end on kube-apiserver, as the console's own identity (not system:masters)."""

import pytest
from django.conf import settings

from clusters.bootstrap import cluster_bootstrap
from clusters.connections import default_cluster, gateway_for_cluster
from clusters.kube.gateway import KubeGateway
from clusters.kube.manifests import (
    always_pull_images_objects,
    bootstrap_objects,
    mutating_runtime_policy_objects,
    names,
    pod_bandwidth_defaults_objects,
    tenant_selector,
)
from clusters.kube.spec import platform_settings_from_django
from clusters.provisioning import Outcome, namespace_provision
from clusters.tasks import reconcile_all
from namespaces.services import namespace_delete
from tenants.models import NamespaceStatus
from tenants.services.memberships import namespace_membership_remove, namespace_membership_set
from tests.factories import NamespaceFactory, TeamMembershipFactory
from tests.realcluster.attacks import NETPOL, PROTECT
from tests.realcluster.conftest import new_user, unique_name, wait_until

ADMISSION = "admissionregistration.k8s.io"
TENANT_KINDS = (
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
)
# What Kubernetes itself puts in every namespace (controllers of the control plane).
KUBERNETES_OWN = {"ConfigMap/kube-root-ca.crt", "ServiceAccount/default"}
ALL_NAMESPACED_KINDS = (*TENANT_KINDS, ("v1", "ConfigMap"), ("v1", "ServiceAccount"), ("v1", "Secret"))
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

pytestmark = pytest.mark.realcluster


def _platform():
    return platform_settings_from_django(settings)


def _everything_in(admin: KubeGateway, namespace: str) -> set[str]:
    return {
        f"{item['kind']}/{item['metadata']['name']}"
        for api_version, kind in ALL_NAMESPACED_KINDS
        for item in admin.list(api_version, kind, namespace)
    }


def _role_bindings(admin: KubeGateway, namespace: str) -> dict[str, str]:
    return {
        rb["subjects"][0]["name"]: rb["roleRef"]["name"]
        for rb in admin.list("rbac.authorization.k8s.io/v1", "RoleBinding", namespace)
    }


def _all_bootstrap_objects() -> list[dict]:
    platform = _platform()
    return (
        bootstrap_objects(platform)
        + mutating_runtime_policy_objects(platform)
        + always_pull_images_objects(platform)
        + pod_bandwidth_defaults_objects(platform)
    )


def test_bootstrap_applies_every_object_and_admission_policy(console, admin_gateway, db):
    cluster = default_cluster()
    gateway = gateway_for_cluster(cluster)
    assert gateway.has_resource(f"{ADMISSION}/v1beta1", "mutatingadmissionpolicies")
    cluster_bootstrap(cluster=cluster, gateway=gateway, platform=_platform(), check=True)

    for obj in _all_bootstrap_objects():
        meta = obj["metadata"]
        live = admin_gateway.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        assert live is not None, f"{obj['kind']} {meta['name']} was not applied"
        assert live["metadata"]["labels"] == {**live["metadata"]["labels"], **meta["labels"]}
    cluster.refresh_from_db()
    assert cluster.sets_default_runtime_class
    assert cluster.server_version.startswith("v1.35")


def test_every_validating_policy_type_checks_without_warnings(console, admin_gateway, db):
    cluster = default_cluster()
    cluster_bootstrap(cluster=cluster, gateway=gateway_for_cluster(cluster), platform=_platform(), check=True)
    names = [
        obj["metadata"]["name"]
        for obj in bootstrap_objects(_platform())
        if obj["kind"] == "ValidatingAdmissionPolicy"
    ]
    assert len(names) == 9

    def checked(name: str) -> dict | None:
        policy = admin_gateway.get(f"{ADMISSION}/v1", "ValidatingAdmissionPolicy", name)
        status = policy.get("status") or {}
        if status.get("observedGeneration") != policy["metadata"]["generation"]:
            return None
        return status

    for name in names:
        status = wait_until(lambda name=name: checked(name), what=f"type checking of {name}")
        assert (status.get("typeChecking") or {}).get("expressionWarnings", []) == [], name
        assert all(c.get("status") != "False" for c in status.get("conditions", [])), status


def test_a_namespace_goes_ready_with_exactly_the_expected_objects(make_tenant, admin_gateway):
    tenant = make_tenant()
    assert tenant.namespace.status == NamespaceStatus.READY, tenant.namespace.provisioning.last_error
    live = admin_gateway.get("v1", "Namespace", tenant.name)
    assert live["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert live["status"]["phase"] == "Active"
    expected = {
        "ResourceQuota/tenant-quota",
        "LimitRange/tenant-limits",
        "NetworkPolicy/tenant-default-deny",
        "NetworkPolicy/tenant-allow-same-namespace",
        "NetworkPolicy/tenant-allow-ingress-controller",
        "NetworkPolicy/tenant-allow-dns",
        "NetworkPolicy/tenant-allow-internet-egress",
        f"RoleBinding/tenantry-u{tenant.owner.pk}",
    }
    wait_until(
        lambda: _everything_in(admin_gateway, tenant.name) >= KUBERNETES_OWN, what="kube's own objects"
    )
    assert _everything_in(admin_gateway, tenant.name) == expected | KUBERNETES_OWN
    selector = tenant_selector(_platform(), tenant.name)
    labelled = {
        f"{item['kind']}/{item['metadata']['name']}"
        for api_version, kind in TENANT_KINDS
        for item in admin_gateway.list(api_version, kind, tenant.name, label_selector=selector)
    }
    assert labelled == expected


def test_adding_and_removing_members_changes_role_bindings(
    make_tenant, admin_gateway, django_capture_on_commit_callbacks
):
    tenant = make_tenant()
    member = new_user("member")
    TeamMembershipFactory(team=tenant.team, user=member, role="member")
    account = f"u{member.pk}"
    for role in ("viewer", "developer", "admin"):
        with django_capture_on_commit_callbacks(execute=True):
            membership = namespace_membership_set(
                actor=tenant.owner, namespace=tenant.namespace, user=member, role=role
            )
        assert _role_bindings(admin_gateway, tenant.name)[account] == f"tenant-{role}"
    with django_capture_on_commit_callbacks(execute=True):
        namespace_membership_remove(actor=tenant.owner, membership=membership)
    assert account not in _role_bindings(admin_gateway, tenant.name)
    assert f"u{tenant.owner.pk}" in _role_bindings(admin_gateway, tenant.name)


def test_delete_goes_through_terminating_to_gone_via_the_namespace_controller(
    make_tenant, admin_gateway, django_capture_on_commit_callbacks
):
    tenant = make_tenant()
    # Content with a finalizer of someone else's holds the namespace in Terminating until
    # that finalizer goes, as a real cluster's operators' objects do.
    held = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "held", "namespace": tenant.name, "finalizers": ["example.com/hold"]},
    }
    admin_gateway.apply(held, field_manager="test")
    with django_capture_on_commit_callbacks(execute=True):
        namespace_delete(actor=tenant.owner, namespace=tenant.namespace)
    tenant.namespace.refresh_from_db()
    assert tenant.namespace.status == NamespaceStatus.TERMINATING
    assert admin_gateway.get("v1", "Namespace", tenant.name)["status"]["phase"] == "Terminating"
    # The namespace controller empties it, except the finalized ConfigMap.
    wait_until(
        lambda: not admin_gateway.list("v1", "ResourceQuota", tenant.name),
        what="the namespace controller deleting the content",
    )
    assert namespace_provision(namespace_id=tenant.namespace.pk) == Outcome.TERMINATING

    admin_gateway.patch_merge("v1", "ConfigMap", "held", {"metadata": {"finalizers": None}}, tenant.name)
    wait_until(lambda: admin_gateway.get("v1", "Namespace", tenant.name) is None, what="namespace gone")
    assert namespace_provision(namespace_id=tenant.namespace.pk) == Outcome.DELETED
    tenant.namespace.refresh_from_db()
    assert tenant.namespace.status == NamespaceStatus.DELETED


def test_drift_is_repaired(make_tenant, admin_gateway):
    tenant = make_tenant()
    hard = admin_gateway.get("v1", "ResourceQuota", "tenant-quota", tenant.name)["spec"]["hard"]
    admin_gateway.delete("v1", "LimitRange", "tenant-limits", tenant.name)
    admin_gateway.patch_merge(
        "v1", "ResourceQuota", "tenant-quota", {"spec": {"hard": {"pods": "1000"}}}, tenant.name
    )
    admin_gateway.delete("networking.k8s.io/v1", "NetworkPolicy", "tenant-default-deny", tenant.name)
    assert namespace_provision(namespace_id=tenant.namespace.pk) == Outcome.APPLIED

    assert admin_gateway.get("v1", "LimitRange", "tenant-limits", tenant.name) is not None
    assert admin_gateway.get("networking.k8s.io/v1", "NetworkPolicy", "tenant-default-deny", tenant.name)
    quota = admin_gateway.get("v1", "ResourceQuota", "tenant-quota", tenant.name)
    assert quota["spec"]["hard"] == hard


def test_a_deleted_protection_policy_is_restored_by_the_periodic_reconcile(
    scene, admin_gateway, django_capture_on_commit_callbacks
):
    policy = (f"{ADMISSION}/v1", "ValidatingAdmissionPolicy", names.POLICY_PROTECT_MANAGED)
    deny_all = f"{NETPOL}/namespaces/{scene.ns}/networkpolicies/tenant-default-deny?dryRun=All"
    assert scene.client.delete(deny_all).status == 403
    admin_gateway.delete(*policy)
    wait_until(lambda: admin_gateway.get(*policy) is None, what="the policy gone")

    with django_capture_on_commit_callbacks(execute=True):
        reconcile_all()

    restored = admin_gateway.get(*policy)
    assert restored is not None
    assert restored["metadata"]["labels"][names.MANAGED_BY_LABEL] == _platform().managed_by
    # In force again: the tenant may not delete the console's default-deny policy (dry run,
    # so nothing is lost while kube-apiserver loads the policy).
    refused = wait_until(
        lambda: (answer := scene.client.delete(deny_all)).status == 403 and answer,
        what="the restored policy in force",
    )
    assert PROTECT in refused.message


@pytest.fixture
def api_calls(monkeypatch):
    """Every request the console's gateways send, as (method, path)."""
    calls: list[tuple[str, str]] = []
    original = KubeGateway._request

    def record(self, method, path, **kwargs):
        calls.append((method, path))
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(KubeGateway, "_request", record)
    return calls


def test_a_no_op_reconcile_writes_nothing(make_tenant, admin_gateway, api_calls):
    tenant = make_tenant()
    before = {
        f"{item['kind']}/{item['metadata']['name']}": item["metadata"]["resourceVersion"]
        for api_version, kind in TENANT_KINDS
        for item in admin_gateway.list(api_version, kind, tenant.name)
    }
    api_calls.clear()

    assert namespace_provision(namespace_id=tenant.namespace.pk) == Outcome.UNCHANGED

    assert api_calls, "the reconcile did not even read the cluster"
    assert [call for call in api_calls if call[0] in WRITE_METHODS] == []
    after = {
        f"{item['kind']}/{item['metadata']['name']}": item["metadata"]["resourceVersion"]
        for api_version, kind in TENANT_KINDS
        for item in admin_gateway.list(api_version, kind, tenant.name)
    }
    assert after == before


def test_a_new_namespace_is_one_create_and_one_apply_per_object_and_a_change_only_what_changed(
    make_tenant, api_calls, django_capture_on_commit_callbacks
):
    first = make_tenant()  # the cluster is bootstrapped by now
    member = new_user("member")
    TeamMembershipFactory(team=first.team, user=member, role="member")
    record = NamespaceFactory(team=first.team, name=unique_name("rc"), created_by=first.owner)
    api_calls.clear()

    assert namespace_provision(namespace_id=record.pk) == Outcome.APPLIED

    record.refresh_from_db()
    applied = record.provisioning.applied_objects
    assert record.status == NamespaceStatus.READY and len(applied) >= 8
    # The create is the check that the name is free; nothing is read.
    assert [method for method, _ in api_calls] == ["POST"] + ["PATCH"] * len(applied)

    api_calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        namespace_membership_set(actor=first.owner, namespace=record, user=member, role="viewer")
    binding = f"/namespaces/{record.name}/rolebindings/tenantry-u{member.pk}"
    assert [(method, path) for method, path in api_calls if method in WRITE_METHODS] == [
        ("PATCH", f"/apis/rbac.authorization.k8s.io/v1{binding}")
    ]

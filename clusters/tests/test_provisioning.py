"""Provisioning end to end: services → Celery task (eager) → gateway → emulator over HTTP."""

import pytest
from django.conf import settings

from clusters.kube.manifests import tenant_selector
from clusters.kube.spec import platform_settings_from_django
from clusters.models import NamespaceProvisioning
from clusters.provisioning import Outcome, namespace_provision
from clusters.tasks import provision_namespace
from kubeemu.registry import by_kind
from namespaces.services import namespace_create, namespace_delete
from tenants.models import NamespaceMembership, NamespaceStatus, TeamMembership
from tenants.services.memberships import (
    membership_remove,
    namespace_membership_remove,
    namespace_membership_set,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TENANT_KINDS = [
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
]


def _objects(emulator, namespace: str) -> set[str]:
    """Every console-made object in the namespace on the emulator, as Kind/name."""
    found = set()
    for api_version, kind in TENANT_KINDS:
        for obj in emulator.list_objects(api_version, kind, namespace):
            found.add(f"{kind}/{obj['metadata']['name']}")
    return found


def _role_bindings(emulator, namespace: str) -> dict[str, str]:
    return {
        rb["subjects"][0]["name"]: rb["roleRef"]["name"]
        for rb in emulator.list_objects("rbac.authorization.k8s.io/v1", "RoleBinding", namespace)
    }


@pytest.fixture
def eager_retries():
    """Eager Celery re-runs a retried task inline only when errors do not propagate."""
    from console.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.fixture
def trusted_ns(world, cluster, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        namespace = namespace_create(actor=world.owner, team=world.team, name="acme-web")
    namespace.refresh_from_db()
    return namespace


def test_created_namespace_becomes_ready_with_exactly_the_expected_objects(world, cluster, trusted_ns):
    assert trusted_ns.status == NamespaceStatus.READY, trusted_ns.provisioning.last_error
    ns_obj = cluster.get_object("v1", "Namespace", "acme-web")
    assert ns_obj["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    admins = {f"u{world.owner.pk}", f"u{world.manager.pk}"}
    expected = {
        "ResourceQuota/tenant-quota",
        "LimitRange/tenant-limits",
        *(f"NetworkPolicy/{name}" for name in _network_policy_names(cluster, "acme-web")),
        *(f"RoleBinding/tenantry-{sa}" for sa in admins),
    }
    assert _objects(cluster, "acme-web") == expected
    assert set(_role_bindings(cluster, "acme-web")) == admins
    assert (
        trusted_ns.provisioning.applied_hash
        and trusted_ns.provisioning.applied_hash == trusted_ns.provisioning.desired_hash
    )
    assert trusted_ns.provisioning.last_reconciled_at is not None
    assert cluster.get_object("rbac.authorization.k8s.io/v1", "ClusterRole", "tenant-admin") is not None


def _network_policy_names(emulator, namespace):
    names = {
        np["metadata"]["name"]
        for np in emulator.list_objects("networking.k8s.io/v1", "NetworkPolicy", namespace)
    }
    assert "tenant-default-deny" in names
    return names


def test_adding_and_removing_a_member_adds_and_removes_their_role_binding(
    world, cluster, trusted_ns, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        namespace_membership_set(actor=world.owner, namespace=trusted_ns, user=world.member, role="viewer")
    assert _role_bindings(cluster, "acme-web")[f"u{world.member.pk}"] == "tenant-viewer"

    with django_capture_on_commit_callbacks(execute=True):
        namespace_membership_set(actor=world.owner, namespace=trusted_ns, user=world.member, role="developer")
    assert _role_bindings(cluster, "acme-web")[f"u{world.member.pk}"] == "tenant-developer"

    with django_capture_on_commit_callbacks(execute=True):
        membership_remove(
            actor=world.owner, membership=TeamMembership.objects.get(team=world.team, user=world.member)
        )
    assert f"u{world.member.pk}" not in _role_bindings(cluster, "acme-web")
    assert not NamespaceMembership.objects.filter(user=world.member).exists()


def test_deleting_a_namespace_removes_it_from_the_cluster_and_keeps_a_deleted_record(
    world, cluster, trusted_ns, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        namespace_delete(actor=world.owner, namespace=trusted_ns)
    trusted_ns.refresh_from_db()
    assert trusted_ns.status == NamespaceStatus.DELETED
    assert trusted_ns.deleted_at is not None
    assert cluster.get_object("v1", "Namespace", "acme-web") is None
    assert _objects(cluster, "acme-web") == set()


def test_reconciling_an_unchanged_ready_namespace_makes_no_write_calls(world, cluster, trusted_ns):
    cluster.reset_counters()
    assert namespace_provision(namespace_id=trusted_ns.pk) == Outcome.UNCHANGED
    counts = cluster.counts()
    assert counts["writes"] == 0
    assert counts["reads"] > 0


def test_drifted_objects_are_reapplied(world, cluster, trusted_ns, kube_admin_client):
    import kubernetes

    kubernetes.client.NetworkingV1Api(kube_admin_client).delete_namespaced_network_policy(
        "tenant-default-deny", "acme-web"
    )
    assert namespace_provision(namespace_id=trusted_ns.pk) == Outcome.APPLIED
    assert "NetworkPolicy/tenant-default-deny" in _objects(cluster, "acme-web")


def test_stray_console_objects_are_pruned_but_tenant_objects_are_left_alone(world, cluster, trusted_ns):
    platform = platform_settings_from_django(__import__("django.conf").conf.settings)
    selector = dict(part.split("=") for part in tenant_selector(platform, "acme-web").split(","))
    cluster.objects.create(
        __import__("kubeemu.registry").registry.by_kind("v1", "LimitRange"),
        "acme-web",
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "old", "labels": selector},
            "spec": {"limits": []},
        },
        manager=None,
        dry_run=False,
    )
    cluster.objects.create(
        __import__("kubeemu.registry").registry.by_kind("v1", "LimitRange"),
        "acme-web",
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "mine"}, "spec": {"limits": []}},
        manager=None,
        dry_run=False,
    )
    # The periodic reconcile (desired state unchanged) reads the console's objects and finds it.
    assert namespace_provision(namespace_id=trusted_ns.pk) == Outcome.APPLIED
    assert cluster.get_object("v1", "LimitRange", "old", "acme-web") is None
    assert cluster.get_object("v1", "LimitRange", "mine", "acme-web") is not None


def test_without_a_record_of_the_applied_objects_everything_is_applied_and_strays_pruned(
    world, cluster, trusted_ns
):
    """Namespaces applied before the per-object record existed, or whose last apply failed."""
    platform = platform_settings_from_django(settings)
    selector = dict(part.split("=") for part in tenant_selector(platform, "acme-web").split(","))
    stray = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "old", "labels": selector}}
    cluster.objects.create(
        by_kind("v1", "LimitRange"),
        "acme-web",
        {**stray, "spec": {"limits": []}},
        manager=None,
        dry_run=False,
    )
    NamespaceProvisioning.objects.filter(pk=trusted_ns.pk).update(applied_hash="", applied_objects={})
    objects = len(NamespaceProvisioning.objects.get(pk=trusted_ns.pk).applied_versions)
    cluster.reset_counters()
    assert namespace_provision(namespace_id=trusted_ns.pk) == Outcome.APPLIED
    assert cluster.counts()["by_verb"]["patch"] == objects
    assert cluster.get_object("v1", "LimitRange", "old", "acme-web") is None
    assert set(NamespaceProvisioning.objects.get(pk=trusted_ns.pk).applied_objects) == set(
        NamespaceProvisioning.objects.get(pk=trusted_ns.pk).applied_versions
    )


def _writes(cluster) -> list[tuple[str, str]]:
    return [
        (verb, path)
        for verb, _, path in cluster.counts()["requests"]
        if verb in ("create", "patch", "delete")
    ]


def test_a_new_namespace_costs_one_create_and_one_apply_per_object(world, cluster):
    namespace_provision(namespace_id=world.namespace.pk)  # bootstraps the cluster
    cluster.reset_counters()
    assert namespace_provision(namespace_id=world.other_namespace.pk) == Outcome.APPLIED
    applied = NamespaceProvisioning.objects.get(pk=world.other_namespace.pk).applied_objects
    assert len(applied) >= 8 and all(entry["uid"] and entry["hash"] for entry in applied.values())
    # No read at all: the create is the check that the name is free (AlreadyExists otherwise),
    # the bootstrap is known from the last one, and a namespace made now has nothing to prune.
    assert cluster.counts()["by_verb"] == {"create": 1, "patch": len(applied)}
    assert cluster.counts()["total"] == len(applied) + 1


def test_a_changed_desired_state_writes_only_the_objects_that_changed(
    world, cluster, trusted_ns, django_capture_on_commit_callbacks
):
    cluster.reset_counters()
    with django_capture_on_commit_callbacks(execute=True):
        membership = namespace_membership_set(
            actor=world.owner, namespace=trusted_ns, user=world.member, role="viewer"
        )
    binding = f"/rolebindings/tenantry-u{world.member.pk}"
    assert [(verb, path[-len(binding) :]) for verb, path in _writes(cluster)] == [("patch", binding)]

    uid = cluster.get_object(
        "rbac.authorization.k8s.io/v1", "RoleBinding", binding.split("/")[-1], "acme-web"
    )["metadata"]["uid"]
    assert (
        NamespaceProvisioning.objects.get(pk=trusted_ns.pk).applied_objects[
            f"RoleBinding/acme-web/{binding.split('/')[-1]}"
        ]["uid"]
        == uid
    )
    cluster.reset_counters()
    with django_capture_on_commit_callbacks(execute=True):
        namespace_membership_remove(actor=world.owner, membership=membership)
    assert [(verb, path[-len(binding) :]) for verb, path in _writes(cluster)] == [("delete", binding)]
    assert f"u{world.member.pk}" not in _role_bindings(cluster, "acme-web")


def test_pruning_by_record_leaves_an_object_someone_else_made_under_the_name_alone(
    world, cluster, trusted_ns, django_capture_on_commit_callbacks
):
    from clusters.kube.gateway import KubeGateway

    with django_capture_on_commit_callbacks(execute=True):
        membership = namespace_membership_set(
            actor=world.owner, namespace=trusted_ns, user=world.member, role="viewer"
        )
    name = f"tenantry-u{world.member.pk}"
    admin = KubeGateway.from_url(cluster.url, cluster.admin_token)
    admin.delete("rbac.authorization.k8s.io/v1", "RoleBinding", name, "acme-web")
    theirs = admin.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": "acme-web"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "acme-web"}],
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        namespace_membership_remove(actor=world.owner, membership=membership)
    trusted_ns.refresh_from_db()
    assert trusted_ns.status == NamespaceStatus.READY, trusted_ns.provisioning.last_error
    live = admin.get("rbac.authorization.k8s.io/v1", "RoleBinding", name, "acme-web")
    assert live is not None and live["metadata"]["uid"] == theirs["metadata"]["uid"]


def test_drift_beside_a_change_is_healed_by_the_next_periodic_reconcile(
    world, cluster, trusted_ns, kube_admin_client, django_capture_on_commit_callbacks
):
    """A change writes only what changed; the objects it skips are checked by the periodic
    reconcile, which reads them all while the desired state stays the same."""
    import kubernetes

    kubernetes.client.NetworkingV1Api(kube_admin_client).delete_namespaced_network_policy(
        "tenant-default-deny", "acme-web"
    )
    with django_capture_on_commit_callbacks(execute=True):
        namespace_membership_set(actor=world.owner, namespace=trusted_ns, user=world.member, role="viewer")
    assert "NetworkPolicy/tenant-default-deny" not in _objects(cluster, "acme-web")

    cluster.reset_counters()
    assert namespace_provision(namespace_id=trusted_ns.pk) == Outcome.APPLIED
    assert [verb for verb, _ in _writes(cluster)] == ["patch"]
    assert "NetworkPolicy/tenant-default-deny" in _objects(cluster, "acme-web")
    assert namespace_provision(namespace_id=trusted_ns.pk) == Outcome.UNCHANGED


def test_transient_failures_are_retried_until_provisioning_converges(
    world, cluster, eager_retries, django_capture_on_commit_callbacks
):
    cluster.fail_next(3, 503)
    cluster.drop_next(2, method="PATCH")
    with django_capture_on_commit_callbacks(execute=True):
        namespace = namespace_create(actor=world.owner, team=world.team, name="acme-flaky")
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.READY, namespace.provisioning.last_error
    assert cluster.list_objects("v1", "ResourceQuota", "acme-flaky")[0]["metadata"]["name"] == "tenant-quota"
    assert len(cluster.list_objects("v1", "LimitRange", "acme-flaky")) == 1


def test_permanent_failure_goes_straight_to_error_with_the_api_message(
    world, cluster, django_capture_on_commit_callbacks
):
    cluster.fail_next(100, 422, method="PATCH", message="quota is not acceptable")
    with django_capture_on_commit_callbacks(execute=True):
        namespace = namespace_create(actor=world.owner, team=world.team, name="acme-bad")
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.ERROR
    assert "quota is not acceptable" in namespace.provisioning.last_error
    assert namespace.provisioning.conditions[0]["status"] == "False"


def test_transient_failure_that_never_recovers_ends_in_error_after_the_last_retry(
    world, cluster, eager_retries, django_capture_on_commit_callbacks
):
    cluster.fail_next(1000, 503)
    with django_capture_on_commit_callbacks(execute=True):
        namespace = namespace_create(actor=world.owner, team=world.team, name="acme-down")
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.ERROR
    assert "Gave up after" in namespace.provisioning.last_error


def test_a_namespace_leased_by_another_worker_is_not_provisioned_twice(world, cluster, trusted_ns):
    from django.utils import timezone

    NamespaceProvisioning.objects.filter(pk=trusted_ns.pk).update(
        lease_owner="other-worker", lease_until=timezone.now() + timezone.timedelta(minutes=1)
    )
    cluster.reset_counters()
    assert namespace_provision(namespace_id=trusted_ns.pk) == Outcome.BUSY
    assert cluster.counts()["total"] == 0


def test_a_burst_of_changes_applies_once(world, cluster, trusted_ns):
    users = [UserFactory(username=f"burst{i}") for i in range(3)]
    for user in users:
        TeamMembership.objects.create(team=world.team, user=user, role="member")
        NamespaceMembership.objects.create(namespace=trusted_ns, user=user, role="viewer")
    cluster.reset_counters()
    outcomes = [provision_namespace.delay(trusted_ns.pk).get() for _ in range(3)]
    assert outcomes == [Outcome.APPLIED, Outcome.UNCHANGED, Outcome.UNCHANGED]


def test_bootstrap_installs_the_default_runtime_class_policy_only_where_the_cluster_serves_it(
    world, cluster, django_capture_on_commit_callbacks
):
    from clusters.connections import default_cluster

    with django_capture_on_commit_callbacks(execute=True):
        namespace_create(actor=world.owner, team=world.team, name="acme-map")
    assert default_cluster().sets_default_runtime_class


def test_without_mutating_admission_policies_pods_must_name_their_runtime_class(
    world, cluster, django_capture_on_commit_callbacks
):
    from clusters.connections import default_cluster

    cluster.options["mutating_admission_policies"] = False
    with django_capture_on_commit_callbacks(execute=True):
        namespace_create(actor=world.owner, team=world.team, name="acme-nomap")
    assert not default_cluster().sets_default_runtime_class
    assert cluster.list_objects("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy")


def test_bootstrap_forces_image_pulls_where_mutating_policies_are_served(world, cluster, trusted_ns):
    policies = {
        p["metadata"]["name"]
        for p in cluster.list_objects("admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy")
    }
    assert any("pull" in name for name in policies), policies

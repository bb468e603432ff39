"""The once-per-cluster objects heal: the periodic reconcile and staff's re-check restore what
is missing or changed on the cluster, and only what the console made (emulator)."""

import pytest
from django.conf import settings
from django.core import mail

from clusters.bootstrap import cluster_bootstrap_check, object_key
from clusters.connections import default_cluster, gateway_for_cluster
from clusters.kube.manifests import (
    always_pull_images_objects,
    bootstrap_objects,
    mutating_runtime_policy_objects,
    names,
)
from clusters.kube.spec import platform_settings_from_django
from clusters.kubeconfigs import kubeconfig_issue
from clusters.models import Cluster, NamespaceProvisioning
from clusters.provisioning import Outcome, namespace_provision
from clusters.tasks import reconcile_all
from kubeemu.testing import wait_for
from tenants.models import AuditEvent, Namespace, NamespaceStatus

pytestmark = pytest.mark.django_db

PLATFORM = platform_settings_from_django(settings)
# The emulator serves MutatingAdmissionPolicy, so the mutating policies are bootstrap objects there.
BOOTSTRAP = (
    bootstrap_objects(PLATFORM)
    + mutating_runtime_policy_objects(PLATFORM)
    + always_pull_images_objects(PLATFORM)
)


def _live(cluster_emulator, obj: dict) -> dict | None:
    meta = obj["metadata"]
    return cluster_emulator.get_object(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))


def _gateway():
    return gateway_for_cluster(default_cluster())


def _delete(obj: dict) -> None:
    meta = obj["metadata"]
    _gateway().delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))


def _role_bindings(cluster_emulator, namespace: str) -> dict[str, str]:
    return {
        rb["metadata"]["name"]: rb["roleRef"]["name"]
        for rb in cluster_emulator.list_objects("rbac.authorization.k8s.io/v1", "RoleBinding", namespace)
    }


@pytest.fixture
def provisioned(world, cluster, django_capture_on_commit_callbacks):
    """acme-dev is on the emulator (which bootstrapped the cluster) with its members' RoleBindings."""
    assert namespace_provision(namespace_id=world.namespace.pk) == Outcome.APPLIED
    world.namespace.refresh_from_db()
    assert world.namespace.status == NamespaceStatus.READY, world.namespace.provisioning.last_error
    return world


def test_the_bootstrap_list_covers_every_kind_the_issue_names():
    kinds = {obj["kind"] for obj in BOOTSTRAP}
    assert {
        "Namespace",
        "ClusterRole",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    } <= kinds
    assert names.POLICY_PROTECT_MANAGED in {obj["metadata"]["name"] for obj in BOOTSTRAP}


@pytest.mark.parametrize("obj", BOOTSTRAP, ids=object_key)
def test_each_bootstrap_object_deleted_is_restored_by_the_periodic_reconcile(
    provisioned, cluster, obj, django_capture_on_commit_callbacks
):
    assert _live(cluster, obj) is not None
    _delete(obj)
    wait_for(lambda: _live(cluster, obj) is None)  # a Namespace terminates first
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_all()
    restored = _live(cluster, obj)
    assert restored is not None
    assert restored["metadata"]["labels"][names.MANAGED_BY_LABEL] == PLATFORM.managed_by
    event = AuditEvent.objects.get(action="cluster.bootstrap_checked")
    assert event.actor is None and event.data["restored"] == [object_key(obj)]
    # Staff are told, each in their own language.
    [sent] = [m for m in mail.outbox if "restored" in m.subject]
    assert sent.to == [provisioned.admin.email] and object_key(obj) in sent.body
    # Its namespaces were reconciled again, and found whole (or made whole).
    assert Namespace.objects.get(pk=provisioned.namespace.pk).status == NamespaceStatus.READY


def test_a_changed_policy_is_put_back(provisioned, cluster):
    policy = next(o for o in BOOTSTRAP if o["metadata"]["name"] == names.POLICY_PROTECT_MANAGED)
    live = _live(cluster, policy)
    gateway = _gateway()
    gateway.patch_merge(
        policy["apiVersion"], policy["kind"], names.POLICY_PROTECT_MANAGED, {"spec": {"validations": []}}
    )
    assert _live(cluster, policy)["spec"]["validations"] == []
    result = cluster_bootstrap_check(cluster=default_cluster())
    assert result.restored == [object_key(policy)]
    assert _live(cluster, policy)["spec"]["validations"] == live["spec"]["validations"]


def test_when_nothing_drifted_the_check_only_reads(provisioned, cluster):
    cluster.reset_counters()
    result = cluster_bootstrap_check(cluster=default_cluster())
    assert result.restored == [] and result.error == ""
    counts = cluster.counts()
    assert counts["writes"] == 0
    assert counts["reads"] >= len(BOOTSTRAP)
    assert not AuditEvent.objects.filter(action="cluster.bootstrap_checked").exists()
    assert Cluster.objects.get(is_default=True).bootstrap_checked_at is not None


def test_an_object_someone_else_made_under_a_bootstrap_name_is_left_alone_and_reported(provisioned, cluster):
    role = next(o for o in BOOTSTRAP if o["kind"] == "ClusterRole")
    _delete(role)
    theirs = {
        "apiVersion": role["apiVersion"],
        "kind": "ClusterRole",
        "metadata": {"name": role["metadata"]["name"], "labels": {"team": "platform"}},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
    }
    cluster.seed_object(theirs)
    other = next(o for o in BOOTSTRAP if o["kind"] == "ValidatingAdmissionPolicyBinding")
    _delete(other)

    result = cluster_bootstrap_check(cluster=default_cluster())

    live = _live(cluster, role)
    assert live["rules"] == theirs["rules"] and live["metadata"]["labels"] == {"team": "platform"}
    assert role["metadata"]["name"] in result.error and "not created by this console" in result.error
    assert _live(cluster, other) is not None  # what is the console's was still restored
    stored = Cluster.objects.get(is_default=True)
    assert stored.bootstrap_error == result.error
    # A namespace would bind its members to someone else's role: provisioning refuses.
    NamespaceProvisioning.objects.filter(pk=provisioned.namespace.pk).update(applied_hash="")
    assert namespace_provision(namespace_id=provisioned.namespace.pk) == Outcome.FAILED
    assert (
        "not created by this console"
        in NamespaceProvisioning.objects.get(pk=provisioned.namespace.pk).last_error
    )


def test_a_reset_cluster_comes_back_whole(provisioned, cluster, django_capture_on_commit_callbacks):
    before = _role_bindings(cluster, "acme-dev")
    assert before
    cluster.reset()  # empty state, as after a cluster rebuild
    assert cluster.get_object("v1", "Namespace", PLATFORM.system_namespace) is None

    with django_capture_on_commit_callbacks(execute=True):
        reconcile_all()

    for obj in BOOTSTRAP:
        assert _live(cluster, obj) is not None, object_key(obj)
    namespace = Namespace.objects.get(pk=provisioned.namespace.pk)
    assert namespace.status == NamespaceStatus.READY, namespace.provisioning.last_error
    live_ns = cluster.get_object("v1", "Namespace", "acme-dev")
    assert live_ns["metadata"]["uid"] == namespace.provisioning.cluster_uid
    assert _role_bindings(cluster, "acme-dev") == before
    assert AuditEvent.objects.filter(
        action="namespace.recreated_on_cluster", target_id=str(namespace.pk)
    ).exists()
    assert kubeconfig_issue(user=provisioned.developer).unavailable == []


def test_a_kubeconfig_after_a_reset_does_not_wait_for_the_periodic_check(provisioned, cluster):
    cluster.reset()
    issued = kubeconfig_issue(user=provisioned.developer)
    assert issued.unavailable == [] and issued.namespaces == ["acme-dev"]
    assert cluster.get_object("v1", "Namespace", PLATFORM.system_namespace) is not None


def test_staff_recheck_asks_first_then_restores_and_is_audited(client, provisioned, cluster):
    policy = next(o for o in BOOTSTRAP if o["metadata"]["name"] == names.POLICY_PROTECT_MANAGED)
    _delete(policy)
    pk = Cluster.objects.get(is_default=True).pk
    client.force_login(provisioned.admin)

    page = client.get(f"/clusters/{pk}/recheck/")
    assert page.status_code == 200 and b'method="post"' in page.content
    assert _live(cluster, policy) is None  # asking changed nothing

    response = client.post(f"/clusters/{pk}/recheck/", follow=True)
    assert response.redirect_chain[-1][0] == "/clusters/"
    assert _live(cluster, policy) is not None
    event = AuditEvent.objects.get(action="cluster.bootstrap_checked")
    assert event.actor == provisioned.admin
    on_cluster = Namespace.objects.live().filter(cluster__pk=pk).count()  # acme-dev and globex-prod
    assert event.data["restored"] == [object_key(policy)] and event.data["namespaces"] == on_cluster == 2
    assert not [m for m in mail.outbox if "restored" in m.subject]  # staff asked: they see the message
    assert "in place, checked" in client.get("/clusters/").content.decode()

    client.post(f"/clusters/{pk}/recheck/")  # nothing to restore: audited all the same
    assert AuditEvent.objects.filter(action="cluster.bootstrap_checked").count() == 2


@pytest.mark.parametrize("persona", ["outsider", "owner", "member"])
def test_only_staff_may_recheck_a_cluster(client, provisioned, cluster, persona):
    policy = next(o for o in BOOTSTRAP if o["metadata"]["name"] == names.POLICY_PROTECT_MANAGED)
    _delete(policy)
    pk = Cluster.objects.get(is_default=True).pk
    client.force_login(getattr(provisioned, persona))
    assert client.get(f"/clusters/{pk}/recheck/").status_code in (403, 404)
    assert client.post(f"/clusters/{pk}/recheck/").status_code in (403, 404)
    assert _live(cluster, policy) is None
    assert not AuditEvent.objects.filter(action="cluster.bootstrap_checked").exists()


def test_an_unreachable_cluster_is_recorded_not_raised(provisioned, cluster):
    cluster.fail_next(100, 503)
    result = cluster_bootstrap_check(cluster=default_cluster())
    assert result.error and result.restored == []
    assert Cluster.objects.get(is_default=True).bootstrap_error == result.error


def test_a_system_namespace_the_operator_made_first_is_the_console_s(world, cluster):
    """The Helm chart's install creates the system namespace before the console runs."""
    cluster.seed_object(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PLATFORM.system_namespace}}
    )
    assert namespace_provision(namespace_id=world.namespace.pk) == Outcome.APPLIED
    labels = cluster.get_object("v1", "Namespace", PLATFORM.system_namespace)["metadata"]["labels"]
    assert labels[names.MANAGED_BY_LABEL] == PLATFORM.managed_by
    assert Cluster.objects.get(is_default=True).bootstrap_error == ""

"""Suspension in debt after the grace period, exact resumption after a top-up.

Billing only records the decision; the provisioner applies it on the emulator (reached over
HTTP through the real gateway), so these tests follow the whole path.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings

from billing.models import Band, BillingAccount
from billing.services.accounts import ledger_record
from billing.services.suspension import suspension_due, suspensions_enforce
from clusters.connections import gateway_for_cluster
from clusters.kube.manifests import names
from clusters.kube.manifests.common import tenant_labels
from clusters.kube.spec import platform_settings_from_django
from clusters.models import NamespaceProvisioning, SuspendedWorkload
from clusters.provisioning import namespace_provision
from tenants.models import AuditEvent, Namespace, NamespaceStatus

from .conftest import utc

pytestmark = pytest.mark.django_db
NOW = utc(2024, 3, 5, 12)


def in_debt(team, since):
    return BillingAccount.objects.create(team=team, balance=Decimal("-3"), band=Band.DEBT, debt_since=since)


def _deployment(kind, name, namespace, replicas):
    labels = {"app": name}
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        },
    }
    if kind == "StatefulSet":
        spec["serviceName"] = name
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _cronjob(name, suspend):
    pod = {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]}}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "acme-dev"},
        "spec": {"schedule": "0 3 * * *", "suspend": suspend, "jobTemplate": {"spec": {"template": pod}}},
    }


def _state(emulator, namespace="acme-dev"):
    state = {}
    for api_version, kind in (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet")):
        for obj in emulator.list_objects(api_version, kind, namespace):
            state[(kind, obj["metadata"]["name"])] = obj["spec"]["replicas"]
    for obj in emulator.list_objects("batch/v1", "CronJob", namespace):
        state[("CronJob", obj["metadata"]["name"])] = obj["spec"].get("suspend", False)
    for obj in emulator.list_objects("v1", "ResourceQuota", namespace):
        state[("ResourceQuota", obj["metadata"]["name"])] = obj["spec"]["hard"]
    return state


def _workloads(gateway):
    for obj in (
        _deployment("Deployment", "web", "acme-dev", 3),
        _deployment("Deployment", "idle", "acme-dev", 0),
        _deployment("StatefulSet", "db", "acme-dev", 2),
        _cronjob("nightly", False),
        _cronjob("paused", True),
    ):
        gateway.apply(obj)


@pytest.fixture
def provisioned(acme, cluster):
    """acme-dev and globex-prod made by the provisioner on the emulator, with the tenant's own
    workloads in them; returns the gateway."""
    NamespaceProvisioning.objects.filter(pk__in=[acme.namespace.pk, acme.other_namespace.pk]).update(
        cluster_uid=""
    )
    for namespace in (acme.namespace, acme.other_namespace):
        namespace_provision(namespace_id=namespace.pk)
        assert Namespace.objects.get(pk=namespace.pk).status == NamespaceStatus.READY
    gateway = gateway_for_cluster(acme.namespace.cluster)
    _workloads(gateway)
    gateway.apply(_deployment("Deployment", "other", "globex-prod", 5))
    return gateway


@pytest.mark.parametrize(
    ("hours_in_debt", "mode", "due"), [(23, "prepaid", False), (24, "prepaid", True), (48, "invoiced", False)]
)
def test_suspension_is_due_only_for_prepaid_teams_past_the_grace(acme, hours_in_debt, mode, due):
    acme.team.billing_mode = mode
    account = in_debt(acme.team, NOW - timedelta(hours=hours_in_debt))
    assert suspension_due(account=account, team=acme.team, now=NOW) is due


def test_debt_suspends_and_topup_resumes_exactly(
    acme, provisioned, cluster, django_capture_on_commit_callbacks
):
    before, theirs = _state(cluster), _state(cluster, "globex-prod")
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert suspensions_enforce() == {"suspended": 1, "resumed": 0}
    during = _state(cluster)
    assert during[("ResourceQuota", names.SUSPEND_QUOTA)] == {"pods": "0"}
    assert during[("ResourceQuota", names.RESOURCE_QUOTA)] == before[("ResourceQuota", names.RESOURCE_QUOTA)]
    assert during[("Deployment", "web")] == during[("StatefulSet", "db")] == 0
    assert during[("CronJob", "nightly")] is True and during[("CronJob", "paused")] is True
    assert _state(cluster, "globex-prod") == theirs  # other tenants untouched
    # The quota is the provisioner's object: the console's configured labels, pruned on resume.
    quota = cluster.list_objects("v1", "ResourceQuota", "acme-dev")
    (suspend_quota,) = [q for q in quota if q["metadata"]["name"] == names.SUSPEND_QUOTA]
    labels = tenant_labels(platform_settings_from_django(django_settings), "acme-dev")
    assert labels.items() <= suspend_quota["metadata"]["labels"].items()
    assert SuspendedWorkload.objects.get(name="web").replicas == 3
    assert BillingAccount.objects.get(team=acme.team).suspended_at == NOW
    assert AuditEvent.objects.filter(action="billing.team.suspended").exists()

    # Running again changes nothing and does not overwrite the remembered counts; a workload the
    # tenant scales up meanwhile goes back to zero at the next reconcile.
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert suspensions_enforce() == {"suspended": 0, "resumed": 0}
    provisioned.set_scale("Deployment", "web", "acme-dev", 4)
    namespace_provision(namespace_id=acme.namespace.pk)
    assert _state(cluster)[("Deployment", "web")] == 0
    assert SuspendedWorkload.objects.get(name="web").replicas == 3

    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("10"), reason="paid")
    assert _state(cluster) == before
    assert not SuspendedWorkload.objects.exists()
    assert BillingAccount.objects.get(team=acme.team).suspended_at is None
    assert AuditEvent.objects.filter(action="billing.team.resumed").exists()


def test_a_topup_that_leaves_debt_does_not_resume(
    acme, provisioned, cluster, django_capture_on_commit_callbacks
):
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        suspensions_enforce()
    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("1"), reason="partial")
    assert BillingAccount.objects.get(team=acme.team).suspended_at == NOW
    assert _state(cluster)[("Deployment", "web")] == 0


def test_a_workload_deleted_while_suspended_is_forgotten_on_resume(
    acme, provisioned, cluster, django_capture_on_commit_callbacks
):
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        suspensions_enforce()
    provisioned.delete("apps/v1", "Deployment", "web", "acme-dev")
    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("10"), reason="paid")
    assert ("Deployment", "web") not in _state(cluster)
    assert _state(cluster)[("StatefulSet", "db")] == 2
    assert not SuspendedWorkload.objects.exists()


@pytest.mark.parametrize("recorded_uid", ["", "uid-forged"])
def test_suspension_never_writes_into_a_namespace_the_console_has_not_proven_its_own(
    acme, cluster, django_capture_on_commit_callbacks, recorded_uid
):
    """acme-dev on the cluster was made by someone else. With no UID recorded (refused as a
    foreign name) billing does not ask; with one recorded, the provisioner checks the marks
    and refuses. Either way nothing on the cluster changes."""
    gateway = gateway_for_cluster(acme.namespace.cluster)
    gateway.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-dev"}})
    _workloads(gateway)
    NamespaceProvisioning.objects.filter(pk=acme.namespace.pk).update(cluster_uid=recorded_uid)
    before = _state(cluster)
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert suspensions_enforce() == {"suspended": 1, "resumed": 0}
    assert _state(cluster) == before
    assert not SuspendedWorkload.objects.exists()

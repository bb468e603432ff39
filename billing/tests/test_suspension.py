"""Suspension in debt after the grace period, exact resumption after a top-up."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.models import Band, BillingAccount, SuspendedObject
from billing.services.accounts import ledger_record
from billing.services.suspension import SUSPEND_QUOTA, suspension_due, suspensions_enforce
from tenants.models import AuditEvent, Namespace

from .conftest import FakeGateway, utc

pytestmark = pytest.mark.django_db
NOW = utc(2024, 3, 5, 12)


@pytest.fixture
def fake_cluster(acme):
    gw = FakeGateway()
    gw.add("Deployment", "acme-dev", "web", {"replicas": 3})
    gw.add("Deployment", "acme-dev", "idle", {"replicas": 0})
    gw.add("StatefulSet", "acme-dev", "db", {"replicas": 2})
    gw.add("CronJob", "acme-dev", "nightly", {"suspend": False})
    gw.add("CronJob", "acme-dev", "paused", {"suspend": True})
    gw.add("Deployment", "globex-prod", "other", {"replicas": 5})
    return gw


def in_debt(team, since):
    return BillingAccount.objects.create(team=team, balance=Decimal("-3"), band=Band.DEBT, debt_since=since)


@pytest.mark.parametrize(
    ("hours_in_debt", "mode", "due"), [(23, "prepaid", False), (24, "prepaid", True), (48, "invoiced", False)]
)
def test_suspension_is_due_only_for_prepaid_teams_past_the_grace(acme, hours_in_debt, mode, due):
    acme.team.billing_mode = mode
    account = in_debt(acme.team, NOW - timedelta(hours=hours_in_debt))
    assert suspension_due(account=account, team=acme.team, now=NOW) is due


def test_debt_suspends_and_topup_resumes_exactly(
    acme, fake_cluster, django_capture_on_commit_callbacks, monkeypatch
):
    before = fake_cluster.snapshot()
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False):
        assert suspensions_enforce(gateway_for=lambda ns: fake_cluster) == {"suspended": 1, "resumed": 0}
    objects = fake_cluster.objects
    assert objects[("ResourceQuota", "acme-dev", SUSPEND_QUOTA)]["spec"]["hard"] == {"pods": "0"}
    assert objects[("Deployment", "acme-dev", "web")]["spec"]["replicas"] == 0
    assert objects[("StatefulSet", "acme-dev", "db")]["spec"]["replicas"] == 0
    assert objects[("CronJob", "acme-dev", "nightly")]["spec"]["suspend"] is True
    assert objects[("Deployment", "globex-prod", "other")]["spec"]["replicas"] == 5  # other tenants untouched
    assert SuspendedObject.objects.get(name="web").replicas == 3
    assert BillingAccount.objects.get(team=acme.team).suspended_at == NOW
    assert AuditEvent.objects.filter(action="billing.team.suspended").exists()
    # Running again changes nothing and does not overwrite the remembered counts.
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert suspensions_enforce(gateway_for=lambda ns: fake_cluster) == {"suspended": 0, "resumed": 0}
    assert SuspendedObject.objects.get(name="web").replicas == 3

    import billing.services.suspension as suspension

    monkeypatch.setattr(suspension, "default_gateway", lambda ns: fake_cluster)
    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("10"), reason="paid")
    assert fake_cluster.snapshot() == before
    assert not SuspendedObject.objects.exists()
    assert BillingAccount.objects.get(team=acme.team).suspended_at is None


def test_a_topup_that_leaves_debt_does_not_resume(acme, fake_cluster, django_capture_on_commit_callbacks):
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False):
        suspensions_enforce(gateway_for=lambda ns: fake_cluster)
    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("1"), reason="partial")
    assert BillingAccount.objects.get(team=acme.team).suspended_at == NOW
    assert fake_cluster.objects[("Deployment", "acme-dev", "web")]["spec"]["replicas"] == 0


def _deployment(kind, name, replicas):
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
        "metadata": {"name": name, "namespace": "acme-dev"},
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


def _cluster_state(emulator):
    state = {}
    for api_version, kind in (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet")):
        for obj in emulator.list_objects(api_version, kind, "acme-dev"):
            state[(kind, obj["metadata"]["name"])] = obj["spec"]["replicas"]
    for obj in emulator.list_objects("batch/v1", "CronJob", "acme-dev"):
        state[("CronJob", obj["metadata"]["name"])] = obj["spec"].get("suspend", False)
    for obj in emulator.list_objects("v1", "ResourceQuota", "acme-dev"):
        state[("ResourceQuota", obj["metadata"]["name"])] = obj["spec"]["hard"]
    return state


def test_suspend_and_resume_end_to_end_on_the_emulator(acme, cluster, django_capture_on_commit_callbacks):
    """Through the real gateway over HTTP: the cluster after resume equals the cluster before."""
    from clusters.connections import cluster_for_namespace, gateway_for_cluster

    gateway = gateway_for_cluster(cluster_for_namespace(acme.namespace))
    gateway.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-dev"}})
    gateway.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "tenant-quota", "namespace": "acme-dev"},
            "spec": {"hard": {"pods": "20", "requests.cpu": "8"}},
        }
    )
    for obj in (
        _deployment("Deployment", "web", 3),
        _deployment("Deployment", "idle", 0),
        _deployment("StatefulSet", "db", 2),
        _cronjob("nightly", False),
        _cronjob("paused", True),
    ):
        gateway.apply(obj)
    before = _cluster_state(cluster)

    in_debt(acme.team, NOW - timedelta(hours=30))
    with time_machine.travel(NOW, tick=False):
        assert suspensions_enforce() == {"suspended": 1, "resumed": 0}
    during = _cluster_state(cluster)
    assert during[("ResourceQuota", SUSPEND_QUOTA)] == {"pods": "0"}
    assert during[("ResourceQuota", "tenant-quota")] == before[("ResourceQuota", "tenant-quota")]
    assert during[("Deployment", "web")] == during[("StatefulSet", "db")] == 0
    assert during[("CronJob", "nightly")] is True and during[("CronJob", "paused")] is True

    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("50"), reason="Wire 9")
    assert _cluster_state(cluster) == before
    assert BillingAccount.objects.get(team=acme.team).suspended_at is None
    assert not SuspendedObject.objects.exists()


def test_suspension_never_writes_into_a_namespace_the_console_has_not_proven_its_own(acme, fake_cluster):
    """A namespace record whose cluster namespace was never created by the provisioner (no UID
    recorded, e.g. refused as a foreign name) is skipped: the cluster's namespace of that name
    belongs to someone else."""
    Namespace.objects.filter(pk=acme.namespace.pk).update(cluster_uid="")
    before = fake_cluster.snapshot()
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False):
        assert suspensions_enforce(gateway_for=lambda ns: fake_cluster) == {"suspended": 1, "resumed": 0}
    assert fake_cluster.snapshot() == before
    assert not SuspendedObject.objects.exists()

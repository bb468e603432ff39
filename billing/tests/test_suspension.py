"""Suspension in debt after the grace period, exact resumption after a top-up."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.models import Band, BillingAccount, SuspendedObject
from billing.services.accounts import ledger_record
from billing.services.suspension import SUSPEND_QUOTA, suspension_due, suspensions_enforce
from tenants.models import AuditEvent

from .conftest import FakeGateway, utc

pytestmark = pytest.mark.django_db
NOW = utc(2024, 3, 5, 12)


@pytest.fixture
def cluster(acme):
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
    acme, cluster, django_capture_on_commit_callbacks, monkeypatch
):
    before = cluster.snapshot()
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False):
        assert suspensions_enforce(gateway_for=lambda ns: cluster) == {"suspended": 1, "resumed": 0}
    objects = cluster.objects
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
        assert suspensions_enforce(gateway_for=lambda ns: cluster) == {"suspended": 0, "resumed": 0}
    assert SuspendedObject.objects.get(name="web").replicas == 3

    import billing.services.suspension as suspension

    monkeypatch.setattr(suspension, "default_gateway", lambda ns: cluster)
    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("10"), reason="paid")
    assert cluster.snapshot() == before
    assert not SuspendedObject.objects.exists()
    assert BillingAccount.objects.get(team=acme.team).suspended_at is None


def test_a_topup_that_leaves_debt_does_not_resume(acme, cluster, django_capture_on_commit_callbacks):
    in_debt(acme.team, NOW - timedelta(hours=25))
    with time_machine.travel(NOW, tick=False):
        suspensions_enforce(gateway_for=lambda ns: cluster)
    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("1"), reason="partial")
    assert BillingAccount.objects.get(team=acme.team).suspended_at == NOW
    assert cluster.objects[("Deployment", "acme-dev", "web")]["spec"]["replicas"] == 0

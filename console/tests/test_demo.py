"""`manage.py demo`: idempotent, fills every persona's pages with data, works with and without
a reachable cluster."""

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum
from django.utils.html import escape

from billing.models import BillingAccount, LedgerEntry, Statement, StatementStatus
from console.demo.usage import SOURCE
from metering.models import QuotaRequestStatus, UsageHourly, UsageSample
from tenants.models import Namespace, Team

pytestmark = pytest.mark.django_db
# Two weeks back crosses into February, whose statement is due for finalization on 4 March.
NOW = datetime(2026, 3, 4, 10, 17, tzinfo=UTC)
DEMO_APPS = ("auth", "account", "tenants", "metering", "billing", "clusters")


def _demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for name in DEMO_APPS
        for model in apps.get_app_config(name).get_models()
    }


@pytest.fixture
def no_cluster(settings):
    settings.KUBECONFIG = ""


@pytest.fixture
def demo(no_cluster):
    with time_machine.travel(NOW, tick=False):
        _demo()
    return {u.username: u for u in get_user_model().objects.all()}


def test_running_the_demo_twice_adds_and_changes_nothing(no_cluster):
    with time_machine.travel(NOW, tick=False):
        _demo()
        first = _row_counts()
        balances = dict(BillingAccount.objects.values_list("team__slug", "balance"))
        _demo()
    assert _row_counts() == first
    assert dict(BillingAccount.objects.values_list("team__slug", "balance")) == balances
    assert first["metering.UsageSample"] > 0 and first["billing.Charge"] > 0


def test_without_a_cluster_the_demo_says_it_skipped_live_usage(no_cluster):
    with time_machine.travel(NOW, tick=False):
        output = _demo()
    assert "no cluster configured" in output
    assert "developer@tenantry.localhost" in output


def test_two_weeks_of_history_for_every_namespace(demo):
    for namespace in Namespace.objects.all():
        hours = UsageHourly.objects.filter(namespace=namespace, metric="cpu_request")
        days = 7 if namespace.team.is_personal else 14
        assert hours.count() >= days * 24, namespace.name
        assert UsageSample.objects.filter(namespace=namespace, source=SOURCE).exists()
        assert not UsageSample.objects.filter(namespace=namespace, is_gap=True).exists()


def test_runtime_follows_trust_level(demo):
    runtimes = dict(
        UsageHourly.objects.values_list("namespace__team__trust_level", "runtime_class").distinct()
    )
    assert runtimes == {"trusted": "runc", "public": "gvisor"}


def test_usage_api_returns_the_last_day_for_the_developer(demo, client):
    client.force_login(demo["developer"])
    with time_machine.travel(NOW, tick=False):
        response = client.get("/api/v1/namespaces/platform-dev/usage/?metric=cpu_usage&step=900")
    assert response.status_code == 200
    values = [value for _, value in response.json()["points"]]
    assert sum(v is not None for v in values) >= 90
    assert max(v for v in values if v is not None) > min(v for v in values if v is not None)


def test_statement_lines_add_up_to_the_finalized_total(demo, client):
    february = Statement.objects.get(team__slug="platform", month="2026-02-01")
    assert february.status == StatementStatus.FINALIZED
    assert february.lines.count() > 0
    assert february.total == february.lines.aggregate(t=Sum("amount"))["t"] > 0
    client.force_login(demo["manager"])
    response = client.get(f"/billing/teams/platform/statements/{february.pk}/")
    assert response.status_code == 200
    assert f"{february.total:.2f}" in response.content.decode()


def test_prepaid_balance_is_the_top_up_minus_the_charges(demo, client):
    personal = Team.objects.get(is_personal=True)
    topup = LedgerEntry.objects.get(team=personal, kind="topup")
    assert topup.created_by == demo["finance"] and topup.reason
    charged = personal.charges.aggregate(t=Sum("amount"))["t"]
    assert charged > 0
    assert BillingAccount.objects.get(team=personal).balance == topup.amount - charged
    assert BillingAccount.objects.get(team__slug="platform").balance == Decimal("0")


def test_manager_dashboard_shows_the_request_and_the_busy_namespace(demo, client):
    client.force_login(demo["manager"])
    with time_machine.travel(NOW, tick=False):
        page = client.get("/").content.decode()
    assert "Load test of the new ingest pipeline" in page
    assert "platform-dev" in page and "90%" in page
    assert demo["developer"].quota_requests.get().status == QuotaRequestStatus.PENDING


def test_finance_sees_every_team_and_the_samples_behind_a_line(demo, client):
    client.force_login(demo["finance"])
    page = client.get("/billing/finance/?month=2026-03").content.decode()
    for team in Team.objects.all():
        assert escape(team.name) in page, team.name
    line = Statement.objects.get(team__slug="platform", month="2026-03-01").lines.latest("day")
    response = client.get(f"/billing/finance/charges/{line.pk}/")
    assert response.status_code == 200
    assert "demo" in response.content.decode()


def test_with_the_emulator_live_usage_continues_the_history(settings, cluster):
    with time_machine.travel(NOW, tick=False):
        output = _demo()
    assert "live usage seeded on the emulator" in output
    quota = cluster.get_object("v1", "ResourceQuota", "tenant-quota", "platform-dev")
    assert quota["status"]["used"]["requests.cpu"] == "900m"
    assert cluster.get_object("v1", "PersistentVolumeClaim", "data", "research-ml") is not None
    assert Namespace.objects.filter(status="ready").count() == Namespace.objects.count()

"""Finance and staff land on a home of their own, not on the tenant onboarding."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import BillingAccount, Statement, StatementStatus
from clusters.models import Cluster, NamespaceProvisioning
from metering.models import ClusterState, QuotaRequest
from tenants.models import Namespace, NamespaceStatus
from tests.factories import NamespaceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _statement(team, month, status, total="12.500"):
    now = timezone.now()
    return Statement.objects.create(
        team=team,
        month=month,
        currency="USD",
        period_start=now,
        period_end=now,
        status=status,
        total=Decimal(total),
    )


def _dashboard(client, user):
    client.force_login(user)
    return client.get(reverse("dashboard")).content.decode()


def test_finance_sees_statements_due_and_debts_not_the_onboarding(client, world):
    _statement(world.team, date(2026, 9, 1), StatementStatus.FINALIZED, "41.250")
    _statement(world.team, date(2026, 8, 1), StatementStatus.PAID)
    _statement(world.other_team, date(2026, 10, 1), StatementStatus.DRAFT)
    BillingAccount.objects.create(team=world.other_team, balance=Decimal("-7.125"))
    BillingAccount.objects.create(team=world.team, balance=Decimal("30"))
    html = _dashboard(client, world.finance)
    assert 'id="first-run"' not in html
    assert 'id="finance-home"' in html and 'id="staff-home"' not in html
    home = html.split('id="finance-home"')[1].split("</section>")[0]
    assert "1 statement due" in home and "41.250 USD" in home and "September 2026" in home
    assert "1 balance in debt" in home and "Globex" in home and "-7.125" in home
    assert "Acme" not in home.split("balance in debt")[1]  # in credit


def test_staff_see_failed_namespaces_requests_beyond_quota_and_cluster_health(client, world):
    Namespace.objects.filter(pk=world.namespace.pk).update(status=NamespaceStatus.ERROR)
    NamespaceProvisioning.objects.filter(pk=world.namespace.pk).update(
        last_error="the name is taken on the cluster"
    )
    QuotaRequest.objects.create(
        team=world.team, namespace=world.namespace, reason="x", requested_by=world.developer, needs_staff=True
    )
    QuotaRequest.objects.create(
        team=world.team, namespace=world.namespace, reason="y", requested_by=world.developer
    )
    broken = Cluster.objects.create(name="east", reachable=False, last_error="connection refused")
    ClusterState.objects.create(
        cluster=world.namespace.cluster, discovery_error="403 forbidden: runtimeclasses"
    )
    html = _dashboard(client, world.admin)
    assert 'id="first-run"' not in html
    home = html.split('id="staff-home"')[1].split("</section>")[0]
    assert "1 failed namespace" in home and "acme-dev" in home and "the name is taken" in home
    assert "1 quota request beyond a team quota" in home
    assert broken.name in home and "connection refused" in home and "unreachable" in home
    assert "discovery failing" in home and "403 forbidden" in home


def test_tenants_get_no_role_home(client, world):
    html = _dashboard(client, world.developer)
    assert 'id="staff-home"' not in html and 'id="finance-home"' not in html


def test_role_homes_cost_the_same_queries_with_more_data(client, world):
    def count():
        client.force_login(world.admin)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("dashboard"))
        return len(queries)

    count()  # the first visit creates the default cluster's row
    before = count()
    for index in range(5):
        team = TeamFactory(name=f"T{index}", slug=f"t{index}")
        NamespaceFactory(team=team, name=f"t{index}-ns", status=NamespaceStatus.ERROR)
        Cluster.objects.create(name=f"c{index}", reachable=False)
        _statement(team, date(2026, 9, 1), StatementStatus.FINALIZED)
        BillingAccount.objects.create(team=team, balance=Decimal("-1"))
    assert count() == before

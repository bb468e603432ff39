"""Gauges read from the database at scrape time: the state of the whole console.

Every web pod reports the same values (they come from one database), so alert on ``max()``
over pods. Each scrape runs a fixed number of small aggregate queries, whatever the size.
"""

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, F, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from billing.models import Band, BillingAccount, BillRun
from metering.models import ClusterState
from tenants.models import Namespace, NamespaceStatus

WAITING = [NamespaceStatus.PENDING, NamespaceStatus.PROVISIONING]


def _age(now: datetime, moment: datetime | None) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0


class ConsoleStateCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from self._namespaces(now)
        yield from self._collector(now)
        yield from self._billing()

    def _namespaces(self, now: datetime) -> Iterator[Metric]:
        by_status = GaugeMetricFamily("tenantry_namespaces", "Namespaces by status", labels=["status"])
        counts = dict(Namespace.objects.values_list("status").annotate(n=Count("pk")).order_by())
        for status in NamespaceStatus.values:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status

        live = Namespace.objects.live()
        waiting = live.filter(
            Q(status__in=WAITING) | ~Q(provisioning__desired_hash=F("provisioning__applied_hash"))
        )
        summary = waiting.aggregate(n=Count("pk"), oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "tenantry_provisioning_queue_depth",
            "Namespaces waiting to be applied (pending, provisioning, or changed since last applied)",
            value=summary["n"],
        )
        oldest_pending = live.filter(status=NamespaceStatus.PENDING).aggregate(m=Min("created_at"))["m"]
        yield GaugeMetricFamily(
            "tenantry_provisioning_oldest_pending_seconds",
            "Age of the oldest namespace still pending (0 when none)",
            value=_age(now, oldest_pending),
        )
        oldest_check = live.filter(status=NamespaceStatus.READY).aggregate(
            m=Min("provisioning__last_reconciled_at")
        )["m"]
        yield GaugeMetricFamily(
            "tenantry_reconcile_lag_seconds",
            "Time since the least recently reconciled ready namespace was last checked",
            value=_age(now, oldest_check),
        )

    def _collector(self, now: datetime) -> Iterator[Metric]:
        age = GaugeMetricFamily(
            "tenantry_collector_last_success_age_seconds",
            "Time since usage was last collected, by cluster",
            labels=["cluster"],
        )
        failing = GaugeMetricFamily(
            "tenantry_collector_failing",
            "1 when the last collection of a cluster reported errors (its windows became gaps)",
            labels=["cluster"],
        )
        for key, collected_at, error in ClusterState.objects.values_list(
            "cluster__name", "last_collected_at", "last_collect_error"
        ):
            age.add_metric([key], _age(now, collected_at))
            failing.add_metric([key], 1 if error else 0)
        yield age
        yield failing

    def _billing(self) -> Iterator[Metric]:
        bands = GaugeMetricFamily(
            "tenantry_billing_accounts", "Billing accounts by balance band", labels=["band"]
        )
        counts = dict(BillingAccount.objects.values_list("band").annotate(n=Count("pk")).order_by())
        for band in Band.values:
            bands.add_metric([band], counts.get(band, 0))
        yield bands

        last = BillRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
        yield GaugeMetricFamily(
            "tenantry_bill_run_last_duration_seconds",
            "Duration of the last finished bill run",
            value=(last.finished_at - last.started_at).total_seconds() if last and last.finished_at else 0,
        )
        yield GaugeMetricFamily(
            "tenantry_bill_run_last_failures",
            "Team-days that failed in the last finished bill run",
            value=len(last.errors) if last else 0,
        )
        yield GaugeMetricFamily(
            "tenantry_bill_run_last_finished_timestamp_seconds",
            "When the last bill run finished (Unix time; 0 when none)",
            value=last.finished_at.timestamp() if last and last.finished_at else 0,
        )

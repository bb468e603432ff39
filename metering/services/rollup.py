"""Hourly rollup of raw samples, and pruning of raw samples past retention."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from metering.models import COUNTER_METRICS, UsageHourly, UsageSample

MEASURED = Q(is_gap=False)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@transaction.atomic
def usage_rollup(*, now: datetime, lookback_hours: int = 3) -> int:
    """(Re)compute the last ``lookback_hours`` complete hours; safe to run any number of times.

    Gauges: mean of the measured samples (windows are equal length, so this is the
    time-weighted mean); counters: their sum. ``coverage`` is measured seconds / 3600.
    Only new or changed rows are written, with ``updated_at`` set (bulk writes skip
    ``auto_now``), so it tells billing when an hour's usage last changed.
    """
    end = _floor_hour(now)
    start = end - timedelta(hours=lookback_hours)
    duration = ExpressionWrapper(F("window_end") - F("window_start"), output_field=DurationField())
    groups = (
        UsageSample.objects.filter(window_start__gte=start, window_start__lt=end)
        .annotate(hour=TruncHour("window_start"))
        .values("namespace_id", "metric", "storage_class", "hour")
        .annotate(
            total=Sum("quantity", filter=MEASURED),
            measured=Count("id", filter=MEASURED),
            seconds=Sum(duration, filter=MEASURED),
            runtime=Max("runtime_class", filter=MEASURED),
        )
        .filter(measured__gt=0)
        # Written hour by hour in namespace order, as billing reads them (the (namespace, hour)
        # index): a namespace-hour's rows share a page instead of lying on one page each.
        .order_by("hour", "namespace_id", "metric", "storage_class")
    )
    stored = {
        (namespace_id, metric, storage_class, hour): values
        for namespace_id, metric, storage_class, hour, *values in UsageHourly.objects.filter(
            hour__gte=start, hour__lt=end
        ).values_list(
            "namespace_id",
            "metric",
            "storage_class",
            "hour",
            "quantity",
            "coverage",
            "samples",
            "runtime_class",
        )
    }
    written_at = timezone.now()
    rows = []
    computed = 0
    for group in groups.iterator(chunk_size=5000):
        total = Decimal(group["total"])
        quantity = total if group["metric"] in COUNTER_METRICS else total / group["measured"]
        seconds = group["seconds"].total_seconds() if group["seconds"] else 0
        values = [
            quantity.quantize(Decimal("0.000001")),
            min(Decimal(1), Decimal(seconds) / 3600).quantize(Decimal("0.0001")),
            group["measured"],
            group["runtime"] or "",
        ]
        computed += 1
        if (
            stored.get((group["namespace_id"], group["metric"], group["storage_class"], group["hour"]))
            == values
        ):
            continue
        rows.append(
            UsageHourly(
                namespace_id=group["namespace_id"],
                metric=group["metric"],
                storage_class=group["storage_class"],
                hour=group["hour"],
                quantity=values[0],
                coverage=values[1],
                samples=values[2],
                runtime_class=values[3],
                updated_at=written_at,
            )
        )
    UsageHourly.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["namespace", "metric", "storage_class", "hour"],
        update_fields=["quantity", "coverage", "samples", "runtime_class", "updated_at"],
    )
    return computed


def usage_prune(*, now: datetime, batch_size: int = 10000) -> int:
    """Delete raw samples older than ``METERING_RAW_RETENTION_DAYS``, in batches."""
    cutoff = now - timedelta(days=settings.METERING_RAW_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            UsageSample.objects.filter(window_end__lt=cutoff).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += UsageSample.objects.filter(pk__in=ids).delete()[0]

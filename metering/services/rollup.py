"""Hourly rollup of raw samples (into hours, and quarter hours for the 24-hour chart), the
quarter hours between the hourly runs, and pruning of raw samples and quarter hours past
retention."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from metering.models import COUNTER_METRICS, UsageHourly, UsageQuarterHour, UsageSample
from metering.sqltime import QUARTER, quarter_floor, quarter_index_sql, quarter_sql

MEASURED = Q(is_gap=False)
QUARTER_RETENTION = timedelta(days=2)  # the usage page charts the last 24 hours of them


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
    # The quarter hours from where the last run left them, if that is further back (the workers
    # were down): the chart reads samples only after a namespace's last quarter, so a missed hour
    # would show as unmeasured. At most as far back as they are kept.
    last = UsageQuarterHour.objects.aggregate(last=Max("window_start"))["last"]  # by its index
    if last is not None:
        start = min(start, max(_floor_hour(last), end - QUARTER_RETENTION))
    _roll_quarters(start=start, end=end)
    return computed


def quarters_rollup(*, now: datetime) -> None:
    """(Re)compute the quarter hours from the last one written up to the one ``now`` is in
    (not included); safe to run any number of times. The workers run it at 20, 35 and 50 past
    each hour, between the hourly rollups, which write the quarters up to the hour: the usage
    chart reads a namespace's raw samples only after its last quarter, so they are at most
    about twenty minutes of it instead of an hour and more. The last quarter written is written
    again (a sample that came late counts); after an outage, at most ``QUARTER_RETENTION``."""
    end = quarter_floor(now)
    last = UsageQuarterHour.objects.aggregate(last=Max("window_start"))["last"]  # by its index
    start = end - QUARTER_RETENTION if last is None else max(last, end - QUARTER_RETENTION)
    if start < end:
        _roll_quarters(start=start, end=end)


def _roll_quarters(*, start: datetime, end: datetime) -> None:
    """(Re)compute the quarter hours of [start, end) (whole quarter hours) from the raw samples,
    in the database: one ``INSERT … SELECT`` that writes a row only where a value changed."""
    quarter, sample = UsageQuarterHour._meta, UsageSample._meta
    q = connection.ops.quote_name
    target = {f.name: q(f.column) for f in quarter.concrete_fields}
    source = {f.name: q(f.column) for f in sample.concrete_fields}
    written = ", ".join(
        target[name]
        for name in (
            "namespace",
            "metric",
            "window_start",
            "window_end",
            "total",
            "measured",
            "quarter",
            "value",
        )
    )
    counters = sorted(COUNTER_METRICS)
    total = f"CAST(SUM({source['quantity']}) AS DOUBLE PRECISION)"
    # Only the models' quoted table and column names are spliced in.
    sql = (
        f"INSERT INTO {q(quarter.db_table)} AS quarter ({written})"  # noqa: S608
        f" SELECT {source['namespace']}, {source['metric']}, {quarter_sql(source['window_start'])},"
        f" {quarter_sql(source['window_start'], offset=QUARTER)}, SUM({source['quantity']}),"
        f" COUNT({source['quantity']}), {quarter_index_sql(source['window_start'])},"
        f" CASE WHEN {source['metric']} IN ({', '.join(['%s'] * len(counters))}) THEN {total}"
        f" ELSE {total} / COUNT({source['quantity']}) END FROM {q(sample.db_table)}"
        f" WHERE {source['window_start']} >= %s AND {source['window_start']} < %s"
        f" AND {source['quantity']} IS NOT NULL"
        f" GROUP BY {source['namespace']}, {source['metric']}, {quarter_index_sql(source['window_start'])}"
        f" ON CONFLICT ({target['namespace']}, {target['metric']}, {target['window_start']})"
        f" DO UPDATE SET {target['total']} = excluded.{target['total']},"
        f" {target['measured']} = excluded.{target['measured']}, {target['value']} = excluded.{target['value']}"
        f" WHERE quarter.{target['total']} <> excluded.{target['total']}"
        f" OR quarter.{target['measured']} <> excluded.{target['measured']}"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [*counters, adapt(start), adapt(end)])


def usage_prune(*, now: datetime, batch_size: int = 10000) -> int:
    """Delete raw samples older than ``METERING_RAW_RETENTION_DAYS``, in batches, and quarter
    hours older than ``QUARTER_RETENTION``; returns the raw samples deleted."""
    UsageQuarterHour.objects.filter(window_start__lt=now - QUARTER_RETENTION).delete()
    cutoff = now - timedelta(days=settings.METERING_RAW_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            UsageSample.objects.filter(window_end__lt=cutoff).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += UsageSample.objects.filter(pk__in=ids).delete()[0]

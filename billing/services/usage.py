"""Usage for rating, summed in SQL: one row per (namespace, price version, runtime class,
storage class).

``usage_sums`` evaluates the per-hour rule of ``billing.rating.hour_lines`` for every
namespace of a set of teams over one window, in one query, and sums the hours in the
database, so rating a day reads a few rows per namespace instead of one per namespace-hour.
The rows come from metering's selector ``hourly_usage_for_billing``, compiled into the query.
On PostgreSQL the arithmetic is exact ``numeric``; the unit divisors (2^30) and runtime
multipliers are applied afterwards in Python by ``billing.rating.price_usage``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Context, Decimal
from itertools import groupby

from django.db import connection

from billing.models import BillingMetric
from billing.rating import (
    FOUR_DP,
    GAUGES,
    RULE,
    SOURCE_METRICS,
    STORAGE_CLASS_METRIC,
    ZERO,
    PriceVersion,
    UsageSums,
    price_version_at,
)
from metering.selectors import hourly_usage_for_billing

FETCH_ROWS = 2000
SUM_DECIMALS = 10
# A float holds 15 to 17 significant decimal digits; a day's sum of 24 products adds a few
# units in the last place, so 14 are kept.
FLOAT_DIGITS = 14
WIDE = Context(prec=60)


def _measured(metric: str) -> str:
    """A row's measured value of a billing metric's sources in its hour (gauges weighted by
    their coverage), NULL for rows of other metrics. The rule bills the largest source in the
    hour, which is the largest of these over the hour's rows."""
    sources, _ = RULE[metric]
    gauges = ", ".join(f"'{m}'" for m in sources if m in GAUGES)
    counters = ", ".join(f"'{m}'" for m in sources if m not in GAUGES)
    whens = []
    if gauges:
        whens.append(f"WHEN u.metric IN ({gauges}) THEN u.quantity * u.coverage")
    if counters:
        whens.append(f"WHEN u.metric IN ({counters}) THEN u.quantity")
    return f"MAX(CASE {' '.join(whens)} END) AS {metric}"


def _version_case(
    versions: Sequence[PriceVersion], start: datetime, end: datetime, hour: str = "p.hour"
) -> tuple[str, list]:
    """SQL for the id of the price version in effect at ``hour`` (NULL before the first)."""
    first = price_version_at(versions, start)
    later = [v for v in versions if start < v.effective_from < end]
    default = str(int(first.id)) if first else "NULL"
    if not later:
        return default, []
    whens = " ".join(f"WHEN {hour} >= %s THEN {int(v.id)}" for v in reversed(later))
    return f"CASE {whens} ELSE {default} END", [_db_time(v.effective_from) for v in reversed(later)]


def _db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _sql(rows_sql: str, class_rows_sql: str, version_case: str) -> str:
    pivot = ",\n  ".join(_measured(metric) for metric in RULE)
    per_hour = ",\n  ".join(
        # Storage by class replaces the namespace total in hours that have per-class rows.
        f"CASE WHEN p.by_class IS NULL THEN p.{metric} END AS {metric}"
        if metric == BillingMetric.STORAGE
        else f"p.{metric}"
        for metric in RULE
    )
    by_class = ",\n  ".join(
        "u.quantity * u.coverage" if metric == BillingMetric.STORAGE else "NULL" for metric in RULE
    )
    sums = ",\n  ".join(
        f"SUM(CASE WHEN h.{metric} > 0 THEN h.{metric} END), COUNT(CASE WHEN h.{metric} > 0 THEN 1 END)"
        for metric in RULE
    )
    # One pass over the rows gives each namespace-hour; only the per-class storage rows are
    # read again, joined to their hour for its runtime class and price version.
    # Only the rule's constant metric names and integer version ids are spliced in; every
    # value is a parameter (of the rows' query, the version CASE twice, the class rows' query).
    return f"""
WITH pivot AS (
  SELECT u.namespace_id, u.hour, MAX(u.runtime_class) AS runtime_class, MAX(u.coverage) AS coverage,
  MAX(CASE WHEN u.metric = '{STORAGE_CLASS_METRIC}' THEN 1 END) AS by_class,
  {pivot}
  FROM ({rows_sql}) u
  GROUP BY u.namespace_id, u.hour
), hourly AS (
  SELECT p.namespace_id, p.runtime_class, p.coverage, {version_case} AS version_id, '' AS storage_class,
  {per_hour}
  FROM pivot p
  UNION ALL
  SELECT p.namespace_id, p.runtime_class, 0, {version_case}, u.storage_class,
  {by_class}
  FROM ({class_rows_sql}) u JOIN pivot p ON p.namespace_id = u.namespace_id AND p.hour = u.hour
)
SELECT h.namespace_id, h.version_id, h.runtime_class, h.storage_class, SUM(h.coverage),
  {sums}
FROM hourly h
GROUP BY h.namespace_id, h.version_id, h.runtime_class, h.storage_class
ORDER BY h.namespace_id
"""  # noqa: S608


def line_sums_sql(
    *, namespace_ids: Sequence[int], start: datetime, end: datetime, versions: Sequence[PriceVersion]
) -> tuple[str, list]:
    """Common table expressions (to follow ``WITH``) that rate [start, end) of
    ``namespace_ids`` in the database, and their parameters:

    ``line_sums`` (namespace_id, version_id, runtime_class, metric, storage_class, total, hours):
    one row per line (billing metric, price version, runtime class, StorageClass) with the
    sum of its per-hour quantities in metering units (before the unit divisor) over the hours
    where it is positive, and the number of those hours; ``covered`` (namespace_id, covered):
    the sum of the coverage of each namespace's hours with usage rows.

    The rows are read once and grouped once per namespace-hour (``pivot``: the rule's
    per-hour maximum of each metric's sources, the hour's runtime class and coverage, and
    the hour's per-StorageClass quantities as two arrays), and the hours summed per
    namespace, version and runtime class in one wide row. The per-StorageClass quantities
    are unnested from the same namespace-hours and summed per class, with the hour's runtime
    class (the largest its rows name), so no row is read twice.
    """
    version_case, case_params = _version_case(versions, start, end, hour="p.hour")
    usage = hourly_usage_for_billing(
        namespace_ids=namespace_ids, start=start, end=end, metrics=[*SOURCE_METRICS, STORAGE_CLASS_METRIC]
    )
    rows_sql, rows_params = usage.query.sql_with_params()
    pivot = ",\n  ".join(_measured(metric) for metric in RULE)

    def positive(metric: str) -> str:
        if metric == BillingMetric.STORAGE:  # storage by class replaces the total in its hours
            return f"p.{metric} > 0 AND p.by_class IS NULL"
        return f"p.{metric} > 0"

    wide = ",\n  ".join(
        f"SUM(p.{metric}) FILTER (WHERE {positive(metric)}) AS {metric}, "
        f"COUNT(*) FILTER (WHERE {positive(metric)}) AS {metric}_hours"
        for metric in RULE
    )
    values = ", ".join(f"('{metric}', w.{metric}, w.{metric}_hours)" for metric in RULE)
    by_class = f"u.metric = '{STORAGE_CLASS_METRIC}' AND u.quantity * u.coverage > 0"
    # Only the rule's constant metric names and integer version ids are spliced in.
    sql = f"""
pivot AS MATERIALIZED (
  SELECT u.namespace_id, u.hour, MAX(u.runtime_class) AS runtime_class, MAX(u.coverage) AS coverage,
  MAX(CASE WHEN u.metric = '{STORAGE_CLASS_METRIC}' THEN 1 END) AS by_class,
  {pivot},
  array_agg(u.storage_class) FILTER (WHERE {by_class}) AS classes,
  array_agg(u.quantity * u.coverage) FILTER (WHERE {by_class}) AS class_quantities
  FROM ({rows_sql}) u
  GROUP BY u.namespace_id, u.hour
), wide AS (
  SELECT p.namespace_id, {version_case} AS version_id, p.runtime_class, SUM(p.coverage) AS covered,
  {wide}
  FROM pivot p
  GROUP BY 1, 2, 3
), by_line AS (
  SELECT w.namespace_id, w.version_id, w.runtime_class, m.metric, '' AS storage_class, m.total, m.hours
  FROM wide w CROSS JOIN LATERAL (VALUES {values}) AS m(metric, total, hours)
  WHERE m.hours > 0
  UNION ALL
  SELECT c.namespace_id, c.version_id, c.runtime_class, '{BillingMetric.STORAGE}', c.storage_class,
  SUM(c.quantity), COUNT(*)
  FROM (
    -- Unnested in the select list (one ProjectSet), not joined LATERAL to a function scan
    -- that fills a tuplestore for each of the hours: 30 ms less a batch of 200 teams.
    SELECT p.namespace_id, {version_case} AS version_id, p.runtime_class,
    unnest(p.classes) AS storage_class, unnest(p.class_quantities) AS quantity
    FROM pivot p
    WHERE p.classes IS NOT NULL
  ) c
  GROUP BY 1, 2, 3, 4, 5
), line_sums AS (
  -- The total's storage and a class "" (claims naming no class) are one line, in other hours.
  SELECT namespace_id, version_id, runtime_class, metric, storage_class, SUM(total) AS total,
  SUM(hours) AS hours
  FROM by_line
  GROUP BY 1, 2, 3, 4, 5
), covered AS (
  SELECT w.namespace_id, SUM(w.covered) AS covered FROM wide w GROUP BY w.namespace_id
)"""  # noqa: S608
    return sql, [*rows_params, *case_params, *case_params]


def _decimal(value) -> Decimal:
    """A SQL sum as Decimal. PostgreSQL sums exactly; SQLite stores ``decimal`` columns as
    floats, so its sums are rounded back to the 10 decimals the exact sum has (quantity 6 x
    coverage 4), or to fewer when the sum is too large for a float to hold 10 decimals
    (``FLOAT_DIGITS`` significant digits in all): float noise beyond them would otherwise
    turn an exact tie into a different rounding of the 6-decimal quantity."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        exact = Decimal(value)
        integer_digits = max(exact.adjusted() + 1, 0)
        places = min(SUM_DECIMALS, max(FLOAT_DIGITS - integer_digits, 0))
        return exact.quantize(Decimal(1).scaleb(-places), context=WIDE)
    return Decimal(value)


def usage_sums(
    *, namespace_ids: Sequence[int], start: datetime, end: datetime, versions: Sequence[PriceVersion]
) -> Iterator[tuple[int, list[UsageSums]]]:
    """(namespace id, its ``UsageSums``) for each of ``namespace_ids`` with usage rows in
    [start, end), ordered by namespace; ``versions`` are the currency's, by ``effective_from``."""
    version_case, case_params = _version_case(versions, start, end)
    by_id = {v.id: v for v in versions}
    if not namespace_ids:
        return
    usage = hourly_usage_for_billing(
        namespace_ids=namespace_ids, start=start, end=end, metrics=[*SOURCE_METRICS, STORAGE_CLASS_METRIC]
    )
    by_class = hourly_usage_for_billing(
        namespace_ids=namespace_ids, start=start, end=end, metrics=[STORAGE_CLASS_METRIC]
    )
    rows_sql, rows_params = usage.query.sql_with_params()
    class_rows_sql, class_rows_params = by_class.query.sql_with_params()
    params = [*rows_params, *case_params, *case_params, *class_rows_params]
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:  # compiling this large but simple query costs more time than it saves
            cursor.execute("SET jit = off")
        try:
            cursor.execute(_sql(rows_sql, class_rows_sql, version_case), params)
            rows = iter(lambda: cursor.fetchmany(FETCH_ROWS), [])
            for namespace_id, group in groupby((row for chunk in rows for row in chunk), key=lambda r: r[0]):
                yield namespace_id, [_sums(row, by_id) for row in group]
        finally:
            if postgresql:
                cursor.execute("RESET jit")


def _sums(row, versions: dict[int, PriceVersion]) -> UsageSums:
    _, version_id, runtime_class, storage_class, coverage, *totals = row
    return UsageSums(
        version=versions.get(version_id) if version_id is not None else None,
        runtime_class=runtime_class or "",
        storage_class=storage_class or "",
        coverage=_decimal(coverage).quantize(FOUR_DP),
        totals={
            str(metric): (_decimal(totals[2 * n]), int(totals[2 * n + 1])) for n, metric in enumerate(RULE)
        },
    )

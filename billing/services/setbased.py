"""First billing of team-days computed and written by PostgreSQL: one statement per batch.

The team-days of a batch billed for the first time (no lines yet, no late-usage flag, the
month open, a price version in effect from the day's start) are rated and written by one
``INSERT … SELECT``: the database evaluates the quantity rule per namespace-hour and sums it
per line (``billing.services.usage.line_sums_sql``), prices each line (the version's unit
price, per-StorageClass price and runtime multiplier), rounds half-even exactly as
``billing.rating`` does, inserts the lines and, from the rows it inserted, their prepaid ledger
entries, and returns per team the number of lines and the ledger total. No line passes
through Python. The balances, band notices, ``last_billed_day`` and billed-day records follow
in the same transaction, so a killed worker leaves the whole batch or none of it.

``billing.rating`` in Python stays the reference: the Python path bills SQLite, re-rated days
and adjustments, and a test checks both paths write the same lines, ledger entries and
balances for the same usage.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone

from billing.models import (
    BilledDay,
    BillingAccount,
    BillingMetric,
    Charge,
    ChargeKind,
    LedgerEntry,
    LedgerKind,
)
from billing.money import minor_unit
from billing.periods import existed_hours
from billing.rating import EXACT, RULE, PriceVersion, price_version_at
from billing.services.accounts import accounts_apply
from billing.services.changes import ROLLUP_COMMIT_MARGIN
from billing.services.usage import line_sums_sql
from tenants.models import BillingMode, Namespace, Team


def set_based_possible(versions: Sequence[PriceVersion], start: datetime) -> bool:
    """Whether the database can bill the window: PostgreSQL, and a price version in effect
    from its start (so every hour has one; otherwise the Python path reports MissingPrice)."""
    return connection.vendor == "postgresql" and price_version_at(versions, start) is not None


def half_even(expr: str, places: int) -> str:
    """SQL rounding ``expr`` (a numeric column) half-even to ``places`` decimals, as
    ``Decimal.quantize(..., ROUND_HALF_EVEN)``. PostgreSQL's ``round`` rounds half away from
    zero; the two differ only on an exact tie whose truncation ends in an even digit, which
    half-even keeps."""
    places = int(places)
    half = format(Decimal(5).scaleb(-(places + 1)), "f")
    trunc = f"trunc({expr}, {places})"
    return (
        f"CASE WHEN abs({expr} - {trunc}) = {half} AND mod(abs({trunc}) * {10**places}, 2) = 0 "
        f"THEN {trunc} ELSE round({expr}, {places}) END"
    )


def _per_unit(metric: str) -> str:
    """The exact decimal factor from metering units to the metric's unit (1 / its divisor:
    2^-30 has 30 decimals), so the quantity is exact before it is rounded."""
    return format(EXACT.divide(Decimal(1), RULE[metric][1]), "f")


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model: type[Model], names: Sequence[str]) -> str:
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    return ", ".join(connection.ops.quote_name(by_attname[n]) for n in names)


CHARGE_COLUMNS = (
    "key", "kind", "team_id", "namespace_id", "statement_id", "metric", "day", "window_start", "window_end",
    "price_book_id", "quantity", "billable_quantity", "unit_price", "runtime_class", "multiplier",
    "storage_class", "amount", "currency", "coverage", "provisional", "rule_id", "hours", "revision",
    "adjusts_id", "created_at", "updated_at",
)  # fmt: skip
BILLED_DAY_COLUMNS = ("team_id", "day", "window_start", "window_end", "billed_at", "usage_as_of")
LEDGER_COLUMNS = (
    "team_id",
    "kind",
    "amount",
    "currency",
    "charge_id",
    "key",
    "reason",
    "created_by_id",
    "created_at",
)


def _bill_sql(line_sums: str, currency: str) -> str:
    per_unit = ", ".join(f"('{metric}', {_per_unit(metric)}::numeric)" for metric in RULE)
    storage = BillingMetric.STORAGE
    key = (
        "p.team_id::text || ':' || p.namespace_id::text || ':' || p.metric || ':' || %(day_text)s"
        " || ':pb' || p.version_id::text"
        " || CASE WHEN p.runtime_class <> '' THEN ':rt=' || p.runtime_class ELSE '' END"
        " || CASE WHEN p.storage_class <> '' THEN ':sc=' || p.storage_class ELSE '' END"
    )
    # The team-days are recorded as billed and each account's last billed day moved on in the
    # statement too, as ``_days_record`` does when no line was rated: statements of their own
    # cost a round trip each and a model instance of each record built in Python.
    rebilled = ", ".join(
        f"{column} = EXCLUDED.{column}" for column in _columns(BilledDay, BILLED_DAY_COLUMNS[2:]).split(", ")
    )
    last = _columns(BillingAccount, ("last_billed_day",))
    # Only constants of the rule (metric names, exact factors, decimal places) and table and
    # column names are spliced in; every value is a parameter.
    return f"""
WITH {line_sums},
namespaces AS (
  SELECT * FROM unnest(%(ns_ids)s::bigint[], %(ns_teams)s::bigint[], %(ns_hours)s::int[])
  AS n(namespace_id, team_id, expected_hours)
), teams AS (
  SELECT * FROM unnest(%(team_ids)s::bigint[], %(statement_ids)s::bigint[], %(prepaid)s::boolean[])
  AS t(team_id, statement_id, prepaid)
), prices AS (
  SELECT * FROM unnest(%(price_versions)s::bigint[], %(price_metrics)s::text[], %(prices)s::numeric[])
  AS x(version_id, metric, unit_price)
), class_prices AS (
  SELECT * FROM unnest(%(class_versions)s::bigint[], %(classes)s::text[], %(class_prices)s::numeric[])
  AS x(version_id, storage_class, unit_price)
), multipliers AS (
  SELECT * FROM unnest(%(runtime_versions)s::bigint[], %(runtimes)s::text[], %(multipliers)s::numeric[])
  AS x(version_id, runtime_class, multiplier)
), coverage AS (
  SELECT n.namespace_id, n.team_id,
  CASE WHEN n.expected_hours <= 0 THEN CASE WHEN c.covered > 0 THEN 1 ELSE 0 END
  ELSE LEAST(1, trunc(c.covered / n.expected_hours, 4)) END AS coverage
  FROM covered c JOIN namespaces n ON n.namespace_id = c.namespace_id
), lines AS (
  SELECT c.team_id, s.namespace_id, s.version_id, s.runtime_class, s.metric, s.storage_class, s.hours,
  c.coverage, s.total * u.per_unit AS exact_quantity, COALESCE(m.multiplier, 1) AS multiplier,
  COALESCE(cp.unit_price, p.unit_price) AS unit_price
  FROM line_sums s
  JOIN coverage c ON c.namespace_id = s.namespace_id
  JOIN (VALUES {per_unit}) AS u(metric, per_unit) ON u.metric = s.metric
  JOIN prices p ON p.version_id = s.version_id AND p.metric = s.metric
  LEFT JOIN class_prices cp
    ON s.metric = '{storage}' AND cp.version_id = s.version_id AND cp.storage_class = s.storage_class
  LEFT JOIN multipliers m ON m.version_id = s.version_id AND m.runtime_class = s.runtime_class
  -- Each rounding names its input four times: materialized, every rounded value is computed
  -- once; inlined, the amount would compute the exact quantity 64 times.
), quantities AS MATERIALIZED (
  SELECT l.*, {half_even("l.exact_quantity", 6)} AS quantity FROM lines l
), billable AS MATERIALIZED (
  SELECT q.*, {half_even("(q.quantity * q.multiplier)", 6)} AS billable_quantity FROM quantities q
), priced AS MATERIALIZED (
  SELECT b.*, {half_even("(b.billable_quantity * b.unit_price)", minor_unit(currency))} AS amount
  FROM billable b
), inserted AS (
  INSERT INTO {_table(Charge)} ({_columns(Charge, CHARGE_COLUMNS)})
  SELECT {key}, %(usage)s, p.team_id, p.namespace_id, t.statement_id, p.metric, %(day)s, %(start)s, %(end)s,
  p.version_id, p.quantity, p.billable_quantity, p.unit_price, p.runtime_class, p.multiplier,
  p.storage_class, p.amount, %(currency)s, p.coverage, p.coverage < %(threshold)s, %(rule_id)s, p.hours, 1,
  NULL, %(created)s, %(created)s
  FROM priced p JOIN teams t ON t.team_id = p.team_id
  ORDER BY p.team_id, p.namespace_id, p.metric, p.version_id, p.runtime_class, p.storage_class
  RETURNING id, key, team_id, amount, provisional
), ledger AS (
  INSERT INTO {_table(LedgerEntry)} ({_columns(LedgerEntry, LEDGER_COLUMNS)})
  SELECT i.team_id, %(charge)s, -i.amount, %(currency)s, i.id, i.key || '#r1', '', NULL, %(created)s
  FROM inserted i JOIN teams t ON t.team_id = i.team_id
  WHERE t.prepaid AND i.amount <> 0
  ORDER BY i.id
  RETURNING team_id, amount
), billed_days AS (
  INSERT INTO {_table(BilledDay)} ({_columns(BilledDay, BILLED_DAY_COLUMNS)})
  SELECT t.team_id, %(day)s, %(start)s, %(end)s, %(created)s, %(usage_as_of)s FROM teams t
  ON CONFLICT ({_columns(BilledDay, ("team_id", "day"))}) DO UPDATE SET {rebilled}
), last_billed AS (
  UPDATE {_table(BillingAccount)} a SET {last} = %(day)s
  FROM teams t
  WHERE a.{_columns(BillingAccount, ("team_id",))} = t.team_id AND (a.{last} IS NULL OR a.{last} = %(day_before)s)
)
SELECT t.team_id, COALESCE(c.lines, 0), COALESCE(c.provisional, false), l.total
FROM teams t
LEFT JOIN (SELECT team_id, COUNT(*) AS lines, bool_or(provisional) AS provisional FROM inserted GROUP BY team_id) c
  ON c.team_id = t.team_id
LEFT JOIN (SELECT team_id, SUM(amount) AS total FROM ledger GROUP BY team_id) l ON l.team_id = t.team_id
"""  # noqa: S608


def _named(sql: str, params: Sequence) -> tuple[str, dict]:
    """``sql``'s positional parameters (``%s``, as Django compiles a queryset) as named ones,
    so it can be part of a statement that names its own."""
    parts = sql.replace("%%", "\0").split("%s")
    if len(parts) != len(params) + 1:
        raise ValueError("placeholders and parameters differ")
    named = {f"p{n}": value for n, value in enumerate(params)}
    text = parts[0] + "".join(f"%(p{n})s{part}" for n, part in enumerate(parts[1:]))
    return text.replace("\0", "%%"), named


def _price_params(versions: Sequence[PriceVersion], start: datetime, end: datetime) -> dict:
    """The unit prices, StorageClass prices and multipliers of the versions in effect during
    [start, end), as parallel arrays."""
    used = [v for v in versions if v.effective_from < end]
    first = price_version_at(versions, start)
    used = [v for v in used if first is not None and v.effective_from >= first.effective_from]
    params: dict[str, list] = {
        key: []
        for key in (
            "price_versions", "price_metrics", "prices", "class_versions", "classes", "class_prices",
            "runtime_versions", "runtimes", "multipliers",
        )
    }  # fmt: skip
    for version in used:
        for metric in RULE:
            params["price_versions"].append(version.id)
            params["price_metrics"].append(str(metric))
            params["prices"].append(version.prices[metric])
        for storage_class, price in version.storage_prices.items():
            params["class_versions"].append(version.id)
            params["classes"].append(storage_class)
            params["class_prices"].append(price)
        for runtime_class, multiplier in version.multipliers.items():
            params["runtime_versions"].append(version.id)
            params["runtimes"].append(runtime_class)
            params["multipliers"].append(multiplier)
    return params


@transaction.atomic
def days_write_first_set_based(
    *,
    teams: Sequence[Team],
    day: date,
    start: datetime,
    end: datetime,
    currency: str,
    versions: Sequence[PriceVersion],
    statements: dict,
    rule_id: int,
    now: datetime,
) -> dict[int, tuple[int, bool]]:
    """Rate and write the first lines of ``teams``' ``day`` ([start, end) in their time zone,
    their currency's ``versions``), with their ledger entries, balances and billed-day
    records, in one transaction. Returns (lines written, any provisional) per team.

    For team-days with no lines yet, no late-usage flag and an open statement (the caller
    checks); another worker's lines for one of them make the insert fail as a whole.
    """
    by_pk = {t.pk: t for t in teams}
    accounts = {
        a.team_id: a for a in BillingAccount.objects.select_for_update().filter(team__in=teams).order_by("pk")
    }
    lifetimes = list(
        Namespace.objects.filter(team__in=teams).values_list("pk", "team_id", "created_at", "deleted_at")
    )
    read_at = timezone.now()
    if not lifetimes:  # no namespace, no usage: the days are billed with no lines
        return _days_record(
            teams, accounts, [(pk, 0, False, None) for pk in by_pk], day, start, end, read_at, now
        )
    line_sums, line_params = line_sums_sql(
        namespace_ids=[pk for pk, *_ in lifetimes], start=start, end=end, versions=versions
    )
    line_sums, named = _named(line_sums, line_params)
    created = timezone.now()
    params = {
        **named,
        **_price_params(versions, start, end),
        "ns_ids": [pk for pk, *_ in lifetimes],
        "ns_teams": [team_id for _, team_id, *_ in lifetimes],
        "ns_hours": [existed_hours(c, d, start, end) for *_, c, d in lifetimes],
        "team_ids": list(by_pk),
        "statement_ids": [statements[pk].pk for pk in by_pk],
        "prepaid": [t.billing_mode == BillingMode.PREPAID for t in by_pk.values()],
        "day": day,
        "day_before": day - timedelta(days=1),
        "usage_as_of": read_at - ROLLUP_COMMIT_MARGIN,
        "day_text": day.isoformat(),
        "start": start,
        "end": end,
        "currency": currency,
        "threshold": Decimal(settings.BILLING_COVERAGE_THRESHOLD),
        "rule_id": rule_id,
        "created": created,
        "usage": ChargeKind.USAGE,
        "charge": LedgerKind.CHARGE,
    }
    with connection.cursor() as cursor:
        # The rating groups a few hundred thousand rows: in memory rather than in batches on
        # disk (4 MB is PostgreSQL's default), and without the JIT compiler, which costs more
        # than it saves on this large but simple query. The rows are yesterday's, read from
        # memory: at the cost of a cached page (1.1 rather than 4, the default for a disk
        # seek) the planner reads them in (namespace, hour) order from the index, which the
        # grouping needs, instead of sorting them (570 rather than 630 ms a batch of 200
        # teams). All for this transaction only.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        cursor.execute(_bill_sql(line_sums, currency), params)
        written = cursor.fetchall()
    return _days_record(teams, accounts, written, day, start, end, read_at, now, recorded=True)


def _days_record(
    teams, accounts, written, day, start, end, read_at, now, *, recorded: bool = False
) -> dict[int, tuple[int, bool]]:
    """The balances, ``last_billed_day`` and billed-day records of the team-days ``written``
    (team id, lines, any provisional, ledger total or None), in the caller's transaction;
    the balances alone when the statement that wrote the lines ``recorded`` the rest."""
    by_pk = {t.pk: t for t in teams}
    moves = []
    results = {}
    for team_id, lines, provisional, ledger_total in written:
        results[team_id] = (lines, provisional)
        if ledger_total is not None:
            moves.append((accounts[team_id], by_pk[team_id], Decimal(ledger_total)))
    accounts_apply(moves=moves, now=now)
    if recorded:
        return results
    BillingAccount.objects.filter(
        Q(last_billed_day__isnull=True) | Q(last_billed_day=day - timedelta(days=1)), team__in=teams
    ).update(last_billed_day=day)
    billed_at = timezone.now()
    BilledDay.objects.bulk_create(
        [
            BilledDay(
                team=team,
                day=day,
                window_start=start,
                window_end=end,
                billed_at=billed_at,
                usage_as_of=read_at - ROLLUP_COMMIT_MARGIN,
            )
            for team in teams
        ],
        update_conflicts=True,
        unique_fields=["team", "day"],
        update_fields=["window_start", "window_end", "billed_at", "usage_as_of"],
    )
    return results

"""Billing reads, scoped and aggregated in SQL so list pages cost a fixed number of queries."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from billing.models import (
    BillingAccount,
    BillingMetric,
    BillingNotice,
    BillRun,
    Charge,
    ChargeKind,
    LedgerEntry,
    PriceBook,
    Statement,
    StatementStatus,
)
from billing.money import round_line
from billing.periods import local_date, month_start
from billing.rating import RULE, STORAGE_CLASS_METRIC
from core.compiled import ID_STAND_IN, CompiledQuery, converted_rows
from metering.models import ClusterState, RuntimeClassProfile, UsageHourly, UsageSample
from tenants import permissions
from tenants.models import BillingMode, Namespace, Team
from tenants.selectors import team_for_user

ZERO = Decimal("0")
SOURCES_FOR_METRIC = {str(metric): sources for metric, (sources, _) in RULE.items()}


def billing_team_for_user(*, user, slug: str) -> Team:
    """404 to outsiders, 403 to members without a billing role; finance and staff see all."""
    return team_for_user(user=user, slug=slug, perm=permissions.VIEW_BILLING)


def billing_team_and_account_for_user(*, user, slug: str) -> tuple[Team, BillingAccount | None]:
    """``billing_team_for_user``, and the team's billing account (None without one) read in the
    same query."""
    team = team_for_user(user=user, slug=slug, perm=permissions.VIEW_BILLING, related=("billing_account",))
    try:
        return team, team.billing_account
    except BillingAccount.DoesNotExist:
        return team, None


def team_statement_for_user(*, user, slug: str, pk: int) -> Statement:
    team = billing_team_for_user(user=user, slug=slug)
    return get_object_or_404(Statement.objects.select_related("team"), team=team, pk=pk)


def prepaid_teams_for_finance(*, user, search: str = "") -> QuerySet[Team]:
    """Every prepaid team with its balance, for finance and staff (404 to anyone else)."""
    permissions.require_finance(user)
    teams = Team.objects.filter(billing_mode=BillingMode.PREPAID).select_related("billing_account")
    if search:
        teams = teams.filter(Q(slug__icontains=search) | Q(name__icontains=search))
    return teams.order_by("name", "pk")


def team_for_finance(*, user, slug: str) -> Team:
    """Any team, for finance and staff (404 to anyone else), with or without a statement."""
    permissions.require_finance(user)
    return get_object_or_404(Team, slug=slug)


def statement_for_finance(*, user, pk: int) -> Statement:
    permissions.require_finance(user)
    return get_object_or_404(Statement.objects.select_related("team"), pk=pk)


def charge_for_finance(*, user, pk: int) -> Charge:
    permissions.require_finance(user)
    return get_object_or_404(
        Charge.objects.select_related("team", "namespace", "statement", "price_book", "adjusts", "rule"),
        pk=pk,
    )


def statement_lines(*, statement: Statement) -> QuerySet[Charge]:
    return (
        Charge.objects.filter(statement=statement)
        .select_related("namespace", "price_book", "adjusts")
        .order_by("day", "namespace__name", "metric", "kind", "pk")
    )


def statement_rows(*, statement: Statement) -> tuple[list[Charge], Decimal]:
    """The lines and their total, summed from the very rows shown (so they always agree)."""
    rows = list(statement_lines(statement=statement))
    return rows, sum((r.amount for r in rows), ZERO)


def charges_for_team(*, team: Team, month: date | None = None) -> QuerySet[Charge]:
    """A team's charge lines, newest day first; only those on ``month``'s statement when given."""
    lines = Charge.objects.filter(team=team).select_related("namespace", "price_book", "adjusts", "rule")
    if month is not None:
        lines = lines.filter(statement__month=month)
    return lines.order_by("-day", "namespace__name", "metric", "pk")


def namespace_suspended(namespace: Namespace) -> bool:
    """Whether the namespace's team is suspended for debt: billing's input to the namespace's
    desired state on its cluster (registered in ``BillingConfig.ready``)."""
    return BillingAccount.objects.filter(team_id=namespace.team_id, suspended_at__isnull=False).exists()


def _lines_of_statement() -> QuerySet[Charge, Any]:
    return Charge.objects.filter(statement=OuterRef("pk")).order_by().values("statement")


def _statement_total() -> Coalesce:
    """A statement's total: the snapshot taken when it was finalized (its lines never change
    after; late usage adjusts a later statement), else the sum of its lines. Only drafts have
    their lines summed, each through the lines' statement index."""
    return Coalesce("total", Subquery(_lines_of_statement().annotate(sum=Sum("amount")).values("sum")))


def statements_for_team(*, team: Team) -> QuerySet[Statement]:
    return Statement.objects.filter(team=team).annotate(line_total=_statement_total()).order_by("-month")


def _statements_and_recent_sql() -> str:
    """Standard SQL, the same on SQLite and PostgreSQL, with the tables and columns the models
    name: the sum of a team's usage lines over a range of days (one row, NULL without lines),
    left-joined to each of the team's statements with its total (as ``_statement_total``),
    newest month first; a team without statements gives the one row with no statement."""
    q = connection.ops.quote_name
    lines, statements = q(Charge._meta.db_table), q(Statement._meta.db_table)
    charge = {f.name: q(f.column) for f in Charge._meta.concrete_fields}
    statement = {f.name: q(f.column) for f in Statement._meta.concrete_fields}
    line_sum = (
        f"SELECT SUM(l.{charge['amount']}) FROM {lines} l"  # noqa: S608
        f" WHERE l.{charge['statement']} = s.{statement['id']}"
    )
    # Only the models' quoted table and column names are spliced in.
    return (
        f"SELECT s.*, COALESCE(s.{statement['total']}, ({line_sum})) AS line_total, r.recent"  # noqa: S608
        f" FROM (SELECT SUM(c.{charge['amount']}) AS recent FROM {lines} c"
        f" WHERE c.{charge['team']} = %s AND c.{charge['kind']} = %s"
        f" AND c.{charge['day']} >= %s AND c.{charge['day']} <= %s) r"
        f" LEFT OUTER JOIN {statements} s ON s.{statement['team']} = %s"
        f" ORDER BY s.{statement['month']} DESC"
    )


def _computed_decimal(value: Any) -> Decimal | None:
    """A decimal the database computed (a sum), converted as the ORM converts one: SQLite
    returns an int or a float, PostgreSQL a Decimal."""
    expression = Value(None, output_field=DecimalField())
    for convert in connection.ops.get_db_converters(expression):
        value = convert(value, expression, connection)
    return value


def statements_and_recent_usage(*, team: Team, first: date, last: date) -> tuple[list[Statement], Decimal]:
    """The team's statements, newest month first, each with ``line_total`` (as
    ``statements_for_team``), and the sum of its usage lines from day ``first`` to ``last``
    (zero when ``first`` is after ``last``): what the billing page lists and its forecast's
    recent days. One query.

    SQL written out: the two querysets (a correlated subquery and an aggregate) cost about
    0.6 ms of Python to build and compile on every billing page."""
    ops = connection.ops
    params = [
        team.pk,
        ChargeKind.USAGE.value,
        ops.adapt_datefield_value(first),
        ops.adapt_datefield_value(last),
        team.pk,
    ]
    rows = list(Statement.objects.raw(_statements_and_recent_sql(), params))
    recent = _computed_decimal(vars(rows[0])["recent"]) or ZERO
    statements = [row for row in rows if row.pk is not None]
    for row in statements:
        row.line_total = _computed_decimal(vars(row)["line_total"])  # type: ignore[attr-defined]
    return statements, recent


def current_of(statements: list[Statement], *, team: Team, now: datetime) -> Statement | None:
    """This month's statement (in the team's time zone) among the team's ``statements``, which
    the page lists anyway."""
    month = month_start(local_date(now, team.time_zone))
    return next((statement for statement in statements if statement.month == month), None)


def cost_by_namespace_metric(*, statement: Statement) -> QuerySet[Charge, dict[str, Any]]:
    """The statement's amount and quantity per namespace and metric, as rows, by namespace and
    metric: a row per namespace and metric, so the page shows them a page at a time."""
    return (
        Charge.objects.filter(statement=statement)
        .values("namespace__name", "metric")
        .annotate(amount=Sum("amount"), quantity=Sum("quantity"))
        .order_by("namespace__name", "metric")
    )


def daily_totals(*, statement: Statement) -> list[dict]:
    return list(
        Charge.objects.filter(statement=statement, kind="usage")
        .values("day")
        .annotate(amount=Sum("amount"))
        .order_by("day")
    )


RECENT_FULL_DAYS = 7


@dataclass
class Forecast:
    to_date: Decimal
    projected: Decimal
    days_billed: int
    days_in_month: int
    days_left: int
    average: Decimal
    basis_days: int


_UNREAD = object()


def _forecast_days(*, team: Team, now: datetime, account: BillingAccount | None) -> tuple[date, date, date]:
    """This month's first day (in the team's time zone), the last billed day (the day before
    the month when none this month) and the first full day of the recent ones the forecast
    averages (see ``month_forecast``)."""
    tz = team.time_zone
    month = month_start(local_date(now, tz))
    last_billed = (
        account.last_billed_day if account and account.last_billed_day else month - timedelta(days=1)
    )
    first_full = max(local_date(team.created_at, tz) + timedelta(days=1), last_billed - timedelta(days=6))
    return month, last_billed, first_full


def recent_full_days(*, team: Team, now: datetime, account: BillingAccount | None) -> tuple[date, date]:
    """The first and last of the recent full days ``month_forecast`` averages (the first after
    the last when there are none), for a caller that sums their lines itself."""
    _, last_billed, first_full = _forecast_days(team=team, now=now, account=account)
    return first_full, last_billed


def month_forecast(
    *,
    team: Team,
    now: datetime,
    account: object = _UNREAD,
    current: object = _UNREAD,
    recent_total: Decimal | None = None,
) -> Forecast:
    """Month to date plus the average of the recent full days times the days left.

    Month to date is the current statement's total. The days left are the days of the month
    after the last billed day. The average is over up to ``RECENT_FULL_DAYS`` billed days
    before that (last month's too, so the 1st has a forecast), leaving out the team's first
    day, which it did not exist for in full. Days are the team's local calendar days, so a
    daylight-saving month counts like any other. ``account`` is the team's billing account
    (or None) and ``current`` this month's statement from ``statements_for_team`` (or None)
    when the caller read them already, ``recent_total`` the sum of the usage lines of the
    ``recent_full_days`` when the caller summed them. One query for the recent days' sum (read
    from the lines of those days only) unless given, plus the account and the statement when
    not given.
    """
    if account is _UNREAD:
        account = account_of(team=team)
    assert account is None or isinstance(account, BillingAccount)
    month, last_billed, first_full = _forecast_days(team=team, now=now, account=account)
    days_in_month = monthrange(month.year, month.month)[1]
    month_end = month + timedelta(days=days_in_month - 1)
    if current is _UNREAD:
        current = statements_for_team(team=team).filter(month=month).first()
    assert current is None or isinstance(current, Statement)
    billed_through = min(max(last_billed, month - timedelta(days=1)), month_end)
    days_left = (month_end - billed_through).days
    basis_days = max(0, (last_billed - first_full).days + 1)
    if recent_total is None:
        recent = Charge.objects.filter(
            team=team, kind=ChargeKind.USAGE, day__gte=first_full, day__lte=last_billed
        ).aggregate(total=Sum("amount"))
        recent_total = recent["total"] or ZERO
    to_date = (current.line_total if current else None) or ZERO  # type: ignore[attr-defined]  # annotated
    average = recent_total / basis_days if basis_days else ZERO
    days_billed = (billed_through - month).days + 1
    return Forecast(
        to_date=round_line(to_date, team.currency),
        projected=round_line(to_date + average * days_left, team.currency),
        days_billed=days_billed,
        days_in_month=days_in_month,
        days_left=days_left,
        average=round_line(average, team.currency),
        basis_days=basis_days,
    )


def account_of(*, team: Team) -> BillingAccount | None:
    return BillingAccount.objects.filter(team=team).first()


def ledger_for_team(*, team: Team) -> QuerySet[LedgerEntry]:
    """The team's ledger, newest first, with the columns the ledger table and the API show."""
    return (
        LedgerEntry.objects.filter(team=team)
        .select_related("charge")
        .only(
            "kind",
            "amount",
            "currency",
            "reason",
            "created_at",
            "charge__key",
            "charge__day",
            "charge__metric",
        )
        .order_by("-created_at", "-id")
    )


def notices_for_team(*, team: Team) -> QuerySet[BillingNotice]:
    return BillingNotice.objects.filter(team=team).order_by("-created_at", "-id")


# What the team billing pages show of the team's notices and ledger: each queryset compiled once
# per process (``core.compiled``; they differ only in the team id), as building and compiling
# them cost about 0.35 and 0.4 ms on every billing page.
PAGE_NOTICES, PAGE_LEDGER = 5, 50
_PAGE_NOTICES = CompiledQuery(
    lambda team_id: notices_for_team(team=Team(pk=team_id))[:PAGE_NOTICES], ID_STAND_IN
)
_PAGE_LEDGER = CompiledQuery(
    lambda team_id: ledger_for_team(team=Team(pk=team_id))[:PAGE_LEDGER], ID_STAND_IN
)


def page_notices(*, team: Team) -> list[BillingNotice]:
    """The team's newest ``PAGE_NOTICES`` notices, newest first (``notices_for_team``)."""
    return _PAGE_NOTICES.all(team.pk)


def page_ledger(*, team: Team) -> list[LedgerEntry]:
    """The team's newest ``PAGE_LEDGER`` ledger entries, newest first, each with its line
    (``ledger_for_team``)."""
    return _PAGE_LEDGER.all(team.pk)


NOTICE_DAYS = 30


def _latest_notices_sql(team_count: int) -> str:
    """Standard SQL, the same on SQLite and PostgreSQL, with the tables and columns the models
    name: each listed team's newest notice if it is recent enough, its columns in the order of
    the model's concrete fields, then the team's name and slug."""
    q = connection.ops.quote_name
    # Only the models' quoted table and column names are spliced in.
    notices, teams = q(BillingNotice._meta.db_table), q(Team._meta.db_table)
    team_id, created_at, pk = q("team_id"), q("created_at"), q("id")
    columns = ", ".join(f"n.{q(f.column)}" for f in BillingNotice._meta.concrete_fields)
    marks = ", ".join(["%s"] * team_count)
    newest_of_team = (
        f"SELECT m.{pk} FROM {notices} m WHERE m.{team_id} = n.{team_id}"  # noqa: S608
        f" ORDER BY m.{created_at} DESC, m.{pk} DESC LIMIT 1"
    )
    return (
        f"SELECT {columns}, t.{q('name')}, t.{q('slug')}"  # noqa: S608
        f" FROM {notices} n INNER JOIN {teams} t ON t.{pk} = n.{team_id}"
        f" WHERE n.{team_id} IN ({marks}) AND n.{created_at} >= %s AND n.{pk} = ({newest_of_team})"
        f" ORDER BY n.{created_at} DESC, n.{pk} DESC LIMIT 20"
    )


def latest_notices_for_user(
    *, user, days: int = NOTICE_DAYS, now: datetime | None = None
) -> list[BillingNotice]:
    """For the dashboard: the latest balance notice of each team whose billing the user may see
    (owners, managers, billing role), from the last ``days`` days, newest first. One query, none
    without such teams. Each notice carries ``team_name`` and ``team_slug``; its ``team`` is
    not loaded (reading it is a query per notice).

    SQL written out: the same queryset (a correlated subquery and select_related) cost 0.5 ms
    of Python to build and compile on every dashboard; read by a cursor, its values converted
    as the ORM converts them (``raw()`` cost 0.1 ms more, rows or none)."""
    since = (now or timezone.now()) - timedelta(days=days)
    billing_team_ids = sorted(permissions.role_team_ids(user, permissions.VIEW_BILLING))
    if not billing_team_ids:
        return []
    params = [*billing_team_ids, connection.ops.adapt_datetimefield_value(since)]
    with connection.cursor() as cursor:
        cursor.execute(_latest_notices_sql(len(billing_team_ids)), params)
        rows = cursor.fetchall()
    fields = BillingNotice._meta.concrete_fields
    attnames = [f.attname for f in fields]
    notices = []
    for values in converted_rows(rows, [*fields, None, None]):
        notice = BillingNotice.from_db(connection.alias, attnames, values[: len(fields)])
        notice.team_name, notice.team_slug = values[len(fields) :]  # type: ignore[attr-defined]
        notices.append(notice)
    return notices


def finance_statements(
    *, month: date | None = None, team: str = "", currency: str = "", status: str = ""
) -> QuerySet[Statement]:
    qs = Statement.objects.select_related("team")
    if month:
        qs = qs.filter(month=month)
    if team:
        qs = qs.filter(Q(team__slug__icontains=team) | Q(team__name__icontains=team))
    if currency:
        qs = qs.filter(currency=currency.upper())
    if status:
        qs = qs.filter(status=status)
    # Subqueries on the lines' statement index: a join grouped by every column made SQLite walk
    # every team first (a millisecond with 20,000 teams), and summed every line of every month.
    return qs.annotate(
        line_total=_statement_total(),
        line_count=Coalesce(Subquery(_lines_of_statement().annotate(count=Count("pk")).values("count")), 0),
    ).order_by("-month", "team__name")


@dataclass
class StatementTotals:
    """How many statements a filter matches, and their lines' total per currency."""

    count: int
    by_currency: dict[str, Decimal]


def statement_totals(statements: QuerySet[Statement]) -> StatementTotals:
    """The number of ``statements`` (``finance_statements``) and their total per currency, summed
    by the database: one query whatever their number, for a page that shows one page of them."""
    per_currency = (
        statements.order_by().values("currency").annotate(count=Count("pk"), total=Sum("line_total"))
    )
    rows = sorted(per_currency, key=lambda row: row["currency"])
    return StatementTotals(
        count=sum(row["count"] for row in rows),
        by_currency={row["currency"]: row["total"] or ZERO for row in rows},
    )


def statement_namespaces(*, statement: Statement) -> list[dict]:
    return list(
        Charge.objects.filter(statement=statement)
        .values("namespace_id", "namespace__name", "namespace__status")
        .annotate(amount=Sum("amount"), lines=Count("pk"))
        .order_by("namespace__name")
    )


def statement_namespace_for_finance(*, statement: Statement, namespace_id: int) -> Namespace:
    return get_object_or_404(Namespace, pk=namespace_id, team=statement.team)


def namespace_lines(*, statement: Statement, namespace: Namespace) -> QuerySet[Charge]:
    return (
        Charge.objects.filter(statement=statement, namespace=namespace)
        .select_related("price_book")
        .order_by("metric", "day", "pk")
    )


def _charge_sources(charge: Charge) -> Q:
    """The metering metrics (and for storage, the StorageClass) a line was rated from."""
    if charge.metric == BillingMetric.STORAGE:
        metrics = [*SOURCES_FOR_METRIC[charge.metric], STORAGE_CLASS_METRIC]
        return Q(metric__in=metrics, storage_class=charge.storage_class)
    return Q(metric__in=SOURCES_FOR_METRIC[charge.metric])


def charge_hourly_rows(*, charge: Charge) -> QuerySet[UsageHourly]:
    return UsageHourly.objects.filter(
        _charge_sources(charge),
        namespace=charge.namespace,
        hour__gte=charge.window_start,
        hour__lt=charge.window_end,
    ).order_by("hour", "metric")


def charge_samples(*, charge: Charge) -> QuerySet[UsageSample]:
    return UsageSample.objects.filter(
        _charge_sources(charge),
        namespace=charge.namespace,
        window_start__lt=charge.window_end,
        window_end__gt=charge.window_start,
    ).order_by("window_start", "metric")


def price_books() -> QuerySet[PriceBook]:
    return (
        PriceBook.objects.annotate(charge_count=Count("charges", distinct=True))
        .prefetch_related("runtimes", "storage_classes")
        .order_by("currency", "-effective_from")
    )


def pricebook_form_rates(*, book: PriceBook | None = None) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """What a price book form offers: runtime multipliers (``book``'s, else the newest
    version's, with the catalog's for runtimes they lack) and storage class prices (likewise,
    plus every StorageClass discovery found, blank)."""
    source = book or PriceBook.objects.order_by("-effective_from", "-pk").first()
    multipliers = dict(RuntimeClassProfile.objects.values_list("name", "price_multiplier"))
    storage: dict[str, Decimal] = {}
    for names in ClusterState.objects.values_list("storage_classes", flat=True):
        storage.update(dict.fromkeys(names or []))
    if source is not None:
        multipliers.update(source.runtimes.values_list("runtime_class", "multiplier"))
        storage.update(source.storage_classes.values_list("storage_class", "storage_gib_hour"))
    return multipliers, storage


def bill_runs() -> QuerySet[BillRun]:
    return BillRun.objects.order_by("-started_at", "-id")


@dataclass(frozen=True)
class FinanceAttention:
    """What finance acts on first: finalized statements not yet paid, and prepaid teams in debt."""

    statements_due: list[Statement]
    statements_due_count: int
    debts: list[BillingAccount]
    debts_count: int


def finance_attention(*, limit: int = 10) -> FinanceAttention:
    """The finance home: oldest unpaid statements first, deepest debts first. Four queries."""
    due = (
        Statement.objects.filter(status=StatementStatus.FINALIZED)
        .select_related("team")
        .order_by("month", "team__name")
    )
    debts = BillingAccount.objects.filter(balance__lt=0).select_related("team").order_by("balance")
    return FinanceAttention(
        statements_due=list(due[:limit]),
        statements_due_count=due.count(),
        debts=list(debts[:limit]),
        debts_count=debts.count(),
    )

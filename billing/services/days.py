"""The nightly job: rate teams' local days from hourly rollups and write their charge lines.

Rating is batched. On PostgreSQL the team-days of a batch billed for the first time are
rated, priced and written by the database, all in one transaction
(``billing.services.setbased``). The others (and every team-day on SQLite) are rated in
Python from one usage query per batch (``billing.services.usage``): first-time ones are
written together in one transaction, re-rated ones each in its own, so a worker that dies
mid-way leaves all or nothing of a batch's first billing and of a re-rated team-day. Billing
is idempotent: a re-run recomputes the same deterministic keys and writes only differences
(re-rated provisional lines, or adjustment lines when the month is already finalized).
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from billing.models import (
    PRICE_FIELD_FOR_METRIC,
    BilledDay,
    BillingAccount,
    Charge,
    ChargeKind,
    LedgerEntry,
    LedgerKind,
    PriceBook,
    QuantityRule,
    RatingBasis,
    Statement,
)
from billing.periods import day_window, existed_hours, local_midnight_utc
from billing.rating import ONE, QUANTITY_RULE, ZERO, MissingPrice, PriceVersion, day_coverage, price_usage
from billing.reconcile import RERATED_FIELDS, Adjusted, DayFacts, LineTarget, day_plan, vanished
from billing.services import setbased
from billing.services.accounts import account_apply, accounts_apply, accounts_for_teams
from billing.services.bulk import rows_copy, rows_insert
from billing.services.changes import ROLLUP_COMMIT_MARGIN
from billing.services.statements import open_statement_after, statements_for_month
from billing.services.usage import usage_sums
from tenants.models import BillingMode, Namespace, Team

logger = logging.getLogger(__name__)


class DayNotOver(ValueError):
    """The team's local day has not ended yet."""


def price_version(book: PriceBook, tz: str) -> PriceVersion:
    """What rating needs of a version for teams in ``tz``: it takes effect at 00:00 of its day
    there (its runtimes and storage classes prefetched)."""
    return PriceVersion(
        id=book.pk,
        effective_from=local_midnight_utc(book.effective_from, tz),
        prices={metric: getattr(book, name) for metric, name in PRICE_FIELD_FOR_METRIC.items()},
        storage_prices={s.storage_class: s.storage_gib_hour for s in book.storage_classes.all()},
        multipliers={r.runtime_class: r.multiplier for r in book.runtimes.all()},
    )


@dataclass
class Rates:
    """The price book versions rating reads, loaded once per run and currency, placed in each
    billing time zone."""

    books: dict[str, list[PriceBook]] = field(default_factory=dict)
    versions: dict[tuple[str, str], list[PriceVersion]] = field(default_factory=dict)
    rule: int | None = None

    @classmethod
    def load(cls) -> Rates:
        return cls()

    def rule_id(self) -> int:
        """The ``QuantityRule`` row of ``QUANTITY_RULE``, the rule every line is rated with."""
        if self.rule is None:
            text = QUANTITY_RULE
            digest = hashlib.sha256(text.encode()).hexdigest()
            self.rule = QuantityRule.objects.get_or_create(digest=digest, defaults={"text": text})[0].pk
        return self.rule

    def for_currency(self, currency: str, tz: str = "UTC") -> list[PriceVersion]:
        """The currency's versions placed in ``tz``; the first call for a currency also records
        each version with the rule (``RatingBasis``), which every line rated with them names."""
        if currency not in self.books:
            books = PriceBook.objects.filter(currency=currency).prefetch_related(
                "runtimes", "storage_classes"
            )
            loaded = list(books.order_by("effective_from"))
            rule = self.rule_id()
            RatingBasis.objects.bulk_create(  # another run may be recording them too
                [RatingBasis(price_book=book, rule_id=rule) for book in loaded], ignore_conflicts=True
            )
            self.books[currency] = loaded
        if (currency, tz) not in self.versions:
            self.versions[(currency, tz)] = [price_version(book, tz) for book in self.books[currency]]
        return self.versions[(currency, tz)]


@dataclass
class DayResult:
    day: date
    created: int = 0
    updated: int = 0
    adjustments: int = 0
    provisional: bool = False
    already_billed: bool = False  # the day had lines, and they did not change

    @property
    def written(self) -> int:
        return self.created + self.updated + self.adjustments


_expected_hours = existed_hours


def charge_key(
    team_id: int,
    namespace_id: int,
    metric: str,
    day: date,
    price_book_id: int,
    *,
    runtime_class: str = "",
    storage_class: str = "",
) -> str:
    """The line's unique key; the runtime and storage class parts only when they are set."""
    key = f"{team_id}:{namespace_id}:{metric}:{day.isoformat()}:pb{price_book_id}"
    if runtime_class:
        key += f":rt={runtime_class}"
    if storage_class:
        key += f":sc={storage_class}"
    return key


@dataclass
class RatedDay:
    """One team's local day, rated: a target for each of its lines by charge key, not yet
    written, and what a line that is no longer rated needs (its namespace's coverage)."""

    team: Team
    day: date
    start: datetime
    end: datetime
    read_at: datetime
    lifetimes: dict[int, tuple[int, datetime | None, datetime | None]]
    rule_id: int
    lines: dict[str, LineTarget] = field(default_factory=dict)
    coverage: dict[int, Decimal] = field(default_factory=dict)

    @property
    def facts(self) -> DayFacts:
        return DayFacts(self.team.pk, self.team.currency, self.day, self.start, self.end, self.rule_id)

    def coverage_of(self, namespace_id: int) -> tuple[Decimal, bool]:
        """(coverage, provisional) of a namespace's day; one without usage rows has none,
        unless it did not exist during the day."""
        coverage = self.coverage.get(namespace_id)
        if coverage is None:
            _, created, deleted = self.lifetimes.get(namespace_id, (0, None, self.start))
            expected = _expected_hours(created, deleted, self.start, self.end)
            coverage = ZERO if expected else ONE
        return coverage, coverage < settings.BILLING_COVERAGE_THRESHOLD

    def targets(self, existing: dict[str, Charge]) -> dict[str, LineTarget]:
        """The rated lines, and zero for every existing line the rating no longer produces."""
        targets = dict(self.lines)
        for key, old in existing.items():
            if key not in targets:
                coverage, provisional = self.coverage_of(old.namespace_id)
                targets[key] = vanished(old, coverage=coverage, provisional=provisional)
        return targets


def teams_rate_day(
    *, teams: Sequence[Team], day: date, rates: Rates, now: datetime
) -> dict[int, RatedDay | Exception]:
    """Rate ``day`` for each team: one usage query per (time zone, currency) among ``teams``.

    A team whose day has not ended, or whose usage has no price, gets its exception instead.
    """
    outcomes: dict[int, RatedDay | Exception] = {}
    groups: dict[tuple[str, str], list[Team]] = defaultdict(list)
    for team in teams:
        groups[(team.time_zone, team.currency)].append(team)
    threshold = settings.BILLING_COVERAGE_THRESHOLD
    for (tz, currency), group in groups.items():
        start, end = day_window(day, tz)
        if end > now:
            outcomes.update({t.pk: DayNotOver(f"{day} has not ended in {tz} yet.") for t in group})
            continue
        read_at = timezone.now()
        lifetimes = {
            pk: (team_id, created, deleted)
            for pk, team_id, created, deleted in Namespace.objects.filter(team__in=group).values_list(
                "pk", "team_id", "created_at", "deleted_at"
            )
        }
        rated = {
            t.pk: RatedDay(
                team=t,
                day=day,
                start=start,
                end=end,
                read_at=read_at,
                lifetimes=lifetimes,
                rule_id=rates.rule_id(),
            )
            for t in group
        }
        failed: dict[int, Exception] = {}
        sums = usage_sums(
            namespace_ids=list(lifetimes), start=start, end=end, versions=rates.for_currency(currency, tz)
        )
        for namespace_id, namespace_sums in sums:
            team_id, created, deleted = lifetimes[namespace_id]
            if team_id in failed:
                continue
            try:
                lines = price_usage(namespace_sums)
            except MissingPrice as exc:
                failed[team_id] = exc
                continue
            covered = sum((s.coverage for s in namespace_sums), Decimal("0"))
            coverage = day_coverage(covered, expected_hours=_expected_hours(created, deleted, start, end))
            team_day = rated[team_id]
            team_day.coverage[namespace_id] = coverage
            for line in lines:
                key = charge_key(
                    team_id,
                    namespace_id,
                    line.metric,
                    day,
                    line.price_version.id,
                    runtime_class=line.runtime_class,
                    storage_class=line.storage_class,
                )
                team_day.lines[key] = LineTarget(
                    namespace_id=namespace_id,
                    metric=line.metric,
                    price_book_id=line.price_version.id,
                    runtime_class=line.runtime_class,
                    storage_class=line.storage_class,
                    multiplier=line.multiplier,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    billable_quantity=line.billable_quantity,
                    amount=line.amount(team_day.team.currency),
                    hours=line.hours,
                    coverage=coverage,
                    provisional=coverage < threshold,
                )
        outcomes.update(rated)
        outcomes.update(failed)
    return outcomes


# Whether first billings go through ``billing.services.setbased`` where it can (PostgreSQL);
# the equivalence test turns it off to bill the same usage through the Python path.
SET_BASED = True


def teams_day_bill(
    *, teams: Sequence[Team], day: date, rates: Rates, now: datetime
) -> dict[int, DayResult | Exception]:
    """Bill ``day`` for each of ``teams``: team-days billed for the first time are rated and
    written by the database, all of a batch in one transaction (``billing.services.setbased``,
    PostgreSQL); the others are rated together in Python and written one team per
    transaction (the first-time ones of them all together).

    Returns each team's result, or the exception that kept its day from being billed.
    """
    outcomes: dict[int, DayResult | Exception] = {}
    if SET_BASED:
        outcomes.update(_teams_first_bill_set_based(teams=teams, day=day, rates=rates, now=now))
        teams = [t for t in teams if t.pk not in outcomes]
        if not teams:
            return outcomes
    rated = teams_rate_day(teams=teams, day=day, rates=rates, now=now)
    ready = [r for r in rated.values() if isinstance(r, RatedDay)]
    outcomes.update({pk: r for pk, r in rated.items() if isinstance(r, Exception)})
    if not ready:
        return outcomes
    teams = [r.team for r in ready]
    _accounts_ensure(teams)
    statements = statements_for_month(teams=teams, month=day)
    # Most team-days are billed for the first time: skip their read of earlier lines. Should
    # another worker write lines in between, the unique charge keys refuse the second copy.
    billed_before, flagged = _billed_before_and_flagged(teams, day)
    first = [r for r in ready if r.team.pk not in billed_before | flagged and statements[r.team.pk].is_open]
    if first:
        try:
            outcomes.update(_days_write_first(rated=first, statements=statements, now=now))
        except Exception:  # e.g. another worker was first: each team on its own below
            logger.warning(
                "billing %s for %d teams together failed; one at a time", day, len(first), exc_info=True
            )
        else:
            ready = [r for r in ready if r.team.pk not in outcomes]
    for rated_day in ready:
        try:
            outcomes[rated_day.team.pk] = _day_write_raced(
                rated=rated_day,
                statement=statements[rated_day.team.pk],
                now=now,
                billed_before=rated_day.team.pk in billed_before,
                flagged=rated_day.team.pk in flagged,
            )
        except Exception as exc:  # recorded per team by the caller; other teams go on
            outcomes[rated_day.team.pk] = exc
    return outcomes


def _teams_first_bill_set_based(
    *, teams: Sequence[Team], day: date, rates: Rates, now: datetime
) -> dict[int, DayResult]:
    """Bill the team-days of ``teams`` that are billed for the first time with one statement
    per time zone and currency (``setbased.days_write_first_set_based``). Teams it does not
    bill (billed before, flagged, month closed, the day not over, no price version, not
    PostgreSQL, or the statement failed because another worker was first) are left to the
    Python path."""
    outcomes: dict[int, DayResult] = {}
    groups: dict[tuple[str, str], list[Team]] = defaultdict(list)
    for team in teams:
        groups[(team.time_zone, team.currency)].append(team)
    for (tz, currency), group in groups.items():
        start, end = day_window(day, tz)
        versions = rates.for_currency(currency, tz)
        if end > now or not setbased.set_based_possible(versions, start):
            continue
        _accounts_ensure(group)
        statements = statements_for_month(teams=group, month=day)
        billed_before, flagged = _billed_before_and_flagged(group, day)
        first = [t for t in group if t.pk not in billed_before | flagged and statements[t.pk].is_open]
        if not first:
            continue
        try:
            written = setbased.days_write_first_set_based(
                teams=first,
                day=day,
                start=start,
                end=end,
                currency=currency,
                versions=versions,
                statements=statements,
                rule_id=rates.rule_id(),
                now=now,
            )
        except Exception:  # e.g. another worker was first: the Python path reconciles
            logger.warning(
                "billing %s for %d teams in the database failed; in Python", day, len(first), exc_info=True
            )
            continue
        outcomes.update(
            (pk, DayResult(day=day, created=lines, provisional=provisional))
            for pk, (lines, provisional) in written.items()
        )
    return outcomes


def _day_write_raced(
    *, rated: RatedDay, statement: Statement, now: datetime, billed_before: bool, flagged: bool
) -> DayResult:
    """``_day_write``; if another worker wrote the team-day's first lines after this one
    looked (the unique keys refuse the copy), reconcile with what it wrote instead."""
    try:
        return _day_write(
            rated=rated, statement=statement, now=now, billed_before=billed_before, flagged=flagged
        )
    except IntegrityError:
        if billed_before:
            raise
    return _day_write(rated=rated, statement=statement, now=now, billed_before=True, flagged=True)


def day_bill(*, team: Team, day: date, rates: Rates | None = None, now: datetime | None = None) -> DayResult:
    """Bill one local day of one team (see the module docstring)."""
    outcome = teams_day_bill(teams=[team], day=day, rates=rates or Rates.load(), now=now or timezone.now())
    result = outcome[team.pk]
    if isinstance(result, Exception):
        raise result
    return result


def _billed_before_and_flagged(teams: Sequence[Team], day: date) -> tuple[set[int], set[int]]:
    """The ids of the teams with lines for ``day`` already, and of those whose billed ``day`` is
    flagged for late usage: neither is billed for the first time."""
    billed_before = set(
        Charge.objects.filter(team__in=teams, day=day).values_list("team_id", flat=True).distinct()
    )
    flagged = set(
        BilledDay.objects.filter(team__in=teams, day=day, usage_changed_at__isnull=False).values_list(
            "team_id", flat=True
        )
    )
    return billed_before, flagged


def _accounts_ensure(teams: Sequence[Team]) -> None:
    accounts_for_teams(teams=teams)


def _ledger(team: Team, charge: Charge, amount: Decimal, key: str) -> LedgerEntry | None:
    """The prepaid ledger entry for a write that adds ``amount`` to the bill (none if invoiced)."""
    if team.billing_mode != BillingMode.PREPAID or amount == 0:
        return None
    return LedgerEntry(
        team=team, kind=LedgerKind.CHARGE, amount=-amount, currency=charge.currency, charge=charge, key=key
    )


def _day_lines(team: Team, day: date) -> tuple[dict[str, Charge], dict[str, Adjusted]]:
    """The day's usage lines by key, and the adjustments made so far to its finalized ones."""
    existing = {
        c.key: c
        for c in Charge.objects.filter(team=team, day=day, kind=ChargeKind.USAGE).select_related("statement")
    }
    if all(c.statement.is_open for c in existing.values()):
        return existing, {}
    adjusted = {
        row.pop("adjusts__key"): Adjusted(**row)
        for row in Charge.objects.filter(team=team, day=day, kind=ChargeKind.ADJUSTMENT)
        .values("adjusts__key")
        .annotate(
            count=Count("pk"),
            amount=Sum("amount"),
            quantity=Sum("quantity"),
            billable_quantity=Sum("billable_quantity"),
        )
        .order_by()
    }
    return existing, adjusted


@transaction.atomic
def _day_write(
    *, rated: RatedDay, statement: Statement, now: datetime, billed_before: bool = True, flagged: bool = True
) -> DayResult:
    """Bring one team-day's lines to its rating (``billing.reconcile.day_plan``), write their
    ledger entries, move its balance and record the day as billed, atomically.

    ``billed_before`` False skips reading the day's earlier lines (there were none);
    ``flagged`` False skips clearing its late-usage flag (there was none).
    """
    team, day = rated.team, rated.day
    account = BillingAccount.objects.select_for_update().get(team=team)
    existing, adjusted = _day_lines(team, day) if billed_before else ({}, {})
    plan = day_plan(
        facts=rated.facts,
        targets=rated.targets(existing),
        existing=existing,
        adjusted=adjusted,
        statement=statement,
    )
    if plan.to_next_open:
        later = open_statement_after(team=team, month=day)
        for line in plan.to_next_open:
            line.statement = later
    rows_insert(plan.inserts)
    if plan.updates:
        Charge.objects.bulk_update(plan.updates, RERATED_FIELDS)
        Charge.objects.filter(pk__in=[c.pk for c in plan.updates]).update(updated_at=now)
    ledger = [e for e in (_ledger(team, line, amount, key) for line, amount, key in plan.movements) if e]
    rows_insert(ledger)
    if ledger:
        account_apply(account=account, team=team, delta=sum((e.amount for e in ledger), Decimal(0)), now=now)
    if account.last_billed_day is None or day == account.last_billed_day + timedelta(days=1):
        BillingAccount.objects.filter(pk=account.pk).update(last_billed_day=day)
    _billed_day_record(rated, flagged=flagged)
    return DayResult(
        day=day,
        created=len(plan.inserts) - plan.adjustments,
        updated=len(plan.updates),
        adjustments=plan.adjustments,
        provisional=any(t.provisional for t in rated.lines.values()),
        already_billed=bool(existing) and not (plan.inserts or plan.updates),
    )


@transaction.atomic
def _days_write_first(
    *, rated: Sequence[RatedDay], statements: dict[int, Statement], now: datetime
) -> dict[int, DayResult]:
    """Write the lines of team-days billed for the first time (no lines yet, no late-usage
    flag, the month open), with their ledger entries, balances and billed-day records: one
    transaction and one ``COPY`` per table for all of them, so all are written or none.

    The same writes ``_day_write`` makes for such a day (``day_plan`` inserts every target
    as revision 1), without building model instances.
    """
    teams = {r.team.pk: r.team for r in rated}
    accounts = {
        a.team_id: a for a in BillingAccount.objects.select_for_update().filter(team__in=teams).order_by("pk")
    }
    created = timezone.now()
    lines: list[tuple] = []
    for day in rated:
        statement_id, team = statements[day.team.pk].pk, day.team
        for key, t in day.lines.items():
            lines.append(
                (
                    key, ChargeKind.USAGE, team.pk, t.namespace_id, statement_id, t.metric, day.day, day.start,
                    day.end, t.price_book_id, t.quantity, t.billable_quantity, t.unit_price, t.runtime_class,
                    t.multiplier, t.storage_class, t.amount, team.currency, t.coverage, t.provisional,
                    day.rule_id, t.hours, 1, None, created, created,
                )
            )  # fmt: skip
    ids = rows_copy(Charge, setbased.CHARGE_COLUMNS, lines)
    ledger: list[tuple] = []
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for pk, line in zip(ids, lines, strict=True):
        key, team_id, amount, currency = line[0], line[2], line[16], line[17]
        if amount and teams[team_id].billing_mode == BillingMode.PREPAID:
            ledger.append((team_id, LedgerKind.CHARGE, -amount, currency, pk, f"{key}#r1", "", None, created))
            deltas[team_id] -= amount
    rows_copy(LedgerEntry, setbased.LEDGER_COLUMNS, ledger)
    accounts_apply(moves=[(accounts[pk], teams[pk], delta) for pk, delta in deltas.items()], now=now)
    billed = rated[0].day
    BillingAccount.objects.filter(
        Q(last_billed_day__isnull=True) | Q(last_billed_day=billed - timedelta(days=1)), team__in=teams
    ).update(last_billed_day=billed)
    _billed_days_record(rated)
    return {
        r.team.pk: DayResult(
            day=r.day, created=len(r.lines), provisional=any(t.provisional for t in r.lines.values())
        )
        for r in rated
    }


def _billed_days_record(rated: Sequence[RatedDay]) -> None:
    BilledDay.objects.bulk_create(
        [
            BilledDay(
                team=r.team,
                day=r.day,
                window_start=r.start,
                window_end=r.end,
                billed_at=timezone.now(),
                usage_as_of=r.read_at - ROLLUP_COMMIT_MARGIN,
            )
            for r in rated
        ],
        update_conflicts=True,
        unique_fields=["team", "day"],
        update_fields=["window_start", "window_end", "billed_at", "usage_as_of"],
    )


def _billed_day_record(rated: RatedDay, *, flagged: bool) -> None:
    usage_as_of = rated.read_at - ROLLUP_COMMIT_MARGIN
    _billed_days_record([rated])
    if flagged:  # a change newer than the usage just read stays flagged
        BilledDay.objects.filter(team=rated.team, day=rated.day, usage_changed_at__lte=usage_as_of).update(
            usage_changed_at=None
        )


def days_to_rebill(*, team_ids: Sequence[int]) -> dict[int, list[date]]:
    """Billed days to bill again, by team: days with provisional lines in an open month (until
    complete) and days whose usage changed after they were billed."""
    days: dict[int, set[date]] = defaultdict(set)
    provisional = (
        Charge.objects.filter(team_id__in=team_ids, provisional=True, statement__status="draft")
        .values_list("team_id", "day")
        .distinct()
    )
    changed = BilledDay.objects.filter(team_id__in=team_ids, usage_changed_at__isnull=False).values_list(
        "team_id", "day"
    )
    for team_id, day in [*provisional, *changed]:
        days[team_id].add(day)
    return {team_id: sorted(team_days) for team_id, team_days in days.items()}

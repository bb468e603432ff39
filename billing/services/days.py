"""The nightly job: rate a team's local day from hourly rollups and write its charge lines.

``day_bill`` is idempotent. Lines and their prepaid ledger entries for one (team, day) are
written in one transaction, so a worker that dies mid-way leaves all or nothing; a re-run
recomputes the same deterministic keys and writes only differences (re-rated provisional
lines, or adjustment lines when the month is already finalized).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DecimalField, Max, Sum, When
from django.utils import timezone

from billing.models import (
    PRICE_FIELD_FOR_METRIC,
    BillingAccount,
    Charge,
    ChargeKind,
    LedgerEntry,
    LedgerKind,
    PriceBook,
    Statement,
)
from billing.periods import ceil_hour, day_window, floor_hour, hours_in
from billing.rating import (
    QUANTITY_RULE,
    SOURCE_METRICS,
    HourUsage,
    PriceVersion,
    RatedLine,
    Reading,
    day_coverage,
    rate_namespace_day,
)
from billing.services.accounts import account_apply, account_for_team
from billing.services.statements import open_statement_after, statement_for_month
from metering.models import RuntimeClassProfile, UsageHourly
from tenants.models import BillingMode, Namespace, Team

_QTY = DecimalField(max_digits=30, decimal_places=6)
_COV = DecimalField(max_digits=5, decimal_places=4)
PIVOT = {
    **{f"q_{m}": Max(Case(When(metric=m, then="quantity")), output_field=_QTY) for m in SOURCE_METRICS},
    **{f"c_{m}": Max(Case(When(metric=m, then="coverage")), output_field=_COV) for m in SOURCE_METRICS},
}


class DayNotOver(ValueError):
    """The team's local day has not ended yet."""


@dataclass
class Rates:
    """What rating reads besides usage, loaded once per run."""

    multipliers: dict[str, Decimal]
    versions: dict[str, list[PriceVersion]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Rates:
        return cls(multipliers=dict(RuntimeClassProfile.objects.values_list("name", "price_multiplier")))

    def for_currency(self, currency: str) -> list[PriceVersion]:
        if currency not in self.versions:
            self.versions[currency] = [
                PriceVersion(
                    id=book.pk,
                    effective_from=book.effective_from,
                    prices={metric: getattr(book, name) for metric, name in PRICE_FIELD_FOR_METRIC.items()},
                )
                for book in PriceBook.objects.filter(currency=currency).order_by("effective_from")
            ]
        return self.versions[currency]


@dataclass
class DayResult:
    day: date
    created: int = 0
    updated: int = 0
    adjustments: int = 0
    provisional: bool = False

    @property
    def written(self) -> int:
        return self.created + self.updated + self.adjustments


def _hours_of_team(team: Team, start: datetime, end: datetime):
    """Stream (namespace_id, [HourUsage]) for the window, pivoted in SQL to one row per hour."""
    rows = (
        UsageHourly.objects.filter(
            namespace_id__in=Namespace.objects.filter(team=team).values("pk"),
            hour__gte=start,
            hour__lt=end,
            metric__in=SOURCE_METRICS,
        )
        .values("namespace_id", "hour")
        .annotate(rc=Max("runtime_class"), **PIVOT)
        .order_by("namespace_id", "hour")
        .iterator(chunk_size=5000)
    )
    for namespace_id, group in groupby(rows, key=lambda r: r["namespace_id"]):
        yield (
            namespace_id,
            [
                HourUsage(
                    hour=row["hour"],
                    runtime_class=row["rc"] or "",
                    readings={
                        m: Reading(row[f"q_{m}"], row[f"c_{m}"])
                        for m in SOURCE_METRICS
                        if row[f"q_{m}"] is not None
                    },
                )
                for row in group
            ],
        )


def _expected_hours(created_at, deleted_at, start: datetime, end: datetime) -> int:
    """Hours of the window the namespace existed (a creation time after data means 'unknown')."""
    lo = start if created_at is None or created_at >= end else max(start, floor_hour(created_at))
    hi = end if deleted_at is None else min(end, ceil_hour(deleted_at))
    return max(0, hours_in(lo, hi))


def charge_key(team_id: int, namespace_id: int, metric: str, day: date, price_book_id: int) -> str:
    return f"{team_id}:{namespace_id}:{metric}:{day.isoformat()}:pb{price_book_id}"


@dataclass
class _Computed:
    namespace_id: int
    line: RatedLine
    coverage: Decimal
    provisional: bool
    amount: Decimal


def rate_team_day(*, team: Team, day: date, rates: Rates) -> tuple[datetime, datetime, dict[str, _Computed]]:
    start, end = day_window(day, team.time_zone)
    lifetimes = dict(
        (pk, (created, deleted))
        for pk, created, deleted in Namespace.objects.filter(team=team).values_list(
            "pk", "created_at", "deleted_at"
        )
    )
    versions = rates.for_currency(team.currency)
    threshold = settings.BILLING_COVERAGE_THRESHOLD
    computed: dict[str, _Computed] = {}
    for namespace_id, hours in _hours_of_team(team, start, end):
        coverage = day_coverage(hours, expected_hours=_expected_hours(*lifetimes[namespace_id], start, end))
        for line in rate_namespace_day(hours, multipliers=rates.multipliers, versions=versions):
            key = charge_key(team.pk, namespace_id, line.metric, day, line.price_version.id)
            computed[key] = _Computed(
                namespace_id, line, coverage, coverage < threshold, line.amount(team.currency)
            )
    return start, end, computed


def _ledger(team: Team, charge: Charge, amount: Decimal, key: str) -> LedgerEntry | None:
    if team.billing_mode != BillingMode.PREPAID or amount == 0:
        return None
    return LedgerEntry(
        team=team, kind=LedgerKind.CHARGE, amount=-amount, currency=charge.currency, charge=charge, key=key
    )


def day_bill(*, team: Team, day: date, rates: Rates | None = None, now: datetime | None = None) -> DayResult:
    """Bill one local day of one team (see the module docstring)."""
    now = now or timezone.now()
    rates = rates or Rates.load()
    start, end = day_window(day, team.time_zone)
    if end > now:
        raise DayNotOver(f"{day} has not ended in {team.time_zone} yet.")
    _, _, computed = rate_team_day(team=team, day=day, rates=rates)
    result = DayResult(day=day, provisional=any(c.provisional for c in computed.values()))
    account_for_team(team=team)
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update().get(team=team)
        statement = statement_for_month(team=team, month=day)
        existing = {
            c.key: c
            for c in Charge.objects.filter(team=team, day=day, kind=ChargeKind.USAGE).select_related(
                "statement"
            )
        }
        adjusted = dict(
            Charge.objects.filter(team=team, day=day, kind=ChargeKind.ADJUSTMENT)
            .values_list("adjusts__key")
            .annotate(amount=Sum("amount"))
        )
        later: Statement | None = None  # the next open statement, looked up when first needed
        new_charges: list[Charge] = []
        changed: list[Charge] = []
        entries: list[tuple[Charge, Decimal, str]] = []
        for key, c in computed.items():
            old = existing.get(key)
            fields = {
                "quantity": c.line.quantity,
                "billable_quantity": c.line.billable_quantity,
                "amount": c.amount,
                "coverage": c.coverage,
                "provisional": c.provisional,
                "hours": c.line.hours,
            }
            if old is None or old.statement.is_open:
                if old is None:
                    target = statement
                    if not statement.is_open:  # late line for a closed month without an original
                        later = later or open_statement_after(team=team, month=day)
                        target = later
                    charge = Charge(
                        key=key,
                        team=team,
                        namespace_id=c.namespace_id,
                        statement=target,
                        metric=c.line.metric,
                        day=day,
                        window_start=start,
                        window_end=end,
                        price_book_id=c.line.price_version.id,
                        unit_price=c.line.unit_price,
                        currency=team.currency,
                        quantity_rule=QUANTITY_RULE,
                        **fields,
                    )
                    new_charges.append(charge)
                    entries.append((charge, c.amount, f"{key}#r1"))
                elif any(getattr(old, name) != value for name, value in fields.items()):
                    delta = c.amount - old.amount
                    for name, value in fields.items():
                        setattr(old, name, value)
                    old.revision += 1
                    changed.append(old)
                    entries.append((old, delta, f"{key}#r{old.revision}"))
                continue
            # The original sits in a finalized statement: the difference becomes an adjustment.
            delta = c.amount - old.amount - adjusted.get(key, Decimal("0"))
            delta_quantity = c.line.quantity - old.quantity - _adjusted_sum(old, "quantity")
            if delta == 0 and delta_quantity == 0:
                continue
            later = later or open_statement_after(team=team, month=day)
            sequence = old.adjustments.count() + 1
            adjustment = Charge(
                key=f"{key}#adj{sequence}",
                kind=ChargeKind.ADJUSTMENT,
                adjusts=old,
                team=team,
                namespace_id=c.namespace_id,
                statement=later,
                metric=c.line.metric,
                day=day,
                window_start=start,
                window_end=end,
                price_book_id=c.line.price_version.id,
                unit_price=c.line.unit_price,
                currency=team.currency,
                quantity_rule=QUANTITY_RULE,
                quantity=delta_quantity,
                billable_quantity=c.line.billable_quantity
                - old.billable_quantity
                - _adjusted_sum(old, "billable_quantity"),
                amount=delta,
                coverage=c.coverage,
                provisional=False,
                hours=c.line.hours,
            )
            new_charges.append(adjustment)
            entries.append((adjustment, delta, f"{adjustment.key}#r1"))
            result.adjustments += 1
        Charge.objects.bulk_create(new_charges)
        if changed:
            Charge.objects.bulk_update(
                changed,
                ["quantity", "billable_quantity", "amount", "coverage", "provisional", "hours", "revision"],
            )
            Charge.objects.filter(pk__in=[c.pk for c in changed]).update(updated_at=now)
        ledger = [e for e in (_ledger(team, charge, amount, key) for charge, amount, key in entries) if e]
        LedgerEntry.objects.bulk_create(ledger)
        if ledger:
            account_apply(account=account, team=team, delta=sum(e.amount for e in ledger), now=now)
        if account.last_billed_day is None or day == account.last_billed_day + timedelta(days=1):
            BillingAccount.objects.filter(pk=account.pk).update(last_billed_day=day)
    result.created = len(new_charges) - result.adjustments
    result.updated = len(changed)
    return result


def _adjusted_sum(original: Charge, name: str) -> Decimal:
    return original.adjustments.aggregate(s=Sum(name))["s"] or Decimal("0")


def provisional_days(*, team: Team) -> list[date]:
    """Days with provisional lines in an open month: re-rated on every run until complete."""
    return list(
        Charge.objects.filter(team=team, provisional=True, statement__status="draft")
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")
    )

"""Demo billing: a price book in effect since before the history, a top-up for the prepaid
team, and every past day billed by the real billing job."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from billing.models import LedgerEntry, LedgerKind, PriceBook
from billing.periods import local_date
from billing.services.accounts import account_for_team, ledger_record
from billing.services.pricebooks import pricebook_rates_set
from billing.services.runs import days_bill
from billing.services.statements import statements_finalize_due
from tenants.models import BillingMode, Team

PRICES = {
    "cpu_core_hour": Decimal("0.035"),
    "memory_gib_hour": Decimal("0.0045"),
    "storage_gib_hour": Decimal("0.00014"),
    "gpu_hour": Decimal("1.20"),
    "egress_gib": Decimal("0.08"),
    "load_balancer_hour": Decimal("0.025"),
}
TOPUP = Decimal("30.000")
TOPUP_REASON = "Card payment DEMO-0001 (welcome top-up)"


@dataclass
class BillingResult:
    price_book: PriceBook | None = None
    price_book_created: bool = False
    topups: int = 0
    lines: int = 0
    finalized: int = 0


def price_book_ensure(*, actor, currency: str, since: datetime) -> tuple[PriceBook, bool]:
    """The currency's first price book, in effect from ``since`` (the service only accepts
    future versions, so the demo writes the row itself)."""
    book = PriceBook.objects.filter(currency=currency).order_by("effective_from").first()
    if book is not None:
        return book, False
    book = PriceBook.objects.create(
        version=1,
        currency=currency,
        effective_from=since.date() - timedelta(days=1),  # the day before, in every time zone
        note="Demo prices",
        created_by=actor,
        **PRICES,
    )
    pricebook_rates_set(pricebook=book)
    return book, True


def billing_ensure(*, finance, teams: list[Team], now: datetime) -> BillingResult:
    """Price book, top-ups, then bill each team's unbilled days up to its local yesterday."""
    result = BillingResult()
    since = min(team.created_at for team in teams) - timedelta(days=1)
    for currency in sorted({team.currency for team in teams}):
        result.price_book, created = price_book_ensure(actor=finance, currency=currency, since=since)
        result.price_book_created |= created
    first_unbilled: dict[int, date] = {}
    for team in teams:
        last_billed = account_for_team(team=team).last_billed_day
        first_unbilled[team.pk] = (
            last_billed + timedelta(days=1) if last_billed else local_date(team.created_at, team.time_zone)
        )
        if (
            team.billing_mode == BillingMode.PREPAID
            and not LedgerEntry.objects.filter(team=team, kind=LedgerKind.TOPUP).exists()
        ):
            ledger_record(actor=finance, team=team, kind=LedgerKind.TOPUP, amount=TOPUP, reason=TOPUP_REASON)
            result.topups += 1
    yesterday = {team.pk: local_date(now, team.time_zone) - timedelta(days=1) for team in teams}
    due = [team for team in teams if first_unbilled[team.pk] <= yesterday[team.pk]]
    if due:
        run = days_bill(
            first=min(first_unbilled[team.pk] for team in due),
            last=min(yesterday[team.pk] for team in due),
            teams=due,
            now=now,
            trigger="demo",
        )
        result.lines = run.lines_written
    result.finalized = statements_finalize_due(now=now)
    return result

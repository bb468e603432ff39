"""Guarantees 4 and 5: closed periods do not change; totals add up to the cent."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Charge, ChargeKind, LedgerEntry, Statement, StatementStatus
from billing.services.days import day_bill
from billing.services.statements import (
    statement_finalize,
    statement_for_month,
    statement_lines_total,
    statement_mark_paid,
    statements_finalize_due,
    statements_for_month,
)
from metering.models import UsageHourly

from .conftest import fill_day, hourly, utc

pytestmark = pytest.mark.django_db


def test_statement_is_draft_until_grace_then_finalized_and_immutable(acme):
    fill_day(acme.namespace, utc(2024, 2, 28), hours=48)
    with time_machine.travel(utc(2024, 3, 2), tick=False):
        day_bill(team=acme.team, day=date(2024, 2, 28))
        day_bill(team=acme.team, day=date(2024, 2, 29))
        statement = Statement.objects.get()
        assert statement.status == StatementStatus.DRAFT
        assert statements_finalize_due() == 0
        with pytest.raises(ValidationError):
            statement_finalize(statement=statement)
    with time_machine.travel(utc(2024, 3, 4), tick=False):  # 3 grace days after 1 March 00:00
        assert statements_finalize_due() == 1
    statement.refresh_from_db()
    assert statement.status == StatementStatus.FINALIZED
    assert statement.total == statement_lines_total(statement=statement) == Decimal("2.16")


def test_late_samples_after_finalization_create_an_adjustment_pointing_to_the_original(acme):
    fill_day(acme.namespace, utc(2024, 2, 29), hours=20)
    with time_machine.travel(utc(2024, 3, 1, 1), tick=False):
        day_bill(team=acme.team, day=date(2024, 2, 29))
    with time_machine.travel(utc(2024, 3, 10), tick=False):
        february = statement_finalize(statement=Statement.objects.get())
        total = february.total
        original = Charge.objects.get(metric="cpu")
        assert not original.provisional  # frozen at finalization
        fill_day(acme.namespace, utc(2024, 2, 29, 20), hours=4)  # late data
        result = day_bill(team=acme.team, day=date(2024, 2, 29))
        assert result.adjustments == 2
        again = day_bill(team=acme.team, day=date(2024, 2, 29))
        assert again.written == 0
    adjustment = Charge.objects.get(kind=ChargeKind.ADJUSTMENT, metric="cpu")
    assert adjustment.adjusts == original and adjustment.quantity == 4
    assert adjustment.amount == Decimal("0.16") and adjustment.statement.month == date(2024, 3, 1)
    assert adjustment.statement.status == StatementStatus.DRAFT
    original.refresh_from_db()
    february.refresh_from_db()
    assert original.quantity == 20 and original.revision == 1
    assert february.total == total == statement_lines_total(statement=february)
    assert LedgerEntry.objects.filter(charge=adjustment).get().amount == Decimal("-0.16")


def test_mark_paid_only_after_finalization(acme):
    fill_day(acme.namespace, utc(2024, 2, 29))
    with time_machine.travel(utc(2024, 3, 10), tick=False):
        day_bill(team=acme.team, day=date(2024, 2, 29))
        statement = Statement.objects.get()
        with pytest.raises(ValidationError):
            statement_mark_paid(actor=acme.finance, statement=statement)
        statement_finalize(statement=statement)
        statement_mark_paid(actor=acme.finance, statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.PAID and statement.paid_by == acme.finance


quantities = st.decimals(min_value=Decimal("0"), max_value=Decimal("64"), places=6, allow_nan=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cpu=st.lists(quantities, min_size=24, max_size=24), storage=st.lists(quantities, min_size=1, max_size=24)
)
def test_line_amounts_sum_to_the_statement_total_to_the_cent(acme, cpu, storage):
    LedgerEntry.objects.all().delete()
    Charge.objects.all().delete()
    Statement.objects.all().delete()
    UsageHourly.objects.all().delete()
    for n, q in enumerate(cpu):
        hourly(acme.namespace, "cpu_request", utc(2024, 2, 29) + timedelta(hours=n), q)
    for n, q in enumerate(storage):
        hourly(acme.namespace, "storage_request", utc(2024, 2, 29) + timedelta(hours=n), q * 2**30)
    with time_machine.travel(utc(2024, 3, 10), tick=False):
        day_bill(team=acme.team, day=date(2024, 2, 29))
        statement = statement_finalize(statement=Statement.objects.get())
    amounts = list(Charge.objects.values_list("amount", flat=True))
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)
    assert statement.total == sum(amounts, Decimal("0"))
    from billing.selectors import statement_rows

    rows, total = statement_rows(statement=statement)
    assert total == statement.total == sum((r.amount for r in rows), Decimal("0"))


def test_drafts_for_many_teams_are_the_drafts_one_team_gets_and_keep_existing_ones(acme):
    """``statements_for_month`` (one insert for the missing, on PostgreSQL from arrays) makes the
    same drafts as ``statement_for_month``, in each team's time zone, and keeps a draft a team
    has already."""
    berlin, utc_team = acme.other_team, acme.team
    type(berlin).objects.filter(pk=berlin.pk).update(time_zone="Europe/Berlin", currency="EUR")
    berlin.refresh_from_db()
    kept = statement_for_month(team=utc_team, month=date(2024, 3, 1))
    with time_machine.travel(utc(2024, 3, 5, 12), tick=False):
        drafts = statements_for_month(teams=[utc_team, berlin], month=date(2024, 3, 17))
    assert drafts[utc_team.pk].pk == kept.pk and Statement.objects.count() == 2
    made = Statement.objects.get(team=berlin)
    assert drafts[berlin.pk] == made
    tz = ZoneInfo("Europe/Berlin")
    assert (made.month, made.currency, made.status) == (date(2024, 3, 1), "EUR", StatementStatus.DRAFT)
    assert made.period_start == datetime(2024, 3, 1, tzinfo=tz)
    assert made.period_end == datetime(2024, 4, 1, tzinfo=tz)  # 31 days less an hour: summer time
    assert made.created_at == utc(2024, 3, 5, 12)
    assert (made.total, made.finalized_at, made.paid_at, made.paid_by) == (None, None, None, None)
    assert statements_for_month(teams=[utc_team, berlin], month=date(2024, 3, 2)) == drafts

"""Guarantee 4 without anyone re-running the command: the hourly job bills late usage again."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.models import (
    BilledDay,
    BillingAccount,
    Charge,
    ChargeKind,
    LedgerEntry,
    Statement,
    StatementStatus,
)
from billing.services.runs import teams_bill_due
from billing.services.statements import statement_lines_total, statements_finalize_due
from metering.models import UsageSample
from metering.services.rollup import usage_rollup

from .conftest import fill_day, utc

pytestmark = pytest.mark.django_db


def late_samples(namespace, metric, first_hour, hours, quantity):
    """Five-minute samples covering ``hours`` whole hours from ``first_hour``."""
    for n in range(hours * 12):
        start = first_hour + timedelta(minutes=5 * n)
        UsageSample.objects.create(
            namespace=namespace,
            metric=metric,
            window_start=start,
            window_end=start + timedelta(minutes=5),
            quantity=Decimal(quantity),
            source="test",
        )


def snapshot():
    return (
        list(Charge.objects.order_by("key").values()),
        list(LedgerEntry.objects.order_by("pk").values()),
        list(BillingAccount.objects.values("balance", "band")),
    )


def test_late_samples_for_a_finalized_month_get_an_adjustment_from_the_hourly_job(acme):
    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 2, 28))
    with time_machine.travel(utc(2024, 3, 1, 0, 30), tick=False):
        fill_day(acme.namespace, utc(2024, 2, 29), hours=20)  # the collector missed 20:00-24:00
    with time_machine.travel(utc(2024, 3, 1, 1, 5), tick=False):
        teams_bill_due()
    original = Charge.objects.get(metric="cpu")
    assert original.quantity == 20 and original.provisional
    with time_machine.travel(utc(2024, 3, 4, 1, 5), tick=False):
        teams_bill_due()
        assert statements_finalize_due() == 1
    february = Statement.objects.get(month=date(2024, 2, 1))
    assert february.status == StatementStatus.FINALIZED

    # The missing samples turn up a week later and the rollup re-computes those hours.
    late_samples(acme.namespace, "cpu_request", utc(2024, 2, 29, 20), 4, "1")
    with time_machine.travel(utc(2024, 3, 10, 12), tick=False):
        usage_rollup(now=utc(2024, 3, 1), lookback_hours=4)
    with time_machine.travel(utc(2024, 3, 10, 13, 5), tick=False):
        run = teams_bill_due()

    assert run.errors == [] and run.usage_checked_until == utc(2024, 3, 10, 13, 5)
    adjustment = Charge.objects.get(kind=ChargeKind.ADJUSTMENT)
    assert (
        adjustment.adjusts == original and adjustment.metric == "cpu" and adjustment.day == date(2024, 2, 29)
    )
    assert adjustment.quantity == 4 and adjustment.amount == Decimal("0.16")
    assert adjustment.statement.month == date(2024, 3, 1) and adjustment.statement.is_open
    assert LedgerEntry.objects.get(charge=adjustment).amount == Decimal("-0.16")
    original.refresh_from_db()
    february.refresh_from_db()
    assert original.quantity == 20 and original.revision == 1
    assert february.total == statement_lines_total(statement=february)
    assert BilledDay.objects.get(day=date(2024, 2, 29)).usage_changed_at is None

    before = snapshot()
    with time_machine.travel(utc(2024, 3, 10, 14, 5), tick=False):
        again = teams_bill_due()
    assert again.days_billed == 0 and again.lines_written == 0
    assert snapshot() == before


def test_corrected_usage_in_an_open_month_is_rerated_by_the_hourly_job(acme):
    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 2, 29))
    with time_machine.travel(utc(2024, 3, 2, 0, 30), tick=False):
        fill_day(acme.namespace, utc(2024, 3, 1))
    with time_machine.travel(utc(2024, 3, 2, 1, 5), tick=False):
        teams_bill_due()
    with time_machine.travel(utc(2024, 3, 2, 2, 5), tick=False):
        assert teams_bill_due().days_billed == 0  # nothing changed since the day was billed
    cpu = Charge.objects.get(metric="cpu")
    assert cpu.quantity == 24 and not cpu.provisional

    # A re-collection finds 3 cores were requested from 10:00 to 11:00, not 1.
    late_samples(acme.namespace, "cpu_request", utc(2024, 3, 1, 10), 1, "3")
    with time_machine.travel(utc(2024, 3, 2, 15), tick=False):
        usage_rollup(now=utc(2024, 3, 1, 11), lookback_hours=1)
    with time_machine.travel(utc(2024, 3, 2, 16, 5), tick=False):
        run = teams_bill_due()

    assert run.days_billed == 1 and run.lines_written == 1
    cpu.refresh_from_db()
    assert cpu.quantity == 26 and cpu.revision == 2 and cpu.statement.is_open
    assert not Charge.objects.filter(kind=ChargeKind.ADJUSTMENT).exists()
    assert sum(LedgerEntry.objects.filter(charge=cpu).values_list("amount", flat=True)) == -cpu.amount
    with time_machine.travel(utc(2024, 3, 2, 17, 5), tick=False):
        assert teams_bill_due().days_billed == 0


def test_a_change_newer_than_a_rebill_keeps_the_day_flagged(acme):
    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 2, 29))
    with time_machine.travel(utc(2024, 3, 2, 0, 30), tick=False):
        fill_day(acme.namespace, utc(2024, 3, 1))
    with time_machine.travel(utc(2024, 3, 2, 1, 5), tick=False):
        teams_bill_due()
    billed = BilledDay.objects.get()
    # Usage rolled up a minute before billing read it may not have been visible: still flagged.
    billed.usage_changed_at = billed.usage_as_of + timedelta(minutes=10)
    billed.save()
    with time_machine.travel(utc(2024, 3, 2, 1, 7), tick=False):
        assert teams_bill_due().days_billed == 1
    assert BilledDay.objects.get().usage_changed_at is not None
    with time_machine.travel(utc(2024, 3, 2, 2, 5), tick=False):
        assert teams_bill_due().days_billed == 1
    assert BilledDay.objects.get().usage_changed_at is None

"""The nightly job: guarantees 1, 2, 3, 8, 9, 10, 13 and the deleted-namespace case of 11."""

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import BilledDay, BillingAccount, BillRun, Charge, LedgerEntry, Statement
from billing.rating import QUANTITY_RULE
from billing.services import days, setbased
from billing.services.days import DayNotOver, charge_key, day_bill
from billing.services.runs import teams_bill_due
from metering.models import UsageHourly
from tenants.models import Namespace
from tests.factories import NamespaceFactory

from .conftest import GIB, fill_day, make_book, utc

pytestmark = pytest.mark.django_db
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def snapshot():
    return (
        list(Charge.objects.order_by("key").values()),
        list(LedgerEntry.objects.order_by("pk").values()),
        list(BillingAccount.objects.values("balance", "band")),
    )


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_rerunning_a_day_changes_nothing(acme):
    fill_day(acme.namespace, utc(2024, 3, 1))
    first = day_bill(team=acme.team, day=date(2024, 3, 1))
    assert first.created == 2
    before = snapshot()
    again = day_bill(team=acme.team, day=date(2024, 3, 1))
    assert again.written == 0
    assert snapshot() == before
    assert Charge.objects.count() == 2 and LedgerEntry.objects.count() == 2


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_a_line_is_keyed_by_team_namespace_metric_day_and_price_version(acme, book):
    fill_day(acme.namespace, utc(2024, 3, 1))
    day_bill(team=acme.team, day=date(2024, 3, 1))
    cpu = Charge.objects.get(metric="cpu")
    assert cpu.key == charge_key(acme.team.pk, acme.namespace.pk, "cpu", date(2024, 3, 1), book.pk)
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError, wrapped differently per database
        Charge.objects.create(**{**_fields(cpu), "key": "another-key-same-line"})


def _fields(charge):
    return {
        f.attname: getattr(charge, f.attname) for f in Charge._meta.concrete_fields if f.name not in ("id",)
    }


class WorkerKilled(BaseException):
    pass


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_worker_killed_between_charge_and_ledger_entry_leaves_neither(acme, monkeypatch):
    """A first billing in Python writes all its teams' lines (``rows_copy``), then their
    ledger entries."""
    monkeypatch.setattr(days, "SET_BASED", False)
    fill_day(acme.namespace, utc(2024, 3, 1))
    real_copy = days.rows_copy

    def die_before_ledger(model, columns, rows):
        if model is LedgerEntry:
            assert Charge.objects.count() == 2  # the charges were written in this transaction
            raise WorkerKilled
        return real_copy(model, columns, rows)

    monkeypatch.setattr(days, "rows_copy", die_before_ledger)
    with pytest.raises(WorkerKilled):
        day_bill(team=acme.team, day=date(2024, 3, 1))
    assert Charge.objects.count() == 0 and LedgerEntry.objects.count() == 0
    assert BillingAccount.objects.get(team=acme.team).balance == 0

    monkeypatch.undo()
    day_bill(team=acme.team, day=date(2024, 3, 1))
    assert Charge.objects.count() == 2 and LedgerEntry.objects.count() == 2
    assert set(LedgerEntry.objects.values_list("charge_id", flat=True)) == set(
        Charge.objects.values_list("pk", flat=True)
    )


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_worker_killed_after_the_set_based_insert_leaves_nothing(acme, monkeypatch):
    """On PostgreSQL one statement writes a first billing's lines and ledger entries; a worker
    killed after it, before the balances and billed days, leaves none of them."""
    if connection.vendor != "postgresql":
        if ON_POSTGRES:
            pytest.fail("DATABASE_URL points at PostgreSQL but the test database is not PostgreSQL")
        pytest.skip("the set-based first billing needs PostgreSQL; SQLite bills in Python")
    fill_day(acme.namespace, utc(2024, 3, 1))

    def die_before_balances(**kwargs):
        assert Charge.objects.count() == 2 and LedgerEntry.objects.count() == 2  # in this transaction
        raise WorkerKilled

    monkeypatch.setattr(setbased, "accounts_apply", die_before_balances)
    with pytest.raises(WorkerKilled):
        day_bill(team=acme.team, day=date(2024, 3, 1))
    assert Charge.objects.count() == 0 and LedgerEntry.objects.count() == 0
    assert not BilledDay.objects.exists()
    assert BillingAccount.objects.get(team=acme.team).balance == 0

    monkeypatch.undo()
    result = day_bill(team=acme.team, day=date(2024, 3, 1))
    assert result.created == 2
    assert Charge.objects.count() == 2 and LedgerEntry.objects.count() == 2
    assert BillingAccount.objects.get(team=acme.team).balance == -sum(
        Charge.objects.values_list("amount", flat=True)
    )


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_worker_killed_between_rerated_line_and_ledger_entry_leaves_neither(acme, monkeypatch):
    """Billing a day again writes one team-day at a time: new lines, then ledger entries."""
    fill_day(acme.namespace, utc(2024, 3, 1))
    day_bill(team=acme.team, day=date(2024, 3, 1))
    before = snapshot()
    UsageHourly.objects.filter(metric__startswith="cpu").update(quantity=2)  # late usage: re-rated
    real_insert = days.rows_insert

    def die_before_ledger(objs):
        if objs and isinstance(objs[0], LedgerEntry):
            raise WorkerKilled
        real_insert(objs)

    monkeypatch.setattr(days, "rows_insert", die_before_ledger)
    with pytest.raises(WorkerKilled):
        day_bill(team=acme.team, day=date(2024, 3, 1))
    assert snapshot() == before

    monkeypatch.undo()
    day_bill(team=acme.team, day=date(2024, 3, 1))
    assert LedgerEntry.objects.count() == 3
    assert BillingAccount.objects.get(team=acme.team).balance == -sum(
        Charge.objects.values_list("amount", flat=True)
    )


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_each_line_stores_window_rule_price_version_and_reproducible_amount(acme, book):
    fill_day(acme.namespace, utc(2024, 3, 1), cpu="0.333333", memory=3 * GIB)
    day_bill(team=acme.team, day=date(2024, 3, 1))
    for line in Charge.objects.all():
        assert (line.window_start, line.window_end) == (utc(2024, 3, 1), utc(2024, 3, 2))
        assert line.quantity_rule == QUANTITY_RULE
        assert line.price_book_id == book.pk and line.unit_price == book.unit_price(line.metric)
        assert line.currency == "USD" and line.coverage == Decimal("1")
        reproduced = (line.billable_quantity * line.unit_price).quantize(Decimal("0.01"))
        assert line.amount == reproduced
    cpu = Charge.objects.get(metric="cpu")
    assert cpu.quantity == Decimal("7.999992")  # 24 x 0.333333
    assert cpu.amount == Decimal("0.32")


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_low_coverage_keeps_the_day_provisional_and_late_samples_rerate_it(acme):
    fill_day(acme.namespace, utc(2024, 3, 1), hours=20)  # 4 hours missing: 20/24 = 83 %
    result = day_bill(team=acme.team, day=date(2024, 3, 1))
    cpu = Charge.objects.get(metric="cpu")
    assert result.provisional and cpu.provisional and cpu.coverage == Decimal("0.8333")
    assert cpu.quantity == Decimal("20")  # the missing hours are not invented as zero or as usage
    fill_day(acme.namespace, utc(2024, 3, 1, 20), hours=4)  # late samples arrive

    run = teams_bill_due()
    cpu.refresh_from_db()
    assert not cpu.provisional and cpu.coverage == 1 and cpu.quantity == 24 and cpu.revision == 2
    assert run.errors == []
    # The prepaid ledger follows the re-rating with a delta entry, never a second full charge.
    assert sum(LedgerEntry.objects.filter(charge=cpu).values_list("amount", flat=True)) == -cpu.amount


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        ("Europe/Berlin", date(2024, 3, 31), 23),
        ("Europe/Berlin", date(2024, 10, 27), 25),
        ("Europe/Berlin", date(2024, 6, 1), 24),
    ],
)
def test_daylight_saving_days_have_23_or_25_hours(acme, tz, day, hours):
    acme.team.time_zone = tz
    acme.team.save()
    # Rows every hour from two days before to two days after: only the local day is billed.
    fill_day(acme.namespace, utc(day.year, day.month, day.day) - timedelta(days=2), hours=24 * 5)
    with time_machine.travel(utc(day.year, day.month, day.day) + timedelta(days=3), tick=False):
        day_bill(team=acme.team, day=day)
    cpu = Charge.objects.get(metric="cpu")
    assert cpu.quantity == hours and cpu.hours == hours and cpu.coverage == 1
    assert cpu.window_end - cpu.window_start == timedelta(hours=hours)
    assert cpu.window_start.hour in (22, 23)  # local midnight in UTC


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_a_day_that_has_not_ended_in_the_team_time_zone_is_not_billed(acme):
    acme.team.time_zone = "America/Los_Angeles"
    with pytest.raises(DayNotOver):
        day_bill(team=acme.team, day=date(2024, 3, 5))


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_price_change_at_midnight_prices_each_day_with_its_version(acme, book):
    new = make_book(version=2, effective_from=utc(2024, 3, 2), cpu_core_hour=Decimal("0.100000"))
    fill_day(acme.namespace, utc(2024, 3, 1), hours=48)
    day_bill(team=acme.team, day=date(2024, 3, 1))
    day_bill(team=acme.team, day=date(2024, 3, 2))
    by_day = {c.day: c for c in Charge.objects.filter(metric="cpu")}
    assert by_day[date(2024, 3, 1)].price_book == book and by_day[date(2024, 3, 1)].amount == Decimal("0.96")
    assert by_day[date(2024, 3, 2)].price_book == new and by_day[date(2024, 3, 2)].amount == Decimal("2.40")


@pytest.mark.parametrize(
    ("tz", "first_local_hour_utc"),
    [("Europe/Berlin", utc(2024, 2, 28, 23)), ("America/New_York", utc(2024, 2, 29, 5))],
)
def test_a_version_takes_effect_at_each_team_local_midnight_so_no_day_mixes_versions(
    acme, book, tz, first_local_hour_utc
):
    acme.team.time_zone = tz
    acme.team.save()
    new = make_book(version=2, effective_from=date(2024, 3, 1), cpu_core_hour=Decimal("0.100000"))
    fill_day(acme.namespace, first_local_hour_utc, hours=48)
    with time_machine.travel(utc(2024, 3, 5, 12), tick=False):
        day_bill(team=acme.team, day=date(2024, 2, 29))
        day_bill(team=acme.team, day=date(2024, 3, 1))
    lines = {c.day: c for c in Charge.objects.filter(metric="cpu")}
    assert len(lines) == Charge.objects.filter(metric="cpu").count() == 2  # one version per day
    assert lines[date(2024, 2, 29)].price_book == book and lines[date(2024, 2, 29)].quantity == 24
    assert lines[date(2024, 3, 1)].price_book == new and lines[date(2024, 3, 1)].amount == Decimal("2.40")


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_namespace_deleted_mid_day_stops_charges_and_the_day_is_complete(acme):
    Namespace.objects.filter(pk=acme.namespace.pk).update(
        status="deleted", deleted_at=utc(2024, 3, 1, 10, 30)
    )
    fill_day(acme.namespace, utc(2024, 3, 1), hours=11)  # the collector saw it until 10:30
    day_bill(team=acme.team, day=date(2024, 3, 1))
    day_bill(team=acme.team, day=date(2024, 3, 2))
    cpu = Charge.objects.get(metric="cpu")
    assert cpu.day == date(2024, 3, 1) and cpu.quantity == 11
    assert not cpu.provisional and cpu.coverage == 1  # 11 measured hours of 11 it existed
    assert not Charge.objects.filter(day=date(2024, 3, 2)).exists()


def test_three_day_outage_is_caught_up_in_order_without_a_cap(acme, monkeypatch):
    import billing.services.runs as runs

    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 3, 1))
    fill_day(acme.namespace, utc(2024, 3, 1), hours=24 * 5)
    order = []
    real = runs.teams_day_bill

    def spy(**kwargs):
        order.append(kwargs["day"])
        return real(**kwargs)

    monkeypatch.setattr(runs, "teams_day_bill", spy)
    with time_machine.travel(utc(2024, 3, 5, 0, 30), tick=False):
        run = teams_bill_due()
    assert order == [date(2024, 3, 2), date(2024, 3, 3), date(2024, 3, 4)]
    assert run.days_billed == 3 and run.lines_written == 6 and run.teams_billed >= 1
    assert BillingAccount.objects.get(team=acme.team).last_billed_day == date(2024, 3, 4)
    with time_machine.travel(utc(2024, 3, 5, 1, 30), tick=False):
        assert teams_bill_due().lines_written == 0


def test_a_failing_day_stops_catch_up_so_no_day_is_skipped(acme, monkeypatch):
    import billing.services.runs as runs

    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 3, 1))
    with time_machine.travel(utc(2024, 3, 5, 11), tick=False):  # rolled up before the runs
        fill_day(acme.namespace, utc(2024, 3, 2), hours=72)
    real = runs.teams_day_bill

    def flaky(**kwargs):
        if kwargs["day"] == date(2024, 3, 3):
            raise ConnectionError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(runs, "teams_day_bill", flaky)
    with time_machine.travel(utc(2024, 3, 5, 12), tick=False):
        run = teams_bill_due()
    assert run.errors == [
        {"team": "acme", "day": "2024-03-03", "error": "ConnectionError: database went away"}
    ]
    assert BillingAccount.objects.get(team=acme.team).last_billed_day == date(2024, 3, 2)
    assert not Charge.objects.filter(day__gte=date(2024, 3, 3)).exists()
    monkeypatch.setattr(runs, "teams_day_bill", real)
    with time_machine.travel(utc(2024, 3, 5, 13), tick=False):
        assert teams_bill_due().days_billed == 2
    assert BillingAccount.objects.get(team=acme.team).last_billed_day == date(2024, 3, 4)


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_bill_run_records_what_it_did(acme):
    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 3, 3))
    fill_day(acme.namespace, utc(2024, 3, 4))
    run = teams_bill_due()
    assert BillRun.objects.get() == run
    assert run.finished_at and run.duration is not None and run.lines_written == 2 and run.errors == []


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_team_claimed_by_another_worker_is_skipped(acme):
    BillingAccount.objects.create(
        team=acme.team, last_billed_day=date(2024, 3, 3), claimed_until=utc(2024, 3, 5, 12, 10)
    )
    fill_day(acme.namespace, utc(2024, 3, 4))
    assert teams_bill_due().lines_written == 0
    assert not Charge.objects.exists()


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_rating_a_day_is_a_constant_number_of_queries(acme):
    extra = [NamespaceFactory(team=acme.team, name=f"acme-{n}", created_at=utc(2020, 1, 1)) for n in range(2)]
    fill_day(acme.namespace, utc(2024, 3, 1), hours=72)
    day_bill(team=acme.team, day=date(2024, 3, 1))  # first use creates the account and statement
    with CaptureQueriesContext(connection) as small:
        day_bill(team=acme.team, day=date(2024, 3, 2))
    for ns in extra:
        fill_day(ns, utc(2024, 3, 3))
    with CaptureQueriesContext(connection) as large:
        day_bill(team=acme.team, day=date(2024, 3, 3))
    assert len(large) == len(small)
    assert Charge.objects.filter(day=date(2024, 3, 3)).count() == 6
    assert Statement.objects.count() == 1

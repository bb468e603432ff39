"""Guarantee 15: everything that shapes a price is versioned, and each line stores what it used."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from billing.models import Charge, ChargeKind, Statement
from billing.services.days import day_bill
from billing.services.statements import statement_finalize
from metering.models import RuntimeClassProfile, UsageHourly

from .conftest import fill_day, make_book, utc

pytestmark = pytest.mark.django_db

DAY = date(2024, 2, 29)


def set_catalog_multiplier(name: str, multiplier: str) -> None:
    RuntimeClassProfile.objects.filter(name=name).update(price_multiplier=Decimal(multiplier))


def lines():
    return list(Charge.objects.order_by("key").values())


@pytest.fixture
def kata(world, db):
    """The persona team on kata-fc at 1.25 when its price book version was made."""
    set_catalog_multiplier("kata-fc", "1.25")
    make_book()
    type(world.team).objects.filter(pk=world.team.pk).update(created_at=utc(2020, 1, 1))
    world.team.refresh_from_db()
    fill_day(world.namespace, utc(2024, 2, 29), runtime_class="kata-fc")
    return world


def test_rerunning_a_day_after_a_catalog_edit_changes_nothing(kata):
    with time_machine.travel(utc(2024, 3, 1, 1), tick=False):
        day_bill(team=kata.team, day=DAY)
        before = lines()
        set_catalog_multiplier("kata-fc", "2")
        assert day_bill(team=kata.team, day=DAY).written == 0
    assert lines() == before
    cpu = Charge.objects.get(metric="cpu")
    assert cpu.billable_quantity == Decimal("30") and cpu.amount == Decimal("1.20")


def test_a_closed_day_rerun_after_a_catalog_edit_gets_no_adjustment(kata):
    with time_machine.travel(utc(2024, 3, 1, 1), tick=False):
        day_bill(team=kata.team, day=DAY)
    with time_machine.travel(utc(2024, 3, 10), tick=False):
        statement_finalize(statement=Statement.objects.get())
        set_catalog_multiplier("kata-fc", "0.5")
        assert day_bill(team=kata.team, day=DAY).written == 0
    assert not Charge.objects.filter(kind=ChargeKind.ADJUSTMENT).exists()


def test_an_adjustment_sign_follows_the_usage_change(kata):
    UsageHourly.objects.filter(namespace=kata.namespace, hour__gte=utc(2024, 2, 29, 20)).delete()
    with time_machine.travel(utc(2024, 3, 1, 1), tick=False):
        day_bill(team=kata.team, day=DAY)
    with time_machine.travel(utc(2024, 3, 10), tick=False):
        statement_finalize(statement=Statement.objects.get())
        set_catalog_multiplier("kata-fc", "0.8")  # cheaper in the catalog now
        fill_day(kata.namespace, utc(2024, 2, 29, 20), hours=4, runtime_class="kata-fc")  # more usage
        day_bill(team=kata.team, day=DAY)
    for adjustment in Charge.objects.filter(kind=ChargeKind.ADJUSTMENT):
        assert adjustment.quantity == 4
        assert adjustment.billable_quantity == Decimal("5") and adjustment.amount > 0


def test_a_line_stores_the_runtime_class_and_multiplier_it_used(kata):
    with time_machine.travel(utc(2024, 3, 1, 1), tick=False):
        day_bill(team=kata.team, day=DAY)
    cpu = Charge.objects.get(metric="cpu")
    assert (cpu.runtime_class, cpu.multiplier) == ("kata-fc", Decimal("1.25"))
    assert cpu.billable_quantity == cpu.quantity * cpu.multiplier
    assert cpu.amount == (cpu.billable_quantity * cpu.unit_price).quantize(Decimal("0.01"))


def test_a_new_price_book_version_changes_the_multiplier_from_its_effective_day(kata):
    make_book(version=2, effective_from=utc(2024, 3, 1), runtime_multipliers={"kata-fc": Decimal("2")})
    fill_day(kata.namespace, utc(2024, 3, 1), runtime_class="kata-fc")
    with time_machine.travel(utc(2024, 3, 2, 1), tick=False):
        day_bill(team=kata.team, day=DAY)
        day_bill(team=kata.team, day=date(2024, 3, 1))
    by_day = {c.day: c for c in Charge.objects.filter(metric="cpu")}
    assert by_day[DAY].multiplier == Decimal("1.25") and by_day[DAY].billable_quantity == 30
    assert by_day[date(2024, 3, 1)].multiplier == 2 and by_day[date(2024, 3, 1)].billable_quantity == 48

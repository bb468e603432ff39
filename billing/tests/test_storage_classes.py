"""Storage is priced per StorageClass: fast SSD and bulk HDD are billed differently."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.models import Charge
from billing.services.days import charge_key, day_bill

from .conftest import GIB, hourly, make_book, utc

pytestmark = pytest.mark.django_db

DAY = date(2024, 3, 1)
CLASS_PRICES = {"fast-ssd": Decimal("0.000400"), "bulk-hdd": Decimal("0.000050")}


@pytest.fixture
def classes(world, db):
    book = make_book(storage_class_prices=CLASS_PRICES)
    type(world.team).objects.filter(pk=world.team.pk).update(created_at=utc(2020, 1, 1))
    world.team.refresh_from_db()
    world.book = book
    return world


def storage_rows(namespace, hours=24, **per_class):
    for n in range(hours):
        hour = utc(2024, 3, 1) + timedelta(hours=n)
        for storage_class, gib in per_class.items():
            hourly(namespace, "storage_class_request", hour, gib * GIB, storage_class=storage_class)
        total = sum(per_class.values())
        hourly(namespace, "storage_request", hour, total * GIB)


@time_machine.travel(utc(2024, 3, 5), tick=False)
def test_each_storage_class_has_its_own_line_and_price(classes):
    storage_rows(classes.namespace, **{"fast-ssd": 10, "bulk-hdd": 100})
    day_bill(team=classes.team, day=DAY)
    lines = {c.storage_class: c for c in Charge.objects.filter(metric="storage")}
    assert set(lines) == {"fast-ssd", "bulk-hdd"}
    assert lines["fast-ssd"].quantity == 240 and lines["fast-ssd"].unit_price == Decimal("0.0004")
    assert lines["fast-ssd"].amount == Decimal("0.10")
    assert lines["bulk-hdd"].quantity == 2400 and lines["bulk-hdd"].amount == Decimal("0.12")
    assert lines["bulk-hdd"].key == charge_key(
        classes.team.pk, classes.namespace.pk, "storage", DAY, classes.book.pk, storage_class="bulk-hdd"
    )


@time_machine.travel(utc(2024, 3, 5), tick=False)
def test_a_class_without_its_own_price_uses_the_default_storage_price(classes):
    storage_rows(classes.namespace, **{"standard": 50, "": 10})
    day_bill(team=classes.team, day=DAY)
    lines = {c.storage_class: c for c in Charge.objects.filter(metric="storage")}
    assert lines["standard"].unit_price == lines[""].unit_price == Decimal("0.0001")
    assert lines["standard"].amount == Decimal("0.12") and lines[""].amount == Decimal("0.02")


@time_machine.travel(utc(2024, 3, 5), tick=False)
def test_hours_measured_before_per_class_collection_bill_the_total_at_the_default_price(classes):
    for n in range(24):
        hourly(classes.namespace, "storage_request", utc(2024, 3, 1) + timedelta(hours=n), 10 * GIB)
    day_bill(team=classes.team, day=DAY)
    [line] = Charge.objects.filter(metric="storage")
    assert line.storage_class == "" and line.quantity == 240 and line.unit_price == Decimal("0.0001")


def test_a_late_change_to_one_storage_class_is_billed_again_by_the_hourly_job(classes):
    from billing.models import BillingAccount
    from billing.services.runs import teams_bill_due
    from metering.models import UsageHourly

    BillingAccount.objects.create(team=classes.team, last_billed_day=date(2024, 2, 29))
    with time_machine.travel(utc(2024, 3, 2, 0, 30), tick=False):
        storage_rows(classes.namespace, **{"fast-ssd": 10})
    with time_machine.travel(utc(2024, 3, 2, 1, 5), tick=False):
        teams_bill_due()
    UsageHourly.objects.filter(metric="storage_class_request").update(
        quantity=20 * GIB, updated_at=utc(2024, 3, 2, 9)
    )
    with time_machine.travel(utc(2024, 3, 2, 10, 5), tick=False):
        assert teams_bill_due().days_billed == 1
    assert Charge.objects.get(metric="storage", storage_class="fast-ssd").quantity == 480

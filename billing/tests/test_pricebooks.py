"""Guarantees 9 and 12: bad prices rejected at save; past versions read-only."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing.forms import PriceBookForm
from billing.models import Charge, PriceBook
from billing.services.days import day_bill
from billing.services.pricebooks import pricebook_create, pricebook_update
from tenants.models import AuditEvent

from .conftest import PRICES, fill_day, make_book, utc

pytestmark = pytest.mark.django_db
NOW = utc(2024, 3, 5, 12)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("bad", [Decimal("-0.01"), None, "", "abc", 0.5, "0.0000001"])
def test_negative_missing_or_malformed_prices_are_rejected_by_the_service(world, bad):
    with pytest.raises(ValidationError) as excinfo:
        pricebook_create(
            actor=world.admin,
            currency="USD",
            effective_from=date(2024, 4, 1),
            prices={**PRICES, "gpu_hour": bad},
        )
    assert "gpu_hour" in excinfo.value.message_dict
    assert not PriceBook.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_missing_price_is_rejected_not_taken_as_zero(world):
    prices = {k: v for k, v in PRICES.items() if k != "egress_gib"}
    with pytest.raises(ValidationError, match="missing is not"):
        pricebook_create(actor=world.admin, currency="USD", effective_from=date(2024, 4, 1), prices=prices)


@time_machine.travel(NOW, tick=False)
def test_negative_prices_are_rejected_by_the_form():
    data = {"currency": "USD", "effective_from": "2024-04-01", **{k: str(v) for k, v in PRICES.items()}}
    assert PriceBookForm(data={**data, "cpu_core_hour": "-1"}).errors.keys() == {"cpu_core_hour"}
    assert PriceBookForm(data={**data, "memory_gib_hour": ""}).errors.keys() == {"memory_gib_hour"}
    assert PriceBookForm(data=data).is_valid()


def test_negative_prices_are_rejected_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_book(storage_gib_hour=Decimal("-1"))


@time_machine.travel(NOW, tick=False)
def test_new_version_takes_effect_on_its_date_and_is_audited(world):
    book = pricebook_create(actor=world.admin, currency="USD", effective_from=date(2024, 4, 1), prices=PRICES)
    assert book.effective_from == date(2024, 4, 1) and book.version == 1
    assert AuditEvent.objects.filter(action="billing.pricebook.created").exists()
    second = pricebook_create(
        actor=world.admin, currency="USD", effective_from=date(2024, 5, 1), prices=PRICES
    )
    assert second.version == 2


@time_machine.travel(utc(2024, 3, 5, 10, 30), tick=False)
def test_a_version_for_a_day_that_has_begun_anywhere_cannot_be_created_or_edited(world):
    # 10:30 UTC on 5 March is already 6 March on Kiritimati (UTC+14): 6 March has begun there.
    with pytest.raises(ValidationError, match="future"):
        pricebook_create(actor=world.admin, currency="USD", effective_from=date(2024, 3, 6), prices=PRICES)
    scheduled = pricebook_create(
        actor=world.admin, currency="USD", effective_from=date(2024, 3, 7), prices=PRICES
    )
    # At 10:30 UTC on 6 March, 7 March has begun on Kiritimati.
    with (
        time_machine.travel(utc(2024, 3, 6, 10, 30), tick=False),
        pytest.raises(ValidationError, match="new version"),
    ):
        pricebook_update(actor=world.admin, pricebook=scheduled, prices=PRICES)


@time_machine.travel(NOW, tick=False)
def test_versions_in_effect_or_in_the_past_cannot_be_created_or_edited(world):
    with pytest.raises(ValidationError):
        pricebook_create(actor=world.admin, currency="USD", effective_from=date(2024, 3, 5), prices=PRICES)
    past = make_book(effective_from=utc(2024, 1, 1))
    with pytest.raises(ValidationError, match="create a new version"):
        pricebook_update(actor=world.admin, pricebook=past, prices={**PRICES, "cpu_core_hour": "9"})


def test_editing_prices_never_changes_billed_periods(acme, book):
    with time_machine.travel(utc(2024, 3, 5, 12), tick=False):
        future = pricebook_create(
            actor=acme.admin, currency="USD", effective_from=date(2024, 3, 10), prices=PRICES
        )
        pricebook_update(actor=acme.admin, pricebook=future, prices={**PRICES, "cpu_core_hour": "0.05"})
        fill_day(acme.namespace, utc(2024, 3, 1))
        day_bill(team=acme.team, day=date(2024, 3, 1))
        before = list(Charge.objects.values_list("amount", "unit_price", "price_book_id"))
        with pytest.raises(ValidationError):
            pricebook_update(actor=acme.admin, pricebook=book, prices={**PRICES, "cpu_core_hour": "9"})
    with time_machine.travel(utc(2024, 3, 20), tick=False):
        with pytest.raises(ValidationError):  # now in effect: read-only too
            pricebook_update(actor=acme.admin, pricebook=future, prices=PRICES)
        day_bill(team=acme.team, day=date(2024, 3, 1))
    assert list(Charge.objects.values_list("amount", "unit_price", "price_book_id")) == before

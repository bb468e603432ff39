"""Guarantee 16: amounts in the currency's minor unit everywhere; quantities carry their unit."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import Charge, Statement
from billing.services.accounts import ledger_record
from billing.services.days import day_bill

from .conftest import fill_day, make_book, utc

pytestmark = pytest.mark.django_db
NOW = utc(2024, 3, 5, 12)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def billed_in(world, currency, **prices):
    make_book(currency=currency, **prices)
    type(world.team).objects.filter(pk=world.team.pk).update(currency=currency, created_at=utc(2020, 1, 1))
    world.team.refresh_from_db()
    fill_day(world.namespace, utc(2024, 3, 1))
    day_bill(team=world.team, day=date(2024, 3, 1))
    world.statement = Statement.objects.get(team=world.team)
    world.cpu = Charge.objects.get(metric="cpu")
    return world


@pytest.fixture
def kwd(world):
    # 24 core-hours x 0.1335 = 3.204 KWD; 24 GiB-hours x 0.005 = 0.120 KWD.
    return billed_in(world, "KWD", cpu_core_hour=Decimal("0.1335"))


@pytest.fixture
def jpy(world):
    # 24 core-hours x 13.4 = 321.6, rounded to 322 JPY; memory 24 x 1 = 24 JPY.
    return billed_in(world, "JPY", cpu_core_hour=Decimal("13.4"), memory_gib_hour=Decimal("1"))


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(client, user, url) -> list[dict]:
    client.force_login(user)
    return list(csv.DictReader(io.StringIO(client.get(url).content.decode())))


def test_kwd_amounts_show_three_decimals_on_every_page(client, kwd):
    assert kwd.cpu.amount == Decimal("3.204")
    statement = page(client, kwd.owner, reverse("billing:statement", args=["acme", kwd.statement.pk]))
    assert "3.204" in statement and 'data-testid="total">3.324 KWD' in statement
    assert "3.20<" not in statement
    team = page(client, kwd.owner, reverse("billing:team", args=["acme"]))
    assert "3.324 KWD" in team and "3.204" in team
    finance = page(client, kwd.finance, reverse("billing:finance_statement", args=[kwd.statement.pk]))
    assert 'data-testid="total">3.324 KWD' in finance
    index = page(client, kwd.finance, reverse("billing:finance_index"))
    assert "3.324 KWD" in index
    line = page(client, kwd.finance, reverse("billing:finance_charge", args=[kwd.cpu.pk]))
    assert 'data-testid="amount">3.204 KWD' in line


def test_jpy_amounts_show_no_decimals(client, jpy):
    assert jpy.cpu.amount == Decimal("322")
    statement = page(client, jpy.owner, reverse("billing:statement", args=["acme", jpy.statement.pk]))
    assert 'data-testid="total">346 JPY' in statement and "322.00" not in statement


def test_quantities_carry_their_units_on_pages_and_in_the_csv(client, kwd):
    statement = page(client, kwd.owner, reverse("billing:statement", args=["acme", kwd.statement.pk]))
    assert "24 core-h" in statement and "24 GiB-h" in statement
    team = page(client, kwd.owner, reverse("billing:team", args=["acme"]))
    assert "24 core-h" in team
    rows = csv_rows(client, kwd.owner, reverse("billing:statement_csv", args=["acme", kwd.statement.pk]))
    cpu = next(r for r in rows if r["metric"] == "cpu")
    assert cpu["unit"] == "core-h" and cpu["amount"] == "3.204"
    assert rows[-1]["amount"] == "3.324"


def test_csv_amounts_have_no_float_artefacts(client, acme):
    # Lines whose SQL sum is not exact in binary floating point (SQLite sums decimals as floats).
    for n in range(3):
        fill_day(acme.namespace, utc(2024, 3, 1 + n), cpu="0.417")
        day_bill(team=acme.team, day=date(2024, 3, 1 + n))
    statement = Statement.objects.get()
    rows = csv_rows(client, acme.finance, reverse("billing:finance_index") + "?format=csv")
    total = sum(statement.lines.values_list("amount", flat=True), Decimal("0"))
    assert rows[0]["total"] == f"{total:.2f}"
    lines = csv_rows(client, acme.finance, reverse("billing:finance_statement_csv", args=[statement.pk]))
    assert all(len(r["amount"].split(".")[-1]) == 2 for r in lines)


def test_api_amounts_follow_the_currency(kwd):
    client = APIClient()
    client.force_authenticate(kwd.owner)
    charges = client.get(reverse("billing-api:charges", args=["acme"])).json()["results"]
    cpu = next(c for c in charges if c["metric"] == "cpu")
    assert cpu["amount"] == "3.204" and cpu["unit"] == "core-h"
    statements = client.get(reverse("billing-api:statements", args=["acme"])).json()["results"]
    assert statements[0]["lines_total"] == "3.324"
    balance = client.get(reverse("billing-api:balance", args=["acme"])).json()
    assert balance["balance"] == "-3.324"
    ledger = client.get(reverse("billing-api:ledger", args=["acme"])).json()["results"]
    assert {e["amount"] for e in ledger} == {"-3.204", "-0.120"}


def test_usd_api_amounts_have_two_decimals(acme):
    fill_day(acme.namespace, utc(2024, 3, 1))
    day_bill(team=acme.team, day=date(2024, 3, 1))
    client = APIClient()
    client.force_authenticate(acme.owner)
    charges = client.get(reverse("billing-api:charges", args=["acme"])).json()["results"]
    assert {c["amount"] for c in charges} == {"0.96", "0.12"}


def test_balance_email_shows_the_minor_unit(acme, django_capture_on_commit_callbacks):
    fill_day(acme.namespace, utc(2024, 3, 1))
    day_bill(team=acme.team, day=date(2024, 3, 1))  # 1.08 USD: the balance goes into debt
    with django_capture_on_commit_callbacks(execute=True):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("30"), reason="INV-9")
    assert "is now 28.92 USD" in mail.outbox[-1].body

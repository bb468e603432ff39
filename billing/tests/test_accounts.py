"""Prepaid balance: ledger, bands, notices and emails on band change."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from billing.models import Band, BillingAccount, BillingNotice, LedgerEntry
from billing.services.accounts import band_for, ledger_record
from billing.services.days import day_bill
from tenants.models import AuditEvent

from .conftest import fill_day, utc

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("balance", "band"),
    [
        ("100", Band.NORMAL),
        ("20", Band.NORMAL),
        ("19.99", Band.LOW),
        ("4.99", Band.CRITICAL),
        ("0", Band.CRITICAL),
        ("-0.01", Band.DEBT),
    ],
)
def test_bands_follow_the_thresholds(balance, band):
    assert band_for(Decimal(balance)) == band


def test_topup_is_recorded_with_reason_audited_and_moves_the_band(acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = ledger_record(
            actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("50"), reason="INV-1"
        )
    account = BillingAccount.objects.get(team=acme.team)
    assert account.balance == Decimal("50") and account.band == Band.NORMAL
    assert entry.currency == "USD" and entry.created_by == acme.finance
    assert AuditEvent.objects.filter(action="billing.ledger.topup", actor=acme.finance).exists()
    assert not BillingNotice.objects.exists()  # normal -> normal is not a change


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": Decimal("-5")}, "amount"),
        ({"amount": Decimal("0")}, "amount"),
        ({"reason": " "}, "reason"),
        ({"kind": "charge"}, "kind"),
    ],
)
def test_invalid_ledger_entries_are_refused(acme, kwargs, field):
    args = {
        "actor": acme.finance,
        "team": acme.team,
        "kind": "credit",
        "amount": Decimal("5"),
        "reason": "x",
        **kwargs,
    }
    with pytest.raises(ValidationError) as excinfo:
        ledger_record(**args)
    assert field in excinfo.value.message_dict
    assert not LedgerEntry.objects.exists()


def test_invoiced_teams_have_no_prepaid_ledger(acme):
    acme.team.billing_mode = "invoiced"
    acme.team.save()
    with pytest.raises(ValidationError):
        ledger_record(actor=acme.finance, team=acme.team, kind="topup", amount=Decimal("5"), reason="x")
    fill_day(acme.namespace, utc(2024, 3, 1))
    with time_machine.travel(utc(2024, 3, 2, 1), tick=False):
        day_bill(team=acme.team, day=date(2024, 3, 1))
    assert not LedgerEntry.objects.exists()


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_charges_drive_the_balance_into_debt_with_a_notice_and_an_owner_email(
    acme, django_capture_on_commit_callbacks
):
    fill_day(acme.namespace, utc(2024, 3, 1), cpu="4")
    with django_capture_on_commit_callbacks(execute=True):
        day_bill(team=acme.team, day=date(2024, 3, 1))
    account = BillingAccount.objects.get(team=acme.team)
    assert account.balance == Decimal("-3.96")  # 96 core-hours x 0.04 + 24 GiB-hours x 0.005
    assert account.band == Band.DEBT and account.debt_since == utc(2024, 3, 5, 12)
    notice = BillingNotice.objects.get()
    assert (notice.band_from, notice.band_to, notice.balance) == (Band.NORMAL, Band.DEBT, Decimal("-3.96"))
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@example.com"]
    assert "suspended" in mail.outbox[0].body

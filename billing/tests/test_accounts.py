"""Prepaid balance: ledger, bands, notices and emails on band change."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from billing.models import Band, BillingAccount, BillingNotice, LedgerEntry
from billing.services.accounts import accounts_for_teams, band_for, ledger_record
from billing.services.days import day_bill
from tenants.models import AuditEvent, Team

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


def test_accounts_for_many_teams_start_the_day_before_each_team_began_and_keep_existing_ones(world):
    Team.objects.filter(pk=world.team.pk).update(created_at=utc(2024, 3, 1, 2), time_zone="America/New_York")
    Team.objects.filter(pk=world.other_team.pk).update(created_at=utc(2024, 3, 1, 2), time_zone="Asia/Tokyo")
    kept = BillingAccount.objects.create(team=world.other_team, balance=Decimal("7"), last_billed_day=None)
    teams = list(Team.objects.filter(pk__in=[world.team.pk, world.other_team.pk]))

    accounts_for_teams(teams=teams)
    accounts_for_teams(teams=teams)  # again: nothing changes

    # 02:00 UTC on 1 March is still 29 February in New York: billing starts there.
    assert BillingAccount.objects.get(team=world.team).last_billed_day == date(2024, 2, 28)
    kept.refresh_from_db()
    assert (kept.balance, kept.last_billed_day) == (Decimal("7"), None)
    assert BillingAccount.objects.count() == 2

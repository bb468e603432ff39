"""`manage.py bill`: one day, a range, one team; idempotent."""

from datetime import date

import pytest
import time_machine
from django.core.management import CommandError, call_command

from billing.models import BillRun, Charge, LedgerEntry

from .conftest import fill_day, utc

pytestmark = pytest.mark.django_db


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_bill_one_day_for_one_team_then_a_range_is_idempotent(acme, capsys):
    fill_day(acme.namespace, utc(2024, 3, 1), hours=72)
    call_command("bill", "--date", "2024-03-02", "--team", "acme")
    assert set(Charge.objects.values_list("day", flat=True)) == {date(2024, 3, 2)}
    assert BillRun.objects.get().day == date(2024, 3, 2)
    call_command("bill", "--from", "2024-03-01", "--to", "2024-03-03")
    assert Charge.objects.count() == 6 and LedgerEntry.objects.count() == 6
    call_command("bill", "--from", "2024-03-01", "--to", "2024-03-03")
    assert Charge.objects.count() == 6 and LedgerEntry.objects.count() == 6
    assert "0 lines written" in capsys.readouterr().out


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--date", "2024-03-01", "--from", "2024-03-01"],
        ["--from", "2024-03-02", "--to", "2024-03-01"],
        ["--date", "2024-03-01", "--team", "nope"],
    ],
)
def test_bad_arguments_are_refused(acme, args):
    with pytest.raises(CommandError):
        call_command("bill", *args)


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_a_day_not_over_is_reported_as_an_error(acme):
    with pytest.raises(CommandError, match="not billed"):
        call_command("bill", "--date", "2024-03-05", "--team", "acme")
    assert BillRun.objects.get().errors[0]["error"].startswith("DayNotOver")

"""Concurrent and killed bill runs: the loser sees "already billed"; dead runs are abandoned."""

import os
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from billing.models import BillingAccount, BillRun, BillRunStatus, Charge, LedgerEntry
from billing.services import days, setbased
from billing.services.runs import teams_bill_due

from .conftest import fill_day, utc

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["python", "set-based"])
@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_the_loser_of_two_simultaneous_runs_sees_already_billed_and_exits_0(acme, monkeypatch, capsys, path):
    fill_day(acme.namespace, utc(2024, 3, 1))
    if path == "set-based":
        if connection.vendor != "postgresql":
            if os.environ.get("DATABASE_URL", "").startswith("postgres"):
                pytest.fail("DATABASE_URL points at PostgreSQL but the test database is not PostgreSQL")
            pytest.skip("the set-based first billing needs PostgreSQL; SQLite bills in Python")
        module, name = setbased, "days_write_first_set_based"
    else:
        monkeypatch.setattr(days, "SET_BASED", False)
        module, name = days, "_days_write_first"
    real_write = getattr(module, name)
    raced = []

    def another_worker_wins_first(**kwargs):
        if not raced:  # the other `bill` commits the same team-day while this one was rating it
            raced.append(True)
            days.day_bill(team=acme.team, day=date(2024, 3, 1))
        return real_write(**kwargs)

    # This run's first write of the day is refused by the unique keys; it then reconciles
    # the team-day with what the other run wrote.
    monkeypatch.setattr(module, name, another_worker_wins_first)
    call_command("bill", "--date", "2024-03-01", "--team", "acme")  # no CommandError: exit 0

    out = capsys.readouterr().out
    assert "acme 2024-03-01: already billed" in out
    run = BillRun.objects.get()
    assert run.errors == [] and run.days_unchanged == 1 and run.status == BillRunStatus.FINISHED
    assert Charge.objects.count() == 2 and LedgerEntry.objects.count() == 2


class WorkerKilled(BaseException):
    """The process dies: nothing after this runs, not even ``finally`` blocks that matter."""


def test_a_run_killed_midway_is_marked_abandoned_with_what_it_finished(acme, client, monkeypatch):
    import billing.services.runs as runs

    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 3, 1))
    with time_machine.travel(utc(2024, 3, 5, 11), tick=False):
        fill_day(acme.namespace, utc(2024, 3, 2), hours=72)
    real = runs.teams_day_bill

    def dies_on_the_third_day(**kwargs):
        if kwargs["day"] == date(2024, 3, 4):
            raise WorkerKilled
        return real(**kwargs)

    monkeypatch.setattr(runs, "teams_day_bill", dies_on_the_third_day)
    with time_machine.travel(utc(2024, 3, 5, 12), tick=False), pytest.raises(WorkerKilled):
        teams_bill_due()
    killed = BillRun.objects.get()
    assert killed.status == BillRunStatus.RUNNING and killed.finished_at is None
    assert killed.days_billed == 2 and killed.lines_written == 4  # saved as it went

    monkeypatch.setattr(runs, "teams_day_bill", real)
    with time_machine.travel(utc(2024, 3, 5, 12, 5), tick=False):  # lease still held: left alone
        teams_bill_due()
    killed.refresh_from_db()
    assert killed.status == BillRunStatus.RUNNING
    BillingAccount.objects.update(claimed_until=None)  # the dead worker's team lease ran out too
    with time_machine.travel(utc(2024, 3, 5, 13), tick=False):
        later = teams_bill_due()
    killed.refresh_from_db()
    assert killed.status == BillRunStatus.ABANDONED and killed.finished_at is None
    assert killed.days_billed == 2 and killed.lines_written == 4
    assert later.status == BillRunStatus.FINISHED
    assert BillingAccount.objects.get(team=acme.team).last_billed_day == date(2024, 3, 4)

    client.force_login(acme.admin)
    page = client.get(reverse("billing:runs")).content.decode()
    assert "abandoned" in page and "running" not in page


@time_machine.travel(utc(2024, 3, 5, 12), tick=False)
def test_a_finished_run_records_its_status_and_clears_its_lease(acme):
    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 3, 3))
    fill_day(acme.namespace, utc(2024, 3, 4))
    run = teams_bill_due()
    run.refresh_from_db()
    assert run.status == BillRunStatus.FINISHED and run.lease_until is None
    assert run.finished_at - run.started_at < timedelta(minutes=1)

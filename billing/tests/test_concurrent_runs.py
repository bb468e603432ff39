"""Bill runs that bill several batches of teams at once (``BILLING_WORKERS``): the same lines as
one batch at a time, every batch's counts and errors recorded, a failure stops new batches."""

import gc
import threading
from datetime import date, timedelta
from itertools import count

import pytest
from django.db import transaction

import billing.services.runs as runs
from billing.models import (
    BilledDay,
    BillingAccount,
    BillingNotice,
    BillRun,
    BillRunStatus,
    Charge,
    LedgerEntry,
    Statement,
)
from billing.services.runs import (
    BATCH_TEAMS,
    batch_size,
    batches_run,
    billing_workers,
    days_bill,
    teams_bill_due,
)
from tenants.models import Team
from tests.factories import NamespaceFactory, TeamFactory

from .conftest import EPOCH, fill_day, make_book, needs_postgresql, utc

SKIP_REASON = "concurrent batches need PostgreSQL (each thread its own connection); SQLite bills serially"

FIRST = date(2024, 3, 1)
NOW = utc(2024, 3, 3, 12)


class Killed(BaseException):
    """A batch dies the way a serial run would: not recorded as a team's error, raised."""


def test_batches_run_bills_every_batch_once_and_reads_at_most_a_few_ahead():
    read, finished = [], []
    lock = threading.Lock()
    in_flight = []

    def batches():
        for n in range(40):
            with lock:
                read.append(n)
                in_flight.append(len(read) - len(finished))
            yield n

    def bill(batch):
        with lock:
            finished.append(batch)

    batches_run(batches(), bill, workers=3)
    assert sorted(finished) == list(range(40))
    # Three running, three queued, and the one being handed over: memory stays bounded.
    assert max(in_flight) <= 2 * 3 + 1


@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_batches_spread_the_teams_evenly_over_the_fewest_rounds(workers):
    """So the threads finish together: 5,000 teams on two threads were 25 batches of 200, 13
    rounds, the last billed by one thread alone; now 26 of at most 193, 13 full rounds."""
    assert batch_size(5000, 2) == 193
    for teams in [*range(1, 1300), 5000, 20_000, 50_001]:
        size = batch_size(teams, workers)
        batches = [min(size, teams - start) for start in range(0, teams, size)]
        assert sum(batches) == teams and size <= BATCH_TEAMS
        if workers == 1:
            assert size == BATCH_TEAMS
            continue
        rounds = -(-teams // (BATCH_TEAMS * workers))  # the fewest BATCH_TEAMS allows
        assert len(batches) <= rounds * workers
        assert size == -(-teams // (rounds * workers))  # the largest batch as small as they allow


@pytest.mark.timeout(60)
def test_batches_run_stops_taking_batches_after_a_failure_and_raises_it():
    started, finished = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(3, timeout=30)

    def bill(batch):
        with lock:
            started.append(batch)
        if batch < 3:
            barrier.wait()  # the first three run at once
        if batch == 1:
            raise Killed
        with lock:
            finished.append(batch)

    # Endless batches: the run ends only because it stops taking them after the failure.
    with pytest.raises(Killed):
        batches_run(count(), bill, workers=3)
    # The batches already running finished; only the failed one did not.
    assert set(started) - set(finished) == {1}
    assert {0, 2} <= set(finished)


def test_batches_run_raises_when_reading_the_batches_fails_after_the_running_ones_finish():
    finished = []

    def batches():
        yield from range(5)
        raise RuntimeError("the team list could not be read")

    with pytest.raises(RuntimeError, match="could not be read"):
        batches_run(batches(), finished.append, workers=2)
    assert set(finished) <= set(range(5))


@pytest.mark.parametrize("workers", [1, 2])
def test_the_objects_alive_before_a_run_are_out_of_the_collectors_sight_until_it_ends(workers):
    """``heap_frozen``: while the batches run, what was alive before is frozen (a full
    collection walks only what the run made); it is given back to the collector when the run
    ends, also when a batch fails."""
    alive_before = [[n] for n in range(1000)]  # containers the collector tracks
    frozen = []

    def bill(batch):
        frozen.append(gc.get_freeze_count())
        if batch == 3:
            raise Killed

    assert gc.get_freeze_count() == 0
    with pytest.raises(Killed):
        batches_run(iter(range(5)), bill, workers=workers)
    assert frozen and min(frozen) >= len(alive_before)
    assert gc.get_freeze_count() == 0


@pytest.mark.django_db
def test_a_run_inside_a_transaction_or_on_sqlite_bills_one_batch_at_a_time(settings):
    settings.BILLING_WORKERS = 4
    with transaction.atomic():  # other connections could not see this transaction's rows
        assert billing_workers() == 1


def _teams(count):
    make_book()
    made = []
    for n in range(count):
        team = TeamFactory(name=f"C{n}", slug=f"c{n}", billing_mode="prepaid" if n % 2 else "invoiced")
        Team.objects.filter(pk=team.pk).update(created_at=EPOCH)
        namespace = NamespaceFactory(team=team, name=f"c{n}-ns")
        type(namespace).objects.filter(pk=namespace.pk).update(created_at=EPOCH)
        fill_day(namespace, utc(2024, 3, 1), hours=48, cpu=str(n + 1))
        made.append(team)
    return made


def _written():
    lines = sorted(
        Charge.objects.values_list("key", "amount", "quantity", "coverage", "provisional", "revision")
    )
    ledger = sorted(LedgerEntry.objects.values_list("key", "amount"))
    accounts = sorted(BillingAccount.objects.values_list("team__slug", "balance", "band", "last_billed_day"))
    billed = sorted(BilledDay.objects.values_list("team__slug", "day"))
    return lines, ledger, accounts, billed


def _reset():
    for model in (LedgerEntry, Charge, BilledDay, BillingNotice, Statement, BillingAccount):
        model.objects.all().delete()


def _all_meet(parties):
    """A spy for ``teams_day_bill`` whose first call on each thread waits for ``parties``
    threads to be billing at once: the run fails (a broken barrier) unless they are."""
    real = runs.teams_day_bill
    barrier = threading.Barrier(parties, timeout=30)
    seen, threads = set(), []

    def spy(**kwargs):
        name = threading.current_thread().name
        if name not in seen:
            seen.add(name)
            threads.append(name)
            barrier.wait()
        return real(**kwargs)

    return spy, threads


def _failing_for(spy, team_ids: set[int], error):
    """``spy`` that, for a batch naming any of ``team_ids``, meets the other threads without
    billing and then raises ``error()``."""

    def bill(**kwargs):
        if {t.pk for t in kwargs["teams"]} & team_ids:
            spy(**{**kwargs, "teams": []})  # meet the others, bill nothing
            raise error()
        return spy(**kwargs)

    return bill


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_write_what_one_batch_at_a_time_writes(settings, monkeypatch):
    needs_postgresql(SKIP_REASON)
    teams = _teams(7)
    monkeypatch.setattr(runs, "BATCH_TEAMS", 2)  # four batches
    settings.BILLING_WORKERS = 1
    serial = days_bill(first=FIRST, last=FIRST + timedelta(days=1), now=NOW)
    one_at_a_time = _written()
    _reset()

    settings.BILLING_WORKERS = 3
    spy, threads = _all_meet(3)
    monkeypatch.setattr(runs, "teams_day_bill", spy)
    concurrent = days_bill(first=FIRST, last=FIRST + timedelta(days=1), now=NOW)

    assert len(threads) == 3 and all(name.startswith("billing-") for name in threads)
    assert _written() == one_at_a_time
    assert len(one_at_a_time[0]) == 2 * 2 * len(teams)  # cpu and memory, two days
    for field in ("teams_billed", "days_billed", "days_unchanged", "lines_written"):
        assert getattr(concurrent, field) == getattr(serial, field), field
    assert concurrent.errors == serial.errors == []
    saved = BillRun.objects.get(pk=concurrent.pk)
    assert (saved.status, saved.teams_billed, saved.days_billed, saved.lines_written) == (
        BillRunStatus.FINISHED, 7, 14, 28
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_teams_fail_records_their_errors_and_the_others_counts(settings, monkeypatch):
    needs_postgresql(SKIP_REASON)
    teams = _teams(6)
    monkeypatch.setattr(runs, "BATCH_TEAMS", 2)
    settings.BILLING_WORKERS = 3
    spy, _threads = _all_meet(3)
    failing = {teams[2].pk, teams[3].pk}  # one batch
    monkeypatch.setattr(
        runs, "teams_day_bill", _failing_for(spy, failing, lambda: RuntimeError("usage unreadable"))
    )
    run = days_bill(first=FIRST, last=FIRST + timedelta(days=1), now=NOW)

    saved = BillRun.objects.get(pk=run.pk)
    assert saved.status == BillRunStatus.FINISHED
    # Each failed team stops at its first day; the other two batches billed both days.
    assert sorted((e["team"], e["day"]) for e in saved.errors) == [("c2", "2024-03-01"), ("c3", "2024-03-01")]
    assert all("RuntimeError: usage unreadable" in e["error"] for e in saved.errors)
    assert (saved.teams_billed, saved.days_billed, saved.lines_written) == (4, 8, 16)
    assert BilledDay.objects.count() == 8 and Charge.objects.count() == 16
    assert not BilledDay.objects.filter(team_id__in=failing).exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_dies_stops_the_run_and_the_others_counts_are_saved(settings, monkeypatch):
    needs_postgresql(SKIP_REASON)
    teams = _teams(8)
    monkeypatch.setattr(runs, "BATCH_TEAMS", 2)
    settings.BILLING_WORKERS = 3
    spy, _threads = _all_meet(3)
    dying = {teams[0].pk, teams[1].pk}
    monkeypatch.setattr(runs, "teams_day_bill", _failing_for(spy, dying, Killed))
    with pytest.raises(Killed):
        days_bill(first=FIRST, last=FIRST + timedelta(days=1), now=NOW)

    saved = BillRun.objects.get()
    assert saved.status == BillRunStatus.RUNNING  # abandoned by the next run once its lease ends
    # What the run saved is what the batches that ran committed: none of it is lost.
    assert saved.days_billed == BilledDay.objects.count() >= 4
    assert saved.lines_written == Charge.objects.count() == 2 * saved.days_billed
    assert not BilledDay.objects.filter(team_id__in=dying).exists()


@pytest.mark.django_db(transaction=True)
def test_the_hourly_job_bills_claimed_chunks_at_once_and_releases_every_claim(settings, monkeypatch):
    needs_postgresql(SKIP_REASON)
    _teams(5)
    for team in Team.objects.all():
        BillingAccount.objects.create(team=team, last_billed_day=date(2024, 2, 29))
    monkeypatch.setattr(runs, "BATCH_TEAMS", 2)
    settings.BILLING_WORKERS = 3
    spy, threads = _all_meet(3)
    monkeypatch.setattr(runs, "teams_day_bill", spy)

    run = teams_bill_due(now=NOW)

    assert len(threads) == 3
    assert (run.status, run.errors, run.teams_billed, run.days_billed) == (BillRunStatus.FINISHED, [], 5, 10)
    assert set(BillingAccount.objects.values_list("last_billed_day", flat=True)) == {date(2024, 3, 2)}
    assert set(BillingAccount.objects.values_list("claimed_by", "claimed_until")) == {("", None)}

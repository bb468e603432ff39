"""Bill runs: the hourly job that bills teams whose local day just ended, and the command.

Teams are claimed with a lease (``core.claims``: ``claimed_by`` until ``claimed_until``), so
two workers never bill the same team; a crashed worker's lease expires and the next run
takes over. Missed days are billed in order from the day after
the team's last billed day, with no cap; a day that fails stops that team's catch-up so no
day is skipped. A run saves its counts after each day it bills and renews its lease; a run
whose lease expired without finishing (a killed worker) is marked abandoned by the next one.

Teams are billed in batches of ``BATCH_TEAMS``: each day of a batch is rated with one usage
query, which also bounds the memory a run needs. On PostgreSQL, outside a transaction, up to
``BILLING_WORKERS`` batches are billed at once, each on its own thread and database
connection (batches never share a team, and each batch is its own transactions, as when
they run one after another); the run's counts and errors are added up under a lock and saved
as each batch finishes a day. If a batch raises, the batches already running finish and
save their counts, no new batch starts, and the run raises as a serial one would. SQLite,
and a caller inside a transaction (whose rows other connections cannot see), bill one batch
at a time on the caller's connection.
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime, timedelta
from itertools import islice
from typing import TypeVar

from django.conf import settings
from django.db import connection, connections
from django.db.models import Q
from django.utils import timezone

from billing.models import BillingAccount, BillRun, BillRunStatus
from billing.periods import days_between, local_date
from billing.services.accounts import accounts_for_teams
from billing.services.changes import usage_changes_flag
from billing.services.days import Rates, days_to_rebill, teams_day_bill
from core.claims import Lease, new_owner
from tenants.models import Team

BATCH_TEAMS = 200
CLAIM = Lease("claimed_by", "claimed_until")

logger = logging.getLogger(__name__)
Batch = TypeVar("Batch")


PROGRESS_FIELDS = ["teams_billed", "days_billed", "days_unchanged", "lines_written", "errors", "lease_until"]


def _lease() -> datetime:
    return timezone.now() + timedelta(minutes=settings.BILLING_CLAIM_LEASE_MINUTES)


def runs_abandon_expired() -> int:
    """Mark runs whose worker stopped (lease expired, never finished) abandoned; their counts
    stay as they last saved them."""
    return BillRun.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()), status=BillRunStatus.RUNNING
    ).update(status=BillRunStatus.ABANDONED, lease_until=None)


def _run_start(trigger: str, day: date | None = None) -> tuple[BillRun, float]:
    runs_abandon_expired()
    run = BillRun.objects.create(trigger=trigger, day=day, started_at=timezone.now(), lease_until=_lease())
    return run, time.monotonic()


def _run_progress(run: BillRun) -> None:
    """Save what the run finished so far and renew its lease."""
    run.lease_until = _lease()
    run.save(update_fields=PROGRESS_FIELDS)


def _run_finish(run: BillRun, started: float) -> BillRun:
    run.finished_at = run.started_at + timedelta(seconds=time.monotonic() - started)
    run.status, run.lease_until = BillRunStatus.FINISHED, None
    run.save()
    return run


def team_days_due(*, team: Team, account: BillingAccount, now: datetime, rebill: list[date]) -> list[date]:
    """Unbilled days up to the team's local yesterday and the days to ``rebill``, in order."""
    yesterday = local_date(now, team.time_zone) - timedelta(days=1)
    last_billed = account.last_billed_day or local_date(team.created_at, team.time_zone) - timedelta(days=1)
    missed = days_between(last_billed + timedelta(days=1), yesterday)
    return sorted({*missed, *rebill})


def teams_bill(
    *,
    due: dict[Team, list[date]],
    run: BillRun,
    rates: Rates,
    now: datetime,
    lock: AbstractContextManager | None = None,
) -> None:
    """Bill each team's ``due`` days in order, recording counts and errors on ``run``; a team
    stops at its first failure. Teams sharing a time zone and currency are rated together.
    ``lock`` guards ``run`` when other threads bill other teams for it."""
    teams = sorted(due, key=lambda t: (t.time_zone, t.currency, t.pk))
    for first in range(0, len(teams), BATCH_TEAMS):
        batch = teams[first : first + BATCH_TEAMS]
        billed: set[int] = set()
        stopped: set[int] = set()
        for day in sorted({d for t in batch for d in due[t]}):
            today = [t for t in batch if t.pk not in stopped and day in due[t]]
            try:
                outcomes = teams_day_bill(teams=today, day=day, rates=rates, now=now)
            except Exception as exc:  # the batch's usage could not be read: every team's day failed
                outcomes = dict.fromkeys((t.pk for t in today), exc)
            errors: list[dict] = []
            teams_billed = days_billed = days_unchanged = lines_written = 0
            for team in today:
                outcome = outcomes[team.pk]
                if isinstance(outcome, Exception):
                    logger.error("billing %s for %s failed", day, team.slug, exc_info=outcome)
                    errors.append(
                        {
                            "team": team.slug,
                            "day": day.isoformat(),
                            "error": f"{type(outcome).__name__}: {outcome}",
                        }
                    )
                    stopped.add(team.pk)
                else:
                    teams_billed += team.pk not in billed
                    billed.add(team.pk)
                    days_billed += 1
                    days_unchanged += outcome.already_billed
                    lines_written += outcome.written
            with lock or nullcontext():
                run.errors.extend(errors)
                run.teams_billed += teams_billed
                run.days_billed += days_billed
                run.days_unchanged += days_unchanged
                run.lines_written += lines_written
                _run_progress(run)


def billing_workers() -> int:
    """How many batches a run bills at once: ``BILLING_WORKERS`` on PostgreSQL, one on SQLite
    (one writer at a time) and inside a transaction (other connections cannot see its rows)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return settings.BILLING_WORKERS


def batch_size(count: int, workers: int) -> int:
    """Teams a batch for ``count`` teams on ``workers`` threads: at most ``BATCH_TEAMS``, and
    as many batches as a multiple of ``workers``, all of about one size, so the threads finish
    together (25 batches of 200 on two threads ran 13 rounds, the last with one core idle; 26
    of 193 run 13 full ones)."""
    if workers <= 1 or count <= 0:
        return BATCH_TEAMS
    rounds = -(-count // (BATCH_TEAMS * workers))
    return -(-count // (rounds * workers))


@contextmanager
def heap_frozen() -> Iterator[None]:
    """The objects alive when a run starts (the modules, Django and its caches: 140,000 in a
    worker) kept out of the garbage collector's full collections until it ends (``gc.freeze``,
    then ``gc.unfreeze``). A batch's short-lived rows and instances that a younger collection
    finds alive move to the oldest generation, so every few batches a full collection ran,
    walking every object of the process: about 130 ms each, 30 ms a batch of 200 teams. A cycle
    that becomes garbage during the run is collected after it, as before."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def batches_run(batches: Iterable[Batch], bill: Callable[[Batch], None], *, workers: int) -> None:
    """Call ``bill`` for each of ``batches``, on ``workers`` threads at once (each with its own
    database connections, closed when it ends); the batches are read on the calling thread,
    at most ``workers`` ahead of the threads, so memory stays bounded.

    If a call raises, no new batch starts, the calls already running finish, and the first
    exception is raised here. The objects alive before are out of the collector's sight meanwhile
    (``heap_frozen``).
    """
    with heap_frozen():
        _batches_run(batches, bill, workers=workers)


def _batches_run(batches: Iterable[Batch], bill: Callable[[Batch], None], *, workers: int) -> None:
    if workers <= 1:
        for batch in batches:
            bill(batch)
        return
    pending: queue.Queue = queue.Queue(maxsize=workers)
    done = object()
    failed = threading.Event()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            while not failed.is_set():
                try:
                    batch = pending.get(timeout=0.05)
                except queue.Empty:
                    continue
                if batch is done:
                    return
                bill(batch)
        except BaseException as exc:  # re-raised on the calling thread
            failures.append(exc)
            failed.set()
        finally:
            connections.close_all()  # this thread's connections only

    def put(item) -> bool:
        while not failed.is_set():
            try:
                pending.put(item, timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    threads = [threading.Thread(target=work, name=f"billing-{n}", daemon=True) for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for batch in batches:
            if not put(batch):
                break
        for _ in threads:
            if not put(done):
                break
    except BaseException:
        failed.set()  # reading the batches failed: let the running calls finish, then raise
        raise
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]


def teams_bill_due(*, now: datetime | None = None, trigger: str = "beat") -> BillRun:
    """The hourly job: bill every team whose local day ended since it was last billed, and
    bill again the days whose usage changed since (see ``billing.services.changes``)."""
    now = now or timezone.now()
    run, started = _run_start(trigger)
    run.usage_checked_until, _ = usage_changes_flag(now=now)
    rates = Rates.load()
    missing = list(Team.objects.filter(billing_account__isnull=True).values_list("pk", flat=True))
    for start in range(0, len(missing), BATCH_TEAMS):
        accounts_for_teams(teams=list(Team.objects.filter(pk__in=missing[start : start + BATCH_TEAMS])))
    lease = timedelta(minutes=settings.BILLING_CLAIM_LEASE_MINUTES)
    candidates = [
        pk
        for pk, tz, last in BillingAccount.objects.values_list("pk", "team__time_zone", "last_billed_day")
        if last is None or last < local_date(now, tz) - timedelta(days=1)
    ]
    candidates += list(
        BillingAccount.objects.filter(
            Q(team__charges__provisional=True, team__charges__statement__status="draft")
            | Q(team__billed_days__usage_changed_at__isnull=False)
        )
        .exclude(pk__in=candidates)
        .values_list("pk", flat=True)
        .distinct()
    )
    owner = new_owner()
    rates.rule_id()  # read once here, not by each thread
    lock = threading.Lock()
    workers = billing_workers()
    size = batch_size(len(candidates), workers)

    def bill(chunk_ids: list[int]) -> None:
        chunk = BillingAccount.objects.filter(pk__in=chunk_ids)
        CLAIM.claim(chunk, owner=owner, duration=lease, now=now)
        try:
            accounts = list(CLAIM.held(chunk, owner=owner).select_related("team"))
            rebill = days_to_rebill(team_ids=[a.team_id for a in accounts])
            due = {
                a.team: team_days_due(team=a.team, account=a, now=now, rebill=rebill.get(a.team_id, []))
                for a in accounts
            }
            teams_bill(due=due, run=run, rates=rates, now=now, lock=lock)
        finally:
            CLAIM.release(chunk, owner=owner)

    chunks = (candidates[start : start + size] for start in range(0, len(candidates), size))
    batches_run(chunks, bill, workers=workers)
    return _run_finish(run, started)


def days_bill(
    *, first: date, last: date, teams=None, now: datetime | None = None, trigger: str = "command"
) -> BillRun:
    """Bill the days [first, last] for ``teams`` (all teams when None), in order per team."""
    now = now or timezone.now()
    run, started = _run_start(trigger, day=first if first == last else None)
    rates = Rates.load()
    days = days_between(first, last)
    workers = billing_workers()
    if teams is None:
        # Streamed in batches, so a run holds a few batches of teams at a time.
        size = batch_size(Team.objects.count(), workers)
        chosen = iter(Team.objects.order_by("time_zone", "currency", "pk").iterator(chunk_size=size))
    else:
        teams = list(teams)
        size = batch_size(len(teams), workers)
        chosen = iter(teams)
    rates.rule_id()  # read once here, not by each thread
    lock = threading.Lock()
    batches_run(
        iter(lambda: list(islice(chosen, size)), []),
        lambda batch: teams_bill(due=dict.fromkeys(batch, days), run=run, rates=rates, now=now, lock=lock),
        workers=workers,
    )
    return _run_finish(run, started)

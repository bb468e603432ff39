"""Nightly billing of one day at scale on PostgreSQL: wall time, peak Python memory, and the
ratio to a single SQL aggregate over the same rows (the floor).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/perfbench python -m bench bench_billing

Uses the database the URL names (created if missing, wiped per run); ``tenantry_bench``
when it names the server's ``postgres`` database. Runs with DEBUG off, as the workers do.
The hourly rows are stored as the rollup writes them, hour by hour in namespace order, by one
statement (``BENCH_SEED_ORDER=plan`` leaves them in the order its plan gives, for comparison).
"""

import os
import resource
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

from bench._setup import (
    USAGE_METRICS,
    default_cluster_id,
    insert_usage_hourly,
    quick,
    record_goal,
    record_growth,
)

DEFAULT_BENCH_DB = "tenantry_bench"
DAY = date(2024, 3, 1)
NAMESPACES_PER_TEAM = 10
# 200 to 20,000 make the growth table (1x, 10x, 100x); the goal is checked at 20,000 and 50,000.
SIZES = (200, 2_000, 20_000, 50_000)
QUICK_SIZES = (200, 2_000)
GOAL_RATIO = 3.0


def _bench_db(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    return name if name and name != "postgres" else DEFAULT_BENCH_DB


def _ensure_database(url: str, name: str) -> None:
    import psycopg

    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(url: str, name: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django
    from django.conf import settings

    if not settings.configured or not hasattr(django, "apps") or not django.apps.apps.ready:
        django.setup()
    # As the workers run: with DEBUG on, each connection keeps the SQL of up to 9,000 queries,
    # which tracemalloc counted as billing's memory (more batches, more queries kept: 5.6 MiB
    # at 20,000 namespaces, 7.6 at 50,000).
    settings.DEBUG = False
    from django.db import connection

    if connection.settings_dict["NAME"] != name:  # django was set up before us: repoint
        connection.close()
        connection.settings_dict["NAME"] = name


def _seed(namespaces: int) -> float:
    from django.core.management import call_command
    from django.db import DatabaseError, connection

    from billing.models import PriceBook
    from billing.services.pricebooks import pricebook_rates_set
    from tenants.models import Namespace, Team

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE billing_ledgerentry, billing_charge, billing_statement, billing_billingaccount, "
            "billing_billingnotice, billing_billrun, billing_pricebook, metering_usagehourly, "
            "metering_usagesample, tenants_namespace, tenants_team CASCADE"
        )
    # Teams and namespaces through the ORM (model defaults stay right); usage rows in SQL.
    teams = Team.objects.bulk_create(
        Team(name=f"Bench {n}", slug=f"bench-{n}", trust_level="trusted", time_zone="UTC",
             billing_mode="prepaid" if n % 2 == 0 else "invoiced")
        for n in range(namespaces // NAMESPACES_PER_TEAM)
    )  # fmt: skip
    Team.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    Namespace.objects.bulk_create(
        (
            Namespace(cluster_id=default_cluster_id(), team=t, name=f"{t.slug}-ns{n}", status="ready")
            for t in teams
            for n in range(NAMESPACES_PER_TEAM)
        ),
        batch_size=5000,
    )
    Namespace.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    with connection.cursor() as cur:
        # Six metrics per namespace-hour and, as the collector records it, the storage per
        # StorageClass: two classes each.
        insert_usage_hourly(
            cur,
            start=datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC),
            hours=24,
            storage_classes=[("fast-ssd", 0.25), ("bulk-hdd", 0.75)],
            ordered=os.environ.get("BENCH_SEED_ORDER", "rollup") != "plan",
        )
        cur.execute("ANALYZE tenants_namespace")
        # The database at rest, as at night: the rows' hint bits and visibility set, and the
        # seed's writes checkpointed, so neither the floor nor billing pays for the seeding.
        cur.execute("VACUUM (ANALYZE) metering_usagehourly")
        try:
            cur.execute("CHECKPOINT")
        except DatabaseError:  # CHECKPOINT needs a superuser or pg_checkpoint
            print("bench_billing: no CHECKPOINT after seeding (not allowed for this user)")
    book = PriceBook.objects.create(
        currency="USD", version=1, effective_from=date(2020, 1, 1),
        cpu_core_hour="0.04", memory_gib_hour="0.005", storage_gib_hour="0.0001",
        gpu_hour="1.5", egress_gib="0.09", load_balancer_hour="0.025",
    )  # fmt: skip
    pricebook_rates_set(pricebook=book, storage_prices={"fast-ssd": "0.0004"})
    return time.perf_counter() - started


def _floor() -> float:
    """The best of six runs of one SQL aggregate over the day's rows, three with PostgreSQL's
    JIT compiler and three without (billing's rating query runs without): the lower the floor,
    the stricter the ratio."""
    from django.db import connection

    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    times = []
    for jit in ("on", "on", "on", "off", "off", "off"):
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(f"SET jit = {jit}")
            cur.execute(
                """SELECT namespace_id, metric, sum(quantity), max(coverage) FROM metering_usagehourly
                   WHERE hour >= %s AND hour < %s + interval '1 day' GROUP BY namespace_id, metric""",
                [start, start],
            )
            cur.fetchall()
        times.append(time.perf_counter() - started)
    with connection.cursor() as cur:
        cur.execute("RESET jit")
    return min(times)


def _reset_billing() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE billing_ledgerentry, billing_charge, billing_statement, billing_billingnotice, billing_billrun, "
            "billing_billedday"
        )
        cur.execute("UPDATE billing_billingaccount SET balance = 0, band = 'normal', debt_since = NULL")


def _bill(traced: bool):
    from django.utils import timezone

    from billing.services.runs import days_bill

    if traced:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    run = days_bill(first=DAY, last=DAY, now=timezone.now(), trigger="bench")
    elapsed = time.perf_counter() - started
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    rss_delta = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    return run, elapsed, peak, rss_delta


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench_billing: set DATABASE_URL to a PostgreSQL server (postgres://user@host:port/db);")
        print("  the benchmark uses the database it names (created if missing, wiped). Skipped.")
        return
    name = _bench_db(url)
    _ensure_database(url, name)
    _setup_django(urlunsplit(urlsplit(url)._replace(path=f"/{name}")), name)
    sizes = [int(a) for a in sys.argv[2:]] if len(sys.argv) > 2 else (QUICK_SIZES if quick() else SIZES)
    print(f"{'namespaces':>10} {'rows':>10} {'seed s':>7} {'bill s':>7} {'floor s':>7} {'ratio':>6} {'goal':>5} "
          f"{'lines':>7} {'ms/ns':>6} {'py peak MiB':>11} {'maxrss +MiB':>11}")  # fmt: skip
    measured: dict[int, tuple[float, float, float]] = {}  # namespaces -> bill s, floor s, peak MiB
    for namespaces in sizes:
        seed_s = _seed(namespaces)
        rows = namespaces * 24 * (len(USAGE_METRICS) + 2)  # and two storage classes
        floor_s = _floor()
        run, bill_s, _, rss_delta = _bill(traced=False)
        assert not run.errors, run.errors[:3]
        _reset_billing()
        _, _, peak, _ = _bill(traced=True)
        print(
            f"{namespaces:>10} {rows:>10} {seed_s:>7.1f} {bill_s:>7.2f} {floor_s:>7.2f} {bill_s / floor_s:>5.1f}x "
            f"{'<=3x':>5} {run.lines_written:>7} {bill_s / namespaces * 1000:>6.2f} {peak / 2**20:>11.1f} "
            f"{rss_delta / 1024:>11.1f}",
            flush=True,
        )
        measured[namespaces] = (bill_s, floor_s, peak / 2**20)
    _record(measured)


def _record(measured: dict[int, tuple[float, float, float]]) -> None:
    """Issue 15's billing goals and growth row for ``make bench``'s summary."""
    for namespaces in (20_000, 50_000):
        if namespaces in measured:
            bill_s, floor_s, _ = measured[namespaces]
            record_goal(
                f"Billing one day of {namespaces:,} namespaces <= 3x the floor",
                f"{bill_s:.2f} s; floor {floor_s:.2f} s",
                bill_s / floor_s,
                limit=GOAL_RATIO,
            )
    if 20_000 in measured and 50_000 in measured:
        low, high = measured[20_000][2], measured[50_000][2]
        record_goal(
            "Billing memory flat (peak Python memory, 20,000 -> 50,000)", f"{low:.1f} -> {high:.1f} MiB"
        )
    growth = [n for n in (200, 2_000, 20_000) if n in measured]
    if len(growth) == 3:
        record_growth("Billing", "ms per namespace-day", growth, [measured[n][0] / n * 1000 for n in growth])

"""Metering figures: one collection cycle against the emulator over HTTP at 500 to 50,000
namespaces (wall time per namespace, API calls, rows written, peak Python memory; the goal is
50,000 at most 3x the time per namespace of 10,000), and the usage page for a namespace with
30 days of samples (query count and render time). Runs on its own throwaway SQLite database,
with DEBUG off as the worker runs (with it on, Django keeps the SQL of up to 9,000 queries,
which tracemalloc would count as the collector's memory)."""

import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench._setup import (
    default_cluster_id,
    django_with_temp_sqlite,
    emulated_cluster,
    quick,
    record_goal,
    record_growth,
)

# 500, 5,000 and 50,000 make the growth table (1x, 10x, 100x); the goal compares 10,000 and 50,000.
SIZES = (500, 5_000, 10_000, 50_000)
QUICK_SIZES = (500, 5_000)
GOAL_RATIO = 3.0
# "Memory flat": peak Python memory at 50,000 at most this many times that at 10,000.
MEMORY_LIMIT = 1.5
DAYS = 30


def _seed_namespace(emulator, name: str) -> None:
    """A namespace on the emulator with a quota in use and one pod's metrics."""
    from kubeemu.registry import by_kind

    emulator.objects.create(
        by_kind("v1", "Namespace"),
        "",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        manager=None,
        dry_run=False,
    )
    emulator.objects.create(
        by_kind("v1", "ResourceQuota"),
        name,
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": name},
            "spec": {"hard": {"requests.cpu": "2"}},
        },
        manager=None,
        dry_run=False,
    )
    emulator.set_quota_used(name, "q", {"requests.cpu": "500m", "requests.memory": "1Gi", "pods": "2"})
    emulator.set_pod_metrics(name, "web", {"app": {"cpu": "120m", "memory": "200Mi"}})


def main() -> None:
    workdir = django_with_temp_sqlite()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from metering.models import Metric, UsageHourly, UsageSample
    from metering.services.collector import usage_collect
    from metering.services.rollup import quarters_rollup, usage_rollup
    from tenants.models import Namespace, Team, TeamMembership

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    emulator = emulated_cluster(workdir)

    team = Team.objects.create(name="Bench", slug="bench", trust_level="trusted")
    interval = timedelta(seconds=settings.METERING_INTERVAL_SECONDS)
    now = datetime.now(UTC)
    seeded = 0
    per_namespace: dict[int, float] = {}
    figures: dict[int, tuple[float, int, float]] = {}
    print(f"{'namespaces':>10} {'seed s':>7} {'collect s':>9} {'ms/ns':>6} {'API calls':>9} {'rows':>8} "
          f"{'py peak MiB':>11}")  # fmt: skip
    for size in QUICK_SIZES if quick() else SIZES:
        started = time.perf_counter()
        names = [f"ns-{i}" for i in range(seeded, size)]
        Namespace.objects.bulk_create(
            [Namespace(cluster_id=default_cluster_id(), team=team, name=n, status="ready") for n in names]
        )
        for name in names:
            _seed_namespace(emulator, name)
        seeded = size
        seed_s = time.perf_counter() - started

        emulator.reset_counters()
        now += interval
        rows_before = UsageSample.objects.count()
        started = time.perf_counter()
        [result] = usage_collect(now=now)
        elapsed = time.perf_counter() - started
        calls = emulator.counts()["total"]
        rows = UsageSample.objects.count() - rows_before
        now += interval  # the same cycle again, traced, for its peak memory
        tracemalloc.start()
        usage_collect(now=now)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        per_namespace[size] = elapsed / size
        figures[size] = (elapsed, calls, peak / 2**20)
        print(
            f"{size:>10} {seed_s:>7.1f} {elapsed:>9.2f} {elapsed / size * 1000:>6.3f} {calls:>9} {rows:>8} "
            f"{peak / 2**20:>11.1f}",
            flush=True,
        )
        assert not result.errors, result.errors
    if 10_000 in figures and 50_000 in figures:
        for size in (10_000, 50_000):
            elapsed, calls, peak_mib = figures[size]
            print(
                f"{size:,} namespaces: {elapsed:.2f} s, {elapsed / size * 1000:.3f} ms/ns, {calls} API calls, "
                f"{peak_mib:.1f} MiB peak Python memory"
            )
        ratio = per_namespace[50_000] / per_namespace[10_000]
        memory = figures[50_000][2] / figures[10_000][2]
        print(
            f"goal: time per namespace at 50,000 <= {GOAL_RATIO:.0f}x that at 10,000; measured {ratio:.2f}x; "
            f"API calls {figures[50_000][1]} vs {figures[10_000][1]}; peak memory {memory:.2f}x for 5x the namespaces"
        )
        (t10, c10, m10), (t50, c50, m50) = figures[10_000], figures[50_000]
        record_goal(
            "metering: 50,000 ns <= 3x the time per namespace of 10,000",
            f"{t50:.1f} s ({t50 / 50:.2f} ms/ns) vs {t10:.2f} s ({t10 / 10:.2f} ms/ns)",
            ratio,
            limit=GOAL_RATIO,
        )
        record_goal("metering: API calls O(kinds)", f"{c50} vs {c10} (5 kinds x pages)")
        record_goal(
            f"metering: memory flat (50,000 <= {MEMORY_LIMIT}x 10,000)",
            f"{m50:.1f} vs {m10:.1f} MiB peak Python memory",
            memory,
            limit=MEMORY_LIMIT,
        )
    if {500, 5_000, 50_000} <= per_namespace.keys():
        record_growth(
            "metering",
            "ms/namespace",
            [500, 5_000, 50_000],
            [per_namespace[n] * 1000 for n in (500, 5_000, 50_000)],
        )
    started = time.perf_counter()
    usage_collect(now=now)
    print(
        f"re-run of the same window: {time.perf_counter() - started:.3f} s, rows now {UsageSample.objects.count()}"
    )

    # One namespace with 30 days of history: raw samples for the last day, hourly rollups before.
    namespace = Namespace.objects.get(name="ns-0")
    UsageSample.objects.all().delete()
    end = now.replace(second=0, microsecond=0)
    metrics = [m for m in Metric.values]
    raw = [
        UsageSample(
            namespace=namespace,
            metric=m,
            window_start=end - timedelta(minutes=k + 1),
            window_end=end - timedelta(minutes=k),
            quantity=Decimal("0.5"),
            source="bench",
        )
        for k in range(24 * 60)
        for m in metrics
    ]
    UsageSample.objects.bulk_create(raw, batch_size=5000)
    hour0 = end.replace(minute=0)
    hourly = [
        UsageHourly(
            namespace=namespace,
            metric=m,
            hour=hour0 - timedelta(hours=h),
            quantity=Decimal("0.5"),
            coverage=Decimal(1),
            samples=60,
        )
        for h in range(DAYS * 24)
        for m in metrics
    ]
    UsageHourly.objects.bulk_create(hourly, batch_size=5000)
    user = get_user_model().objects.create(username="owner", email="owner@example.com")
    TeamMembership.objects.create(team=team, user=user, role="owner")
    client = Client()
    client.force_login(user)
    # Before the rollups have run over the samples (the 24-hour chart reads them all), then
    # after them (it reads the quarter hours they wrote, and the samples of the minutes since).
    for rolled in (False, True):
        if rolled:
            usage_rollup(now=now, lookback_hours=25)
            quarters_rollup(now=now)
        for range_key in ("24h", "7d", "30d"):
            url = f"/namespaces/ns-0/usage/?range={range_key}"
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            print(
                f"usage page {range_key:>3} ({len(raw)} raw + {len(hourly)} hourly rows"
                f"{', rolled up' if rolled else ''}): "
                f"{len(queries)} queries, {elapsed * 1000:.0f} ms, {len(response.content) // 1024} KiB"
            )
    emulator.stop()

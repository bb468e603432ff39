"""Django setup for benchmarks: a throwaway SQLite database unless told otherwise."""

import atexit
import functools
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path


def quick() -> bool:
    """`make bench QUICK=1` (`python -m bench --quick`): the small sizes only."""
    return os.environ.get("BENCH_QUICK") == "1"


def large() -> bool:
    """`python -m bench --large NAME`: also the sizes too slow for the default run."""
    return os.environ.get("BENCH_LARGE") == "1"


def django_with_temp_sqlite() -> Path:
    """Point Django at a fresh SQLite file, set it up and migrate; returns the directory, which
    is removed when the process exits (a filled database is a few hundred MB)."""
    workdir = Path(tempfile.mkdtemp(prefix="tenantry-bench-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["TENANTRY_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django
    from django.core.management import call_command

    django.setup()
    logging.disable(logging.INFO)  # keep per-task log lines out of the figures
    call_command("migrate", verbosity=0)
    return workdir


def emulated_cluster(workdir: Path):
    """Start the Kubernetes API emulator and point the console (its default cluster) at it."""
    from django.conf import settings

    from clusters.connections import forget_gateways
    from kubeemu.server import KubeEmulator

    emulator = KubeEmulator().start()
    settings.KUBECONFIG = str(emulator.write_kubeconfig(workdir / "kubeconfig"))
    forget_gateways()
    return emulator


# Metrics the billing benchmarks fill, one hourly row each per namespace and hour.
USAGE_METRICS = (
    "cpu_request",
    "cpu_usage",
    "memory_request",
    "memory_usage",
    "storage_request",
    "net_egress_external",
)


def insert_usage_hourly(
    cursor,
    *,
    start,
    hours: int,
    team_slug_like: str = "%",
    updated_at=None,
    storage_classes: Sequence[tuple[str, float]] = (),
    ordered: bool = True,
) -> None:
    """Hourly usage rows from ``start`` for ``hours`` for every namespace of the matching teams,
    in one SQL statement: a daily rhythm, one half-covered hour in fifty namespaces, two
    runtime classes. ``storage_classes`` (class, share of the storage request) adds the
    per-StorageClass rows the collector records beside each storage request. The rows are
    stored as the hourly rollup writes them, hour by hour in namespace order, unless not
    ``ordered`` (then in the order the statement's plan gives)."""
    # One row per kind of row: (metric, the metric whose figure it takes, storage class, share).
    kinds = [(m, m, "", 1.0) for m in USAGE_METRICS]
    kinds += [("storage_class_request", "storage_request", c, share) for c, share in storage_classes]
    cursor.execute(
        """INSERT INTO metering_usagehourly
             (namespace_id, metric, storage_class, hour, quantity, coverage, samples, runtime_class,
              updated_at)
           SELECT ns.id, k.metric, k.storage_class, %s::timestamptz + make_interval(hours => h),
                  k.share * CASE k.figure
                    WHEN 'cpu_request' THEN 0.5 WHEN 'cpu_usage' THEN (ns.id %% 7) * 0.1 + (h %% 24) * 0.01
                    WHEN 'memory_request' THEN 1073741824 WHEN 'memory_usage' THEN 536870912 + ns.id * 1000
                    WHEN 'storage_request' THEN 10737418240 ELSE 1048576 * (h %% 24) END,
                  CASE WHEN ns.id %% 50 = 0 AND h %% 24 = 5 THEN 0.5 ELSE 1 END, 12,
                  CASE WHEN ns.id %% 3 = 0 THEN 'kata-fc' ELSE 'gvisor' END, coalesce(%s, now())
           FROM tenants_namespace ns JOIN tenants_team t ON t.id = ns.team_id
           CROSS JOIN generate_series(0, %s - 1) h
           CROSS JOIN unnest(%s::text[], %s::text[], %s::text[], %s::numeric[])
             AS k(metric, figure, storage_class, share)
           WHERE t.slug LIKE %s"""
        + (" ORDER BY h, ns.id, k.metric, k.storage_class" if ordered else ""),
        [start, updated_at, hours, *(list(column) for column in zip(*kinds, strict=True)), team_slug_like],
    )


@functools.cache
def default_cluster_id() -> int:
    """The cluster the benchmarks' namespaces live on (made after migrating); one query per run."""
    from clusters.connections import default_cluster

    return default_cluster().pk


def _record(entry: dict) -> None:
    """Append one figure to the run's record (``BENCH_RECORD``, set by ``python -m bench``), from
    which the summary at the end of `make bench` is printed; a benchmark run alone prints its own
    lines only."""
    path = os.environ.get("BENCH_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as record:
            record.write(json.dumps(entry) + "\n")


def record_goal(goal: str, measured: str, ratio: float | None = None, *, limit: float | None = None) -> None:
    """One goal of issue 15 as measured in this run: ``ratio`` against ``limit`` (met when
    ``ratio <= limit``); without a limit the goal is reported, not judged."""
    met = None if ratio is None or limit is None else ratio <= limit
    _record({"kind": "goal", "goal": goal, "measured": measured, "ratio": ratio, "limit": limit, "met": met})


def record_growth(name: str, unit: str, sizes: Sequence[int], costs: Sequence[float]) -> None:
    """Cost per item at 1x, 10x and 100x of a small size (``costs[i]`` at ``sizes[i]``)."""
    _record({"kind": "growth", "name": name, "unit": unit, "sizes": list(sizes), "costs": list(costs)})

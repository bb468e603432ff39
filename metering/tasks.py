"""Metering's Celery tasks: thin, idempotent, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from core.metrics import COLLECTOR_CYCLE, COLLECTOR_GAPS


@shared_task(name="metering.collect_usage")
def collect_usage() -> int:
    from metering.services.collector import usage_collect

    with COLLECTOR_CYCLE.time():
        results = usage_collect(now=timezone.now())
    for result in results:
        COLLECTOR_GAPS.labels(result.cluster).inc(result.gaps)
    return sum(r.rows_offered for r in results)


@shared_task(name="metering.rollup_usage")
def rollup_usage() -> int:
    from metering.services.rollup import usage_prune, usage_rollup

    now = timezone.now()
    rolled = usage_rollup(now=now)
    usage_prune(now=now)
    return rolled


@shared_task(name="metering.discover_clusters")
def discover_clusters() -> int:
    from metering.services.discovery import clusters_discover

    return clusters_discover(now=timezone.now())


@shared_task(name="metering.refresh_runtime_selections")
def refresh_runtime_selections() -> int:
    from metering.services.runtime import namespace_runtimes_refresh

    return namespace_runtimes_refresh()

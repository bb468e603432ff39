"""Metering's Celery tasks: thin, idempotent, safe to run twice."""

import logging

from celery import shared_task
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.metrics import COLLECTOR_CYCLE, COLLECTOR_GAPS
from metering.services.collector import usage_collect
from metering.services.discovery import clusters_discover
from metering.services.rollup import quarters_rollup, usage_prune, usage_rollup
from metering.services.runtime import namespace_runtimes_refresh

logger = logging.getLogger(__name__)


@shared_task(name="metering.collect_usage")
def collect_usage() -> int:
    with COLLECTOR_CYCLE.time():
        results = usage_collect(now=timezone.now())
    for result in results:
        COLLECTOR_GAPS.labels(result.cluster).inc(result.gaps)
    return sum(r.rows_offered for r in results)


@shared_task(name="metering.rollup_usage")
def rollup_usage() -> int:
    now = timezone.now()
    rolled = usage_rollup(now=now)
    usage_prune(now=now)
    return rolled


@shared_task(name="metering.rollup_quarters")
def rollup_quarters() -> None:
    quarters_rollup(now=timezone.now())


@shared_task(name="metering.discover_clusters")
def discover_clusters() -> int:
    return clusters_discover(now=timezone.now())


def refresh_on_change(**_: object) -> None:
    """Receives ``runtime_inputs_changed`` (a team's trust level changed). Without a broker the
    provisioner still applies the new runtime (it selects live); the record catches up on the
    next discovery change or catalog edit."""
    try:
        refresh_runtime_selections.delay()
    except OperationalError:
        logger.warning("broker unreachable; runtime selections are refreshed on the next change")


@shared_task(name="metering.refresh_runtime_selections")
def refresh_runtime_selections() -> int:
    return namespace_runtimes_refresh()

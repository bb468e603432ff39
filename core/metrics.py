"""Prometheus metrics every process kind records, and the registry a scrape reads.

Leaf module: it imports nothing from the apps, so any app may record a metric here. With
``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn's workers, Celery's prefork children) every process
writes its samples to files there and a scrape sums them; without it (``make run``, tests) the
process's own default registry is read.
"""

import hmac
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import REGISTRY
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

HTTP_REQUESTS = Counter(
    "tenantry_http_requests_total",
    "Requests answered, by view, method and status",
    ["view", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "tenantry_http_request_duration_seconds",
    "Time to answer a request, by view and method",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS = Counter("tenantry_tasks_total", "Celery tasks finished, by task and outcome", ["task", "outcome"])
TASK_DURATION = Histogram(
    "tenantry_task_duration_seconds",
    "Time a Celery task ran, by task",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900),
)
COLLECTOR_CYCLE = Histogram(
    "tenantry_collector_cycle_seconds",
    "Time one usage collection cycle took over every cluster",
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
COLLECTOR_GAPS = Counter(
    "tenantry_collector_gaps_total", "Usage samples recorded as gaps (not measured), by cluster", ["cluster"]
)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def registry(*extra: Collector) -> CollectorRegistry:
    """What one scrape reads: every process's samples, plus ``extra`` collectors."""
    scrape = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(scrape)
    else:
        scrape.register(_ThisProcess())
    for collector in extra:
        scrape.register(collector)
    return scrape


class _ThisProcess(Collector):
    def collect(self):
        return REGISTRY.collect()


def exposition(*extra: Collector) -> bytes:
    return generate_latest(registry(*extra))


def process_dead(pid: int) -> None:
    """A gunicorn worker or Celery child exited: drop its live gauges (counters are kept)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def bearer_ok(authorization: str, token: str) -> bool:
    """``Authorization: Bearer <token>`` matches ``token``; never true when no token is set."""
    scheme, _, given = authorization.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)

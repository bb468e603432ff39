"""Celery's side of observability: task id in log lines, task metrics, the metrics port.

Connected from ``console.celery``, so every worker and beat process has it.
"""

import logging
import os
import time

from celery import signals
from django.conf import settings

from console.observability import logs
from console.observability.server import serve_metrics
from core.metrics import TASK_DURATION, TASKS, process_dead

logger = logging.getLogger(__name__)

_started: dict[str, float] = {}


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Connected at all, this stops Celery from replacing the root logger's handlers, so
    workers and beat log through Django's LOGGING (JSON lines with LOG_FORMAT=json)."""


@signals.task_prerun.connect
def task_started(task_id: str, **kwargs) -> None:
    logs.task_id.set(task_id)
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def task_finished(task_id: str, task, state: str | None = None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)
    TASKS.labels(task.name, (state or "unknown").lower()).inc()
    logs.task_id.set("")


@signals.worker_process_shutdown.connect
def child_exited(**kwargs) -> None:
    process_dead(os.getpid())


@signals.worker_init.connect
@signals.beat_init.connect
def start_metrics_port(**kwargs) -> None:
    if settings.METRICS_PORT:
        serve_metrics(host="0.0.0.0", port=settings.METRICS_PORT, token=settings.METRICS_TOKEN)  # noqa: S104
        logger.info("metrics on port %s", settings.METRICS_PORT)

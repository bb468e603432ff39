"""gunicorn settings for the web process: ``gunicorn -c deploy/gunicorn.conf.py console.wsgi``.

Every value can be overridden from the environment (``GUNICORN_*`` below) or on the command
line. Prometheus multiprocess mode: each worker writes its samples under
``PROMETHEUS_MULTIPROC_DIR``; the directory is emptied when the server starts and a dead
worker's live gauges are dropped, so /metrics sums every worker exactly once.
"""

import os
import shutil
from pathlib import Path

# Samples left by a previous server in the same directory would be added to ours. This runs
# when the master reads this file, before anything (the JSON log config) imports the app.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Slow requests (a large CSV export) are cut after this many seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
# Idle keep-alive connections stay open longer than the proxy in front keeps its own (60 s for
# ingress-nginx and most load balancers): if the server closed first, a request the proxy sent
# at that moment would fail. Idle connections wait in the poller and hold no thread.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# Recycle workers now and then so slow leaks cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# The root filesystem is read-only in the pod: heartbeat files live in /tmp (an emptyDir, or
# /dev/shm when mounted) and the control socket, which would go under $HOME, is off.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/tmp")  # noqa: S108
control_socket_disable = True
# Request lines are logged by the application (with request id, user and team).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "console.observability.logs.JsonFormatter"}},
        "filters": {"context": {"()": "console.observability.logs.ContextFilter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"]}
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}
        },
    }


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

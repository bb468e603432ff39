import os

from celery import Celery

from console.observability import workers  # noqa: F401 - connects logging and metrics signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="console.ping")
def ping() -> str:
    """Round trip through the broker; used by readiness checks and tests."""
    return "pong"

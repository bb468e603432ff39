import pytest

from console.celery import app as celery_app


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tests run tasks in-process; the broker test switches this off to use a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False

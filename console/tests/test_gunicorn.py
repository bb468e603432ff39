"""The production web server as the image runs it: gunicorn with deploy/gunicorn.conf.py,
two worker processes, Prometheus multiprocess mode and JSON logs."""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from django.conf import settings

from console.tests.test_metrics import sample

TOKEN = "gunicorn-test-token-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    with urlopen(Request(url, headers={"Connection": "close", **headers}), timeout=10) as resp:  # noqa: S310
        return resp.status, resp.read()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TENANTRY_VAR_DIR": str(tmp_path / "var"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        "METRICS_TOKEN": TOKEN,
        "LOG_FORMAT": "json",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_BIND": f"127.0.0.1:{_free_port()}",
        "DEBUG": "0",
        "SECRET_KEY": "gunicorn-test-secret-key-0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    base = Path(settings.BASE_DIR)
    migrate_env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=base, env=migrate_env, check=True)
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "console.wsgi"],
        cwd=base,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{env['GUNICORN_BIND']}"
    deadline = time.monotonic() + 60
    while True:
        try:
            _get(f"{url}/healthz")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "gunicorn.log").read_text()) from None
            time.sleep(0.2)
    yield url, tmp_path
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_metrics_add_up_every_worker_process(gunicorn):
    url, tmp_path = gunicorn

    def answering_workers() -> set[str]:
        return {p.name.split("_")[1] for p in (tmp_path / "prom").glob("counter_*.db")}

    # Which worker accepts a connection is the kernel's choice: send bursts of parallel
    # requests until both have answered (a worker busy with one leaves the next to the other).
    sent = 0
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=16) as pool:
        while len(answering_workers()) < 2:
            assert time.monotonic() < deadline, f"only one worker ever answered: {answering_workers()}"
            statuses = list(pool.map(lambda _: _get(f"{url}/healthz")[0], range(32)))
            assert statuses == [200] * 32
            sent += 32
    for _ in range(3):  # whichever worker answers the scrape, it reports the sum
        _status, body = _get(f"{url}/metrics", Authorization=f"Bearer {TOKEN}")
        text = body.decode()
        assert (
            sample(text, "tenantry_http_requests_total", view="healthz", method="GET", status="200") >= sent
        )
        assert "tenantry_namespaces" in text
    with pytest.raises(Exception, match="404"):
        _get(f"{url}/metrics")


def test_request_lines_are_json_with_a_request_id(gunicorn):
    url, tmp_path = gunicorn
    _get(f"{url}/healthz", **{"X-Request-ID": "probe-1"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines() if line]
        request_lines = [line for line in lines if line.get("request_id") == "probe-1"]
        if request_lines:
            break
        time.sleep(0.1)
    assert request_lines[0]["message"].startswith("GET healthz 200")
    assert all(isinstance(line, dict) for line in lines)  # every line, gunicorn's own too, is JSON

"""A real Prometheus (Debian's ``prometheus`` package) scraping a small exporter of counters.

``NetworkExporter`` serves ``tenantry_network_bytes_total`` counters in the Prometheus text
format with values the caller sets (so tests can make traffic, and reset counters as a
restarted pod does); ``LocalPrometheus`` scrapes it every second from a temporary directory
it removes when stopped.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import yaml

from localcluster.launcher import LocalClusterError, free_port

PROMETHEUS = Path("/usr/bin/prometheus")
METRIC = "tenantry_network_bytes_total"
SCRAPE_SECONDS = 1


class NetworkExporter:
    """``/metrics`` with one counter per (namespace, direction, class), as set by ``set``."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exporter.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def set(self, namespace: str, direction: str, traffic_class: str, value: int) -> None:
        with self._lock:
            self._values[(namespace, direction, traffic_class)] = value

    def add(self, namespace: str, direction: str, traffic_class: str, amount: int) -> None:
        with self._lock:
            key = (namespace, direction, traffic_class)
            self._values[key] = self._values.get(key, 0) + amount

    def render(self) -> str:
        lines = [f"# TYPE {METRIC} counter"]
        with self._lock:
            for (namespace, direction, traffic_class), value in sorted(self._values.items()):
                labels = f'namespace="{namespace}",direction="{direction}",class="{traffic_class}"'
                lines.append(f"{METRIC}{{{labels}}} {value}")
        return "\n".join(lines) + "\n"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class LocalPrometheus:
    """Prometheus on a free loopback port, scraping ``targets`` every second."""

    def __init__(self, targets: list[str]):
        self.targets = targets
        self.url = ""
        self.workdir: Path | None = None
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> LocalPrometheus:
        self.workdir = Path(tempfile.mkdtemp(prefix="tenantry-prometheus-"))
        config = {
            "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "evaluation_interval": "15s"},
            "scrape_configs": [
                {"job_name": "tenantry-network", "static_configs": [{"targets": self.targets}]}
            ],
        }
        (self.workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = (self.workdir / "prometheus.log").open("wb")
        self._proc = subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={self.workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.workdir,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.workdir / "prometheus.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise LocalClusterError(f"Prometheus did not start:\n{tail}")
            time.sleep(0.2)
        return self

    def _ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

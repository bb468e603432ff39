import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from clusters.connections import forget_gateways
from kubeemu.testing import kube_emulator, kube_emulator_server, kube_kubeconfig  # noqa: F401


@pytest.fixture
def live_provisioning():
    """Ask for this to let ``namespace_changed`` reach the real provisioning worker."""


@pytest.fixture(autouse=True)
def provisioned(request, monkeypatch):
    """Namespace ids handed to the provisioner after commit (recorded, not applied)."""
    ids: list[int] = []
    if "live_provisioning" not in request.fixturenames:
        monkeypatch.setattr("clusters.tasks.schedule_provisioning", ids.append)
    return ids


@pytest.fixture
def emulated_cluster(kube_emulator, kube_kubeconfig, settings):  # noqa: F811
    """The default cluster is the emulator (through the real gateway and a kubeconfig)."""
    settings.KUBECONFIG = str(kube_kubeconfig)
    forget_gateways()
    yield kube_emulator
    forget_gateways()


class PrometheusStandIn:
    """A Prometheus-compatible ``/api/v1/query`` answering from ``answers`` (query substring → vector)."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, str]] = {}
        self.queries: list[dict[str, list[str]]] = []
        self.fail = False
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                params = parse_qs(url.query)
                stand_in.queries.append(params)
                if stand_in.fail or url.path != "/api/v1/query":
                    self.send_response(503)
                    self.end_headers()
                    return
                query = params["query"][0]
                result = []
                for needle, per_namespace in stand_in.answers.items():
                    if needle in query:
                        result = [
                            {"metric": {"namespace": ns}, "value": [float(params["time"][0]), value]}
                            for ns, value in per_namespace.items()
                        ]
                body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def prometheus(settings):
    stand_in = PrometheusStandIn()
    settings.PROMETHEUS_URL = stand_in.url
    yield stand_in
    stand_in.stop()

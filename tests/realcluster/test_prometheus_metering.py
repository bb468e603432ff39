"""Network metering against a real Prometheus scraping a small exporter of byte counters.

The collector's PromQL (``METERING_PROMQL``), its windows and the query engine's handling of
counter resets are exercised by Prometheus itself, not a stand-in; a namespace without
series and an unreachable Prometheus are gaps, never zeros.
"""

import os
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from localcluster.launcher import free_port
from localcluster.prometheus import METRIC, PROMETHEUS, LocalPrometheus, NetworkExporter
from metering.models import Metric
from tests.realcluster.conftest import collect_usage, wait_until

pytestmark = pytest.mark.realcluster

WINDOW = 10  # seconds
EGRESS_RATE = 1000  # bytes per second, external egress of the busy namespace
INGRESS_RATE = 10  # bytes per second, internal ingress
NETWORK = (
    Metric.NET_INGRESS_INTERNAL,
    Metric.NET_INGRESS_EXTERNAL,
    Metric.NET_EGRESS_INTERNAL,
    Metric.NET_EGRESS_EXTERNAL,
)


@pytest.fixture(scope="module")
def exporter() -> Iterator[NetworkExporter]:
    exporter = NetworkExporter()
    yield exporter
    exporter.stop()


@pytest.fixture(scope="module")
def real_prometheus(exporter) -> Iterator[LocalPrometheus]:
    if not PROMETHEUS.exists():
        message = f"{PROMETHEUS} is missing (apt-get install -y prometheus)"
        if os.environ.get("REQUIRE_KUBE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    prometheus = LocalPrometheus([exporter.address]).start()
    yield prometheus
    prometheus.stop()


class Traffic:
    """A background thread adding bytes to the busy namespace's counters twice a second."""

    def __init__(self, exporter: NetworkExporter, namespace: str):
        self.exporter, self.namespace = exporter, namespace
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.exporter.add(self.namespace, "egress", "external", EGRESS_RATE // 2)
            self.exporter.add(self.namespace, "ingress", "internal", INGRESS_RATE // 2)

    def __enter__(self) -> "Traffic":
        self.exporter.set(self.namespace, "egress", "external", 0)
        self.exporter.set(self.namespace, "ingress", "internal", 0)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _samples_in_window(prometheus: LocalPrometheus, namespace: str) -> int:
    query = f'count_over_time({METRIC}{{namespace="{namespace}",direction="egress"}}[{WINDOW}s])'
    answer = requests.get(f"{prometheus.url}/api/v1/query", params={"query": query}, timeout=5).json()
    result = answer["data"]["result"]
    return int(result[0]["value"][1]) if result else 0


def _about(value: Decimal | None, expected: int) -> bool:
    """Within half either way: increase() extrapolates to the window's edges."""
    return value is not None and expected / 2 <= value <= expected * 3 / 2


def test_network_bytes_per_namespace_from_the_real_query_engine(
    make_tenant, exporter, real_prometheus, settings
):
    busy, quiet = make_tenant(), make_tenant()
    settings.PROMETHEUS_URL = real_prometheus.url
    with Traffic(exporter, busy.name):
        wait_until(
            lambda: _samples_in_window(real_prometheus, busy.name) >= WINDOW - 1, what="a window of scrapes"
        )
        samples = collect_usage(busy.name, quiet.name, seconds=WINDOW)

    busy_samples = samples[busy.name]
    assert _about(busy_samples[Metric.NET_EGRESS_EXTERNAL], EGRESS_RATE * WINDOW), busy_samples
    assert _about(busy_samples[Metric.NET_INGRESS_INTERNAL], INGRESS_RATE * WINDOW), busy_samples
    # No series for a direction or for a whole namespace: no measurement, so a gap, not zero.
    assert busy_samples[Metric.NET_EGRESS_INTERNAL] is None
    assert all(samples[quiet.name][metric] is None for metric in NETWORK)


def test_a_counter_reset_is_not_lost_traffic_or_negative(make_tenant, exporter, real_prometheus, settings):
    """A restarted exporter starts its counters from zero again; increase() must carry on."""
    tenant = make_tenant()
    settings.PROMETHEUS_URL = real_prometheus.url
    with Traffic(exporter, tenant.name):
        wait_until(lambda: _samples_in_window(real_prometheus, tenant.name) >= WINDOW // 2, what="scrapes")
        exporter.set(tenant.name, "egress", "external", 0)
        wait_until(lambda: _samples_in_window(real_prometheus, tenant.name) >= WINDOW - 1, what="scrapes")
        samples = collect_usage(tenant.name, seconds=WINDOW)[tenant.name]
    assert _about(samples[Metric.NET_EGRESS_EXTERNAL], EGRESS_RATE * WINDOW), samples


def test_an_unreachable_prometheus_is_a_gap_never_zero(make_tenant, settings):
    tenant = make_tenant()
    settings.PROMETHEUS_URL = f"http://127.0.0.1:{free_port()}"
    samples = collect_usage(tenant.name, seconds=WINDOW)[tenant.name]
    assert all(samples[metric] is None for metric in NETWORK), samples
    assert samples[Metric.PODS] == 0  # the cluster's own figures are still measured

"""pytest plugin: ``pytest_plugins = ["kubeemu.testing"]`` in a conftest.

One emulator serves the whole session; ``kube_emulator`` resets it before each test, so every
test starts with an empty cluster (built-in namespaces only), no faults and zeroed counters.
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import kubernetes
import pytest

from kubeemu.server import KubeEmulator


def api_client(emulator: KubeEmulator, token: str | None = None) -> kubernetes.client.ApiClient:
    """An official-client ``ApiClient`` for the emulator, as the admin or with ``token``.

    urllib3 retries are off so injected drops and failures reach the caller unchanged.
    """
    configuration = kubernetes.client.Configuration(host=emulator.url)
    configuration.api_key = {"authorization": token or emulator.admin_token}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    configuration.retries = False
    return kubernetes.client.ApiClient(configuration)


@pytest.fixture(scope="session")
def kube_emulator_server() -> Iterator[KubeEmulator]:
    emulator = KubeEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def kube_emulator(kube_emulator_server: KubeEmulator) -> KubeEmulator:
    """A running emulator with fresh state for this test."""
    kube_emulator_server.reset()
    return kube_emulator_server


@pytest.fixture
def kube_admin_client(kube_emulator: KubeEmulator) -> Iterator[kubernetes.client.ApiClient]:
    client = api_client(kube_emulator)
    yield client
    client.close()


@pytest.fixture
def kube_client_for_token(
    kube_emulator: KubeEmulator,
) -> Iterator[Callable[[str], kubernetes.client.ApiClient]]:
    """A factory: ``kube_client_for_token(token)`` → an ``ApiClient`` authenticating with it."""
    clients: list[kubernetes.client.ApiClient] = []

    def build(token: str) -> kubernetes.client.ApiClient:
        clients.append(api_client(kube_emulator, token))
        return clients[-1]

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def kube_kubeconfig(kube_emulator: KubeEmulator, tmp_path: Path) -> Path:
    """Path of an admin kubeconfig file for the emulator."""
    return kube_emulator.write_kubeconfig(tmp_path / "kubeemu.kubeconfig")


def wait_for(condition: Callable[[], object], *, timeout: float = 5.0, interval: float = 0.02) -> object:
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s: {condition}")
        time.sleep(interval)

"""pytest plugin: ``pytest_plugins = ["kubeemu.testing"]`` in a conftest.

One emulator serves the whole session; ``kube_emulator`` resets it before each test, so every
test starts with an empty cluster (built-in namespaces only), no faults and zeroed counters.
``second_kube_emulator`` is another one, for tests with two clusters.
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


@pytest.fixture(scope="session")
def second_kube_emulator_server() -> Iterator[KubeEmulator]:
    emulator = KubeEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def second_kube_emulator(second_kube_emulator_server: KubeEmulator) -> KubeEmulator:
    """A second, independent emulator (another cluster), fresh for this test."""
    second_kube_emulator_server.reset()
    return second_kube_emulator_server


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


RESTRICTED_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def restricted_pod(name: str, namespace: str, containers=("app",), **spec: object) -> dict:
    """A pod that Pod Security ``restricted`` admits: busybox containers with ``spec`` added."""
    container = {"image": "busybox", "securityContext": RESTRICTED_CONTAINER_SECURITY}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {**spec, "containers": [{"name": c, **container} for c in containers]},
    }


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


# --- a cluster that is not blank ----------------------------------------------------------------
# What a real cluster holds before the console arrives: add-on namespaces, each with a Secret
# and a RoleBinding of its own, plus one ordinary namespace whose name no list reserves.
FOREIGN_NAMESPACES = ("monitoring", "ingress-nginx", "cert-manager", "legacy-app")


def populate_foreign_world(client: kubernetes.client.ApiClient) -> None:
    """Create the foreign namespaces (idempotent) through any API server, emulator or real."""
    core = kubernetes.client.CoreV1Api(client)
    rbac = kubernetes.client.RbacAuthorizationV1Api(client)
    for name in FOREIGN_NAMESPACES:
        meta = kubernetes.client.V1ObjectMeta
        try:
            core.create_namespace(
                kubernetes.client.V1Namespace(metadata=meta(name=name, labels={"team": "ops"}))
            )
        except kubernetes.client.ApiException as error:
            if error.status != 409:
                raise
            continue
        core.create_namespaced_secret(
            name,
            kubernetes.client.V1Secret(
                metadata=meta(name=f"{name}-credentials"), string_data={"token": "s3cret"}
            ),
        )
        rbac.create_namespaced_role_binding(
            name,
            kubernetes.client.V1RoleBinding(
                metadata=meta(name="ops-admin"),
                role_ref=kubernetes.client.V1RoleRef(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="admin"
                ),
                subjects=[
                    kubernetes.client.RbacV1Subject(
                        kind="User", name="ops@example.org", api_group="rbac.authorization.k8s.io"
                    )
                ],
            ),
        )


def foreign_snapshot(client: kubernetes.client.ApiClient) -> dict[str, object]:
    """Everything about the foreign namespaces a takeover would change: each namespace's uid and
    labels, and the names of the Secrets, RoleBindings and other objects inside."""
    core = kubernetes.client.CoreV1Api(client)
    rbac = kubernetes.client.RbacAuthorizationV1Api(client)
    snapshot: dict[str, object] = {}
    for name in FOREIGN_NAMESPACES:
        ns = core.read_namespace(name)
        snapshot[name] = {
            "uid": ns.metadata.uid,
            "labels": dict(ns.metadata.labels or {}),
            "deleting": ns.metadata.deletion_timestamp is not None,
            "secrets": sorted(s.metadata.name for s in core.list_namespaced_secret(name).items),
            "rolebindings": sorted(r.metadata.name for r in rbac.list_namespaced_role_binding(name).items),
            "quotas": sorted(q.metadata.name for q in core.list_namespaced_resource_quota(name).items),
        }
    return snapshot


@pytest.fixture
def foreign_world(kube_admin_client: kubernetes.client.ApiClient) -> Callable[[], dict[str, object]]:
    """The emulator with the foreign namespaces created; returns a function taking a snapshot."""
    populate_foreign_world(kube_admin_client)
    return lambda: foreign_snapshot(kube_admin_client)

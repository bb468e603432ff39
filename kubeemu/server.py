"""``KubeEmulator``: the Kubernetes API emulator served over HTTP on a background thread."""

import base64
import contextlib
import copy
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from kubeemu import controls, errors
from kubeemu.handler import Handler
from kubeemu.objects import ObjectApi
from kubeemu.registry import RESOURCES, ResourceType, by_kind, resource_of_kind
from kubeemu.store import BUILTIN_NAMESPACES, Store
from localcluster.certs import Authority


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.open_sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Close kept-alive client connections so a stopped emulator really stops answering."""
        with self._sockets_lock:
            sockets, self.open_sockets = self.open_sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class KubeEmulator:
    """An in-memory Kubernetes API server for tests and local development.

    ``start()`` binds ``host:port`` (port 0 picks a free one) and serves on a daemon thread;
    ``url`` and ``admin_token`` are what a client needs. The Python controls below are also
    reachable over HTTP as ``POST /_emu/<action>`` with the admin token (see ``control``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        admin_token: str | None = None,
        git_version: str = "v1.33.0",
        namespace_deletion_delay: float = 0.2,
        mutating_admission_policies: bool = True,
        verbose: bool = False,
        tls: bool = False,
    ):
        self.host, self.port = host, port
        self.tls = tls
        self.ca_pem = b""  # with ``tls``: the CA of the serving certificate, for kubeconfigs
        self._pki: str | None = None
        self.admin_token = admin_token or secrets.token_urlsafe(32)
        self.git_version = git_version
        self.verbose = verbose
        self._defaults = {"mutating_admission_policies": mutating_admission_policies}
        self.options = dict(self._defaults)
        self.store = Store(namespace_deletion_delay=namespace_deletion_delay)
        self.objects = ObjectApi(self.store)
        self.faults = controls.Faults()
        self.counters = controls.Counters()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._seed_builtin()

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "KubeEmulator":
        self._server = _Server((self.host, self.port), Handler)
        self._server.emulator = self  # type: ignore[attr-defined]
        if self.tls:
            self._serve_tls(self._server)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="kubeemu", daemon=True)
        self._thread.start()
        return self

    def _serve_tls(self, server: _Server) -> None:
        """HTTPS as a real API server: a certificate for the loopback names from a fresh CA."""
        self._pki = tempfile.mkdtemp(prefix="kubeemu-pki-")
        authority = Authority(Path(self._pki), common_name="kubeemu-ca")
        pair = authority.serving("kubeemu", extra_dns=(self.host,) if self.host != "127.0.0.1" else ())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pair.cert, pair.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.ca_pem = authority.cert_pem

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        if self._pki is not None:
            shutil.rmtree(self._pki, ignore_errors=True)
            self._pki = None

    def __enter__(self) -> "KubeEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.address}"

    def served(self) -> list[ResourceType]:
        return [r for r in RESOURCES if r.feature is None or self.options.get(r.feature)]

    def reset(self) -> None:
        """Forget every object, token, fault and counter; restore the options given at construction."""
        self.store.clear()
        self.faults.clear()
        self.counters.reset()
        self.options = dict(self._defaults)
        self._seed_builtin()

    def _seed_builtin(self) -> None:
        for name in BUILTIN_NAMESPACES:
            body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            self.objects.create(resource_of_kind("v1", "Namespace"), "", body, manager=None, dry_run=False)

    # --- controls -----------------------------------------------------------------------------
    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        method: str | None = None,
        path: str | None = None,
        message: str = "",
    ) -> None:
        """Answer the next ``count`` matching requests (``path`` is a regex) with ``status``."""
        self.faults.fail_next(count, status, method=method, path=path, message=message)

    def drop_next(self, count: int = 1, *, method: str | None = None, path: str | None = None) -> None:
        """Close the connection of the next ``count`` matching requests without answering."""
        self.faults.drop_next(count, method=method, path=path)

    def set_latency(self, seconds: float, *, method: str | None = None, path: str | None = None) -> None:
        self.faults.set_latency(seconds, method=method, path=path)

    def counts(self) -> dict[str, Any]:
        """``{"total", "reads", "writes", "by_verb", "requests"}`` since the last reset."""
        return self.counters.snapshot()

    def reset_counters(self) -> None:
        self.counters.reset()

    def add_node(self, name: str, allocatable: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        return controls.add_node(self.store, name, allocatable, **kwargs)

    def set_pod_metrics(
        self, namespace: str, name: str, containers: dict[str, dict[str, str]], **kwargs: Any
    ) -> dict[str, Any]:
        return controls.set_pod_metrics(self.store, namespace, name, containers, **kwargs)

    def set_node_metrics(self, name: str, usage: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        return controls.set_node_metrics(self.store, name, usage, **kwargs)

    def set_quota_used(self, namespace: str, name: str, used: dict[str, str]) -> dict[str, Any] | None:
        return controls.set_quota_used(self.store, namespace, name, used)

    def append_pod_log(self, namespace: str, pod: str, container: str, lines: list[str]) -> dict[str, Any]:
        """Lines a container wrote, served by ``pods/<pod>/log``."""
        return controls.append_pod_log(self.store, namespace, pod, container, lines)

    def seed_object(self, obj: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create ``obj`` as the admin (validated and admitted like any write), then give it the
        ``status`` its controller or kubelet would report (a running pod, a finished job)."""
        resource = by_kind(obj["apiVersion"], obj["kind"])
        if resource is None:
            raise KeyError(f"{obj['apiVersion']} {obj['kind']} is not served by the emulator")
        namespace = obj["metadata"].get("namespace", "")
        created = self.objects.create(
            resource, namespace, copy.deepcopy(obj), manager="kubeemu", dry_run=False
        )
        if status is None:
            return created
        created["status"] = {**(created.get("status") or {}), **status}
        return self.objects.update_status(
            resource, namespace, created["metadata"]["name"], created, dry_run=False
        )

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock (token expiry, timestamps) forward."""
        self.store.clock_offset += seconds

    def get_object(
        self, api_version: str, kind: str, name: str, namespace: str = ""
    ) -> dict[str, Any] | None:
        """Read a stored object without going through HTTP (not counted, no auth)."""
        resource = by_kind(api_version, kind)
        if resource is None:
            raise KeyError(f"{api_version} {kind} is not served by the emulator")
        obj = self.store.get(resource, namespace if resource.namespaced else "", name)
        return copy.deepcopy(obj)

    def list_objects(self, api_version: str, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        resource = by_kind(api_version, kind)
        if resource is None:
            raise KeyError(f"{api_version} {kind} is not served by the emulator")
        return copy.deepcopy(self.store.items(resource, namespace))

    def control(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Run a control by name for the HTTP endpoint ``POST /_emu/<action>``."""
        actions = {
            "reset": lambda: self.reset(),
            "faults": lambda: self.fail_next(**body),
            "drops": lambda: self.drop_next(**body),
            "latency": lambda: self.set_latency(**body),
            "clear-faults": lambda: self.faults.clear(),
            "counters": lambda: self.counts(),
            "counters/reset": lambda: self.reset_counters(),
            "nodes": lambda: self.add_node(**body),
            "pod-metrics": lambda: self.set_pod_metrics(**body),
            "node-metrics": lambda: self.set_node_metrics(**body),
            "quota-used": lambda: self.set_quota_used(**body),
            "pod-log": lambda: self.append_pod_log(**body),
            "objects": lambda: self.seed_object(**body),
            "clock": lambda: self.advance_clock(**body),
            "options": lambda: self.options.update(
                {k: bool(v) for k, v in body.items() if k in self._defaults}
            ),
        }
        if action not in actions:
            raise errors.path_not_found(f"/_emu/{action}")
        result = actions[action]()
        return result if isinstance(result, dict) else {"ok": True}

    # --- client configuration -----------------------------------------------------------------
    def kubeconfig(self, *, token: str | None = None, user: str = "admin") -> dict[str, Any]:
        """A kubeconfig for this emulator, for the admin or for any bearer token."""
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kubeemu", "cluster": self._cluster_entry()}],
            "users": [{"name": user, "user": {"token": token or self.admin_token}}],
            "contexts": [{"name": "kubeemu", "context": {"cluster": "kubeemu", "user": user}}],
            "current-context": "kubeemu",
        }

    def _cluster_entry(self) -> dict[str, str]:
        entry = {"server": self.url}
        if self.ca_pem:
            entry["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
        return entry

    def write_kubeconfig(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: whoever waits for the file (devstack, tests) never reads half of it.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(yaml.safe_dump(self.kubeconfig(), sort_keys=False))
        partial.chmod(0o600)
        partial.replace(path)
        return path

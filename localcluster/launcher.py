"""Start and stop one local control plane: etcd, kube-apiserver, kube-controller-manager.

Everything listens on free loopback ports over TLS with certificates made for this run
(``localcluster.certs``); the API server authorizes with RBAC and runs the admission
plugins a production cluster has. Every file (certificates, etcd data, logs, kubeconfigs)
lives in one temporary directory that ``stop`` removes; nothing is written elsewhere.
"""

from __future__ import annotations

import base64
import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import yaml

from localcluster.binaries import Binaries, binaries
from localcluster.certs import API_SERVICE_NAMES, SERVICE_CIDR, Authority, KeyPair, service_account_keys

ADMISSION_PLUGINS = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "ResourceQuota",
    "PodSecurity",
    "ValidatingAdmissionPolicy",
    "MutatingAdmissionPolicy",
    "DenyServiceExternalIPs",
)
# MutatingAdmissionPolicy is beta in 1.34 and 1.35: off unless its gate and API are switched on.
FEATURE_GATES = "MutatingAdmissionPolicy=true"
RUNTIME_CONFIG = "admissionregistration.k8s.io/v1beta1=true"
# What tenants' objects need to behave as on a real cluster: namespaces finish deleting,
# quota usage is counted, workloads get their ReplicaSets, Pods and Jobs, the built-in
# admin/edit/view roles get their aggregated rules, and admission policies their type checks.
CONTROLLERS = (
    "namespace-controller",
    "resourcequota-controller",
    "garbage-collector-controller",
    "serviceaccount-controller",
    "root-ca-certificate-publisher-controller",
    "deployment-controller",
    "replicaset-controller",
    "statefulset-controller",
    "cronjob-controller",
    "job-controller",
    "clusterrole-aggregation-controller",
    "validatingadmissionpolicy-status-controller",
)
ADMIN_USER = "tenantry-localcluster-admin"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0


class LocalClusterError(RuntimeError):
    """The control plane could not start; the message holds the end of the failing log."""


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: be terminated when the process that started us dies, so a
    killed test run or console leaves no control plane running (Linux)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig_document(
    server: str, ca: Path, *, name: str, user: dict[str, str], namespace: str | None = None
) -> dict[str, Any]:
    """A self-contained kubeconfig (everything embedded) with one cluster, user and context."""
    context: dict[str, str] = {"cluster": name, "user": name}
    if namespace:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": _b64(ca)}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": context}],
        "current-context": name,
    }


def client_cert_user(pair: KeyPair) -> dict[str, str]:
    return {"client-certificate-data": _b64(pair.cert), "client-key-data": _b64(pair.key)}


class LocalCluster:
    """One control plane. ``with LocalCluster() as cluster:`` starts it and stops it."""

    def __init__(self, bins: Binaries | None = None, *, log: Callable[[str], None] | None = None):
        self.bins = bins or binaries()
        self._log = log or (lambda message: None)
        self.workdir: Path | None = None
        self._children: list[tuple[str, subprocess.Popen, Path]] = []
        self.url = ""
        self.ca_cert = Path()
        self.admin_kubeconfig = Path()

    # --- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> LocalCluster:
        missing = self.bins.missing()
        if missing:
            raise LocalClusterError(f"missing {', '.join(map(str, missing))}")
        self.workdir = Path(tempfile.mkdtemp(prefix="tenantry-localcluster-"))
        try:
            started = time.monotonic()
            self._start_all()
            self._log(
                f"control plane {self.bins.kube_version} ready at {self.url} in {time.monotonic() - started:.1f} s"
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process this cluster started, last first, then remove its directory.

        One at a time: an API server whose etcd is already gone waits for it before exiting.
        """
        for _name, proc, _log in reversed(self._children):
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._children.clear()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    # --- starting -----------------------------------------------------------------------------
    def _start_all(self) -> None:
        assert self.workdir is not None
        pki = self.workdir / "pki"
        pki.mkdir(mode=0o700)
        ca = Authority(pki)
        self.ca_cert = ca.cert
        etcd_port, etcd_peer_port, api_port = free_port(), free_port(), free_port()
        self.url = f"https://127.0.0.1:{api_port}"
        service_ip = SERVICE_CIDR.rsplit(".", 1)[0] + ".1"
        etcd_serving = ca.serving("etcd")
        etcd_client = ca.client("apiserver-etcd-client", "kube-apiserver-etcd-client")
        api_serving = ca.serving("apiserver", extra_dns=API_SERVICE_NAMES, extra_ips=(service_ip,))
        admin = ca.client("admin", ADMIN_USER, "system:masters")
        controller_manager = ca.client("controller-manager", "system:kube-controller-manager")
        sa_keys = service_account_keys(pki)

        etcd_url = f"https://127.0.0.1:{etcd_port}"
        peer_url = f"https://127.0.0.1:{etcd_peer_port}"
        self._spawn(
            "etcd",
            [
                str(self.bins.etcd),
                "--name=local",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=local={peer_url}",
                f"--cert-file={etcd_serving.cert}",
                f"--key-file={etcd_serving.key}",
                f"--trusted-ca-file={ca.cert}",
                "--client-cert-auth=true",
                f"--peer-cert-file={etcd_serving.cert}",
                f"--peer-key-file={etcd_serving.key}",
                f"--peer-trusted-ca-file={ca.cert}",
                "--peer-client-cert-auth=true",
                # Test data: losing it on a crash costs nothing, and fsync is slow on shared disks.
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
        )
        self._wait(
            "etcd",
            lambda: self._https_ok(f"{etcd_url}/health", etcd_client),
        )
        self._spawn(
            "kube-apiserver",
            [
                str(self.bins.kube_apiserver),
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--cert-dir={self.workdir / 'apiserver'}",
                f"--tls-cert-file={api_serving.cert}",
                f"--tls-private-key-file={api_serving.key}",
                f"--client-ca-file={ca.cert}",
                f"--etcd-servers={etcd_url}",
                f"--etcd-cafile={ca.cert}",
                f"--etcd-certfile={etcd_client.cert}",
                f"--etcd-keyfile={etcd_client.key}",
                "--authorization-mode=RBAC",
                "--anonymous-auth=false",
                f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS)}",
                f"--feature-gates={FEATURE_GATES}",
                f"--runtime-config={RUNTIME_CONFIG}",
                # As kubeadm does: privileged pods are allowed by the server and refused by
                # Pod Security, so the tests see the refusal a real cluster gives.
                "--allow-privileged=true",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={sa_keys.cert}",
                f"--service-account-signing-key-file={sa_keys.key}",
                "--profiling=false",
            ],
        )
        self._wait("kube-apiserver", lambda: self._https_ok(f"{self.url}/readyz", admin))
        self.admin_kubeconfig = self.write_kubeconfig(
            "admin.kubeconfig",
            kubeconfig_document(self.url, ca.cert, name="local-admin", user=client_cert_user(admin)),
        )
        controller_manager_kubeconfig = self.write_kubeconfig(
            "controller-manager.kubeconfig",
            kubeconfig_document(
                self.url, ca.cert, name="controller-manager", user=client_cert_user(controller_manager)
            ),
        )
        self._spawn(
            "kube-controller-manager",
            [
                str(self.bins.kube_controller_manager),
                f"--kubeconfig={controller_manager_kubeconfig}",
                f"--controllers={','.join(CONTROLLERS)}",
                # Each controller acts as its own ServiceAccount, as on kubeadm clusters.
                "--use-service-account-credentials=true",
                f"--root-ca-file={ca.cert}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--leader-elect=false",
                "--secure-port=0",
                "--resource-quota-sync-period=10s",
                "--profiling=false",
            ],
        )
        # The ServiceAccount controller gives every namespace a "default" account: once it
        # exists in "default", the controller manager is running and authorized.
        self._wait(
            "kube-controller-manager",
            lambda: self._https_ok(f"{self.url}/api/v1/namespaces/default/serviceaccounts/default", admin),
        )

    def write_kubeconfig(self, name: str, document: dict[str, Any]) -> Path:
        assert self.workdir is not None
        path = self.workdir / name
        path.touch(mode=0o600)
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def _spawn(self, name: str, command: list[str]) -> None:
        assert self.workdir is not None
        log_path = self.workdir / f"{name}.log"
        with log_path.open("wb") as log_file:
            proc = subprocess.Popen(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
                preexec_fn=_die_with_parent,
            )
        self._children.append((name, proc, log_path))

    def _https_ok(self, url: str, client: KeyPair) -> bool:
        try:
            response = requests.get(
                url, cert=(str(client.cert), str(client.key)), verify=str(self.ca_cert), timeout=2
            )
        except requests.RequestException:
            return False
        return response.status_code == 200

    def _wait(self, what: str, ready: Callable[[], bool], timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc, log_path in self._children:
                if proc.poll() is not None:
                    raise LocalClusterError(
                        f"{name} exited with status {proc.returncode}:\n{_tail(log_path)}"
                    )
            if ready():
                return
            time.sleep(0.2)
        _name, _proc, log_path = self._children[-1]
        raise LocalClusterError(f"{what} was not ready within {timeout:.0f} s:\n{_tail(log_path)}")

    def logs(self) -> dict[str, str]:
        """The last lines each component logged (for a failing test's report)."""
        return {name: _tail(log_path) for name, _proc, log_path in self._children}


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""

"""Let the live collector continue the demo history on the built-in Kubernetes emulator.

The emulator has no workloads, so on its own it reports zero usage and the charts would drop
to nothing after the demo's last window. When KUBECONFIG points at the emulator, each demo
namespace is provisioned now (if the worker has not yet), gets a claim for its storage, and
its quota ``status.used`` and pod metrics are set to the demo's current numbers through the
emulator's ``/_emu/`` controls. Any other cluster, or none, is left alone with a note.
"""

import base64
import json
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

import yaml
from django.conf import settings

from clusters.connections import gateway_for_cluster
from clusters.kube.errors import KubeError
from clusters.kube.manifests.names import RESOURCE_QUOTA
from clusters.models import NamespaceProvisioning
from clusters.provisioning import Outcome, namespace_provision
from console.demo.usage import profile_for, rates
from metering.models import Metric
from tenants.models import Namespace

TIMEOUT = 5


class NotTheEmulator(Exception):
    """The configured cluster cannot be reached or has no emulator controls."""


@dataclass(frozen=True)
class Endpoint:
    """Where the kubeconfig's current context points: URL, bearer token, TLS trust (its CA)."""

    server: str
    token: str
    trust: ssl.SSLContext | None


def _admin_endpoint(path: str) -> Endpoint:
    with open(path) as handle:
        config = yaml.safe_load(handle) or {}
    context_name = config.get("current-context")
    context = next(c["context"] for c in config.get("contexts", []) if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config.get("clusters", []) if c["name"] == context["cluster"])
    user = next(u["user"] for u in config.get("users", []) if u["name"] == context["user"])
    if not user.get("token"):
        raise NotTheEmulator("the kubeconfig user has no bearer token")
    ca_data = cluster.get("certificate-authority-data")
    trust = ssl.create_default_context(cadata=base64.b64decode(ca_data).decode()) if ca_data else None
    return Endpoint(cluster["server"].rstrip("/"), user["token"], trust)


def _control(endpoint: Endpoint, action: str, body: dict) -> dict:
    server = endpoint.server
    request = urllib.request.Request(  # noqa: S310 - the server URL comes from our own kubeconfig
        f"{server}/_emu/{action}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {endpoint.token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=endpoint.trust) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise NotTheEmulator(f"{server} answered {exc.code} to /_emu/{action}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise NotTheEmulator(f"{server} is not reachable ({exc})") from exc


def _live_numbers(namespace: Namespace, now: datetime) -> dict[str, float]:
    return rates(profile_for(namespace), namespace.name, namespace.created_at, now)


def _storage_claim(namespace: Namespace, gibibytes: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": namespace.name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "standard",
            "resources": {"requests": {"storage": f"{gibibytes}Gi"}},
        },
    }


def _provisioned(namespace: Namespace):
    """The namespace's gateway, after provisioning the namespace if its quota is not there yet."""
    gateway = gateway_for_cluster(namespace.cluster)
    missing = gateway.get("v1", "ResourceQuota", RESOURCE_QUOTA, namespace.name) is None
    if missing and namespace_provision(namespace_id=namespace.pk) == Outcome.FAILED:
        error = NamespaceProvisioning.objects.values_list("last_error", flat=True).get(pk=namespace.pk)
        raise NotTheEmulator(f"provisioning {namespace.name} failed: {error}")
    return gateway


def _seed(endpoint: Endpoint, namespace: Namespace, now: datetime) -> None:
    numbers = _live_numbers(namespace, now)
    storage = round(numbers[Metric.STORAGE_REQUEST] / 2**30)
    _provisioned(namespace).apply(_storage_claim(namespace, storage))
    used = {
        "requests.cpu": f"{round(numbers[Metric.CPU_REQUEST] * 1000)}m",
        "limits.cpu": f"{round(numbers[Metric.CPU_LIMIT] * 1000)}m",
        "requests.memory": str(round(numbers[Metric.MEMORY_REQUEST])),
        "limits.memory": str(round(numbers[Metric.MEMORY_LIMIT])),
        "requests.storage": f"{storage}Gi",
        "pods": str(numbers[Metric.PODS]),
    }
    _control(endpoint, "quota-used", {"namespace": namespace.name, "name": RESOURCE_QUOTA, "used": used})
    usage = {
        "cpu": f"{round(numbers[Metric.CPU_USAGE] * 1000)}m",
        "memory": str(round(numbers[Metric.MEMORY_USAGE])),
    }
    _control(
        endpoint,
        "pod-metrics",
        {"namespace": namespace.name, "name": "app", "containers": {"app": usage}},
    )


def cluster_seed(*, namespaces: list[Namespace], now: datetime) -> str:
    """Seed the emulator (see the module docstring); returns what happened, for the summary."""
    if not settings.KUBECONFIG:
        return "no cluster configured (KUBECONFIG unset): live usage not seeded"
    try:
        endpoint = _admin_endpoint(settings.KUBECONFIG.split(os.pathsep)[0])
        _control(endpoint, "counters", {})  # only the emulator answers this
        for namespace in namespaces:
            _seed(endpoint, namespace, now)
    except (NotTheEmulator, KubeError, OSError, KeyError, StopIteration) as exc:
        return f"live usage not seeded on the cluster: {exc}"
    return f"live usage seeded on the emulator at {endpoint.server} for {len(namespaces)} namespaces"

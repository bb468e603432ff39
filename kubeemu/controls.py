"""Test controls: injected faults (failures, dropped connections, latency), request counters, and
seeding of what real clusters report on their own (node capacity, metrics, quota usage)."""

import re
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kubeemu.registry import resource_of
from kubeemu.store import Store

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
READ_VERBS = {"get", "list", "watch", "discovery"}


@dataclass
class Fault:
    remaining: int
    drop: bool = False
    status: int = 503
    message: str = ""
    method: str | None = None
    path: str | None = None
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not self.path or re.search(self.path, path) is not None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._faults: list[Fault] = []
            self._latency: list[Fault] = []

    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        method: str | None = None,
        path: str | None = None,
        message: str = "",
    ) -> None:
        message = message or f"injected failure ({status})"
        with self._lock:
            self._faults.append(Fault(count, status=status, message=message, method=method, path=path))

    def drop_next(self, count: int = 1, *, method: str | None = None, path: str | None = None) -> None:
        with self._lock:
            self._faults.append(Fault(count, drop=True, method=method, path=path))

    def set_latency(self, seconds: float, *, method: str | None = None, path: str | None = None) -> None:
        """Delay every matching request by ``seconds``; 0 removes all latency."""
        with self._lock:
            self._latency = [Fault(-1, seconds=seconds, method=method, path=path)] if seconds else []

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
            return None

    def latency(self, method: str, path: str) -> float:
        with self._lock:
            return sum(f.seconds for f in self._latency if f.matches(method, path))


class Counters:
    """API requests seen, by Kubernetes verb; control endpoints are not counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._by_verb: Counter[str] = Counter()
            self._requests: list[tuple[str, str, str]] = []

    def record(self, verb: str, method: str, path: str) -> None:
        with self._lock:
            self._by_verb[verb] += 1
            self._requests.append((verb, method, path))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            reads = sum(n for verb, n in self._by_verb.items() if verb in READ_VERBS)
            total = sum(self._by_verb.values())
            return {
                "total": total,
                "reads": reads,
                "writes": total - reads,
                "by_verb": dict(self._by_verb),
                "requests": [list(r) for r in self._requests],
            }


def _seed(store: Store, group: str, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
    resource = resource_of(group, plural)
    meta = obj["metadata"]
    with store.lock:
        old = store.get(resource, meta.get("namespace", ""), meta["name"])
        meta["uid"] = old["metadata"]["uid"] if old else str(uuid.uuid4())
        meta["creationTimestamp"] = old["metadata"]["creationTimestamp"] if old else store.timestamp()
        meta["resourceVersion"] = store.next_revision()
        store.put(resource, obj)
    return obj


def add_node(
    store: Store,
    name: str,
    allocatable: dict[str, str],
    *,
    capacity: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {},
        "status": {
            "allocatable": dict(allocatable),
            "capacity": dict(capacity or allocatable),
            "conditions": [{"type": "Ready", "status": "True"}],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
                "containerRuntimeVersion": "containerd://2.0.0",
                "kernelVersion": "6.8.0",
                "kubeProxyVersion": "v1.33.0",
                "kubeletVersion": "v1.33.0",
                "machineID": uuid.uuid5(uuid.NAMESPACE_URL, name).hex,
                "operatingSystem": "linux",
                "osImage": "kubeemu",
                "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_OID, name)),
            },
        },
    }
    return _seed(store, "", "nodes", node)


def set_pod_metrics(
    store: Store,
    namespace: str,
    name: str,
    containers: dict[str, dict[str, str]],
    *,
    labels: dict[str, str] | None = None,
    window: str = "30s",
) -> dict[str, Any]:
    """Record what metrics-server would report for a pod: ``containers`` maps name → usage."""
    metrics = {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
        "timestamp": store.timestamp(),
        "window": window,
        "containers": [{"name": c, "usage": dict(usage)} for c, usage in containers.items()],
    }
    return _seed(store, "metrics.k8s.io", "pods", metrics)


def set_node_metrics(
    store: Store, name: str, usage: dict[str, str], *, window: str = "30s"
) -> dict[str, Any]:
    metrics = {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "NodeMetrics",
        "metadata": {"name": name, "labels": {}},
        "timestamp": store.timestamp(),
        "window": window,
        "usage": dict(usage),
    }
    return _seed(store, "metrics.k8s.io", "nodes", metrics)


def set_quota_used(store: Store, namespace: str, name: str, used: dict[str, str]) -> dict[str, Any] | None:
    """Set a ResourceQuota's ``status.used`` as the quota controller would; None if it does not exist."""
    resource = resource_of("", "resourcequotas")
    with store.lock:
        quota = store.get(resource, namespace, name)
        if quota is None:
            return None
        status = quota.setdefault("status", {})
        status["used"] = {**(status.get("used") or {}), **used}
        quota["metadata"]["resourceVersion"] = store.next_revision()
        return quota


def append_pod_log(
    store: Store, namespace: str, pod: str, container: str, lines: list[str]
) -> dict[str, Any]:
    """What a container writes to stdout: ``lines`` are added to its log with the current time."""
    with store.lock:
        log = store.logs.setdefault((namespace, pod, container), [])
        moment = store.timestamp()
        log.extend((moment, str(line)) for line in lines)
        return {"lines": len(log)}

"""Objects a tenant (or the administrator, arranging a test) sends to the API server."""

import copy
from typing import Any

IMAGE = "registry.example/app:1"
# Small enough that a starter namespace's quota (1 CPU of limits) holds a few of them.
RESTRICTED_CONTAINER: dict[str, Any] = {
    "name": "app",
    "image": IMAGE,
    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}},
}
RESTRICTED_POD_SPEC: dict[str, Any] = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [RESTRICTED_CONTAINER],
}


def pod(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    """A Pod that Pod Security ``restricted`` admits, with ``spec`` keys replaced."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {**copy.deepcopy(RESTRICTED_POD_SPEC), **spec},
    }


def container(**fields: Any) -> list[dict[str, Any]]:
    """The restricted container with ``fields`` replaced, as a ``containers`` list."""
    return [{**copy.deepcopy(RESTRICTED_CONTAINER), **fields}]


def _workload(kind: str, name: str, namespace: str, replicas: int, **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": copy.deepcopy(RESTRICTED_POD_SPEC)},
            **spec,
        },
    }


def deployment(name: str, namespace: str, replicas: int = 1) -> dict[str, Any]:
    return _workload("Deployment", name, namespace, replicas)


def statefulset(name: str, namespace: str, replicas: int = 1) -> dict[str, Any]:
    return _workload("StatefulSet", name, namespace, replicas, serviceName=name)

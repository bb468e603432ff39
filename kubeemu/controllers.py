"""What the real control plane would fill in on its own: defaults, initial status, and the
observable effect of the controllers the console depends on (quota status, workload replicas,
a namespace's default ServiceAccount)."""

import copy
import itertools
import uuid
from typing import Any

from kubeemu.registry import ResourceType, resource_of
from kubeemu.store import Store

_cluster_ips = itertools.count(10)
_node_ports = itertools.count(30000)


def _replicas_status(resource: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    replicas = obj["spec"].setdefault("replicas", 1)
    status = {
        "observedGeneration": obj["metadata"]["generation"],
        "replicas": replicas,
        "updatedReplicas": replicas,
    }
    if replicas:
        status["readyReplicas"] = replicas
        status["availableReplicas"] = replicas
    if resource.kind == "StatefulSet":
        status["currentReplicas"] = replicas
    return status


def _quota_status(obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    hard = copy.deepcopy((obj.get("spec") or {}).get("hard") or {})
    used = ((old or {}).get("status") or {}).get("used") or {}
    return {"hard": hard, "used": {key: used.get(key, "0") for key in hard}}


def _allocate_service(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    if spec["type"] != "ExternalName" and not spec.get("clusterIP"):
        n = next(_cluster_ips)
        spec["clusterIP"] = f"10.96.{n // 250 % 250}.{n % 250 + 1}"
        spec["clusterIPs"] = [spec["clusterIP"]]
    if spec["type"] in ("NodePort", "LoadBalancer"):
        for port in spec.get("ports") or []:
            port.setdefault("nodePort", next(_node_ports))


def prepare(resource: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None, store: Store) -> None:
    """Set server-side defaults and controller-owned status on an object about to be stored."""
    kind, meta = resource.kind, obj["metadata"]
    if kind == "Namespace":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        terminating = store.is_terminating(meta["name"])
        obj["status"] = {"phase": "Terminating" if terminating else "Active"}
    elif kind in ("Pod", "PersistentVolumeClaim") and old is None:
        obj["status"] = {"phase": "Pending"}
    elif kind == "Service":
        _allocate_service(obj)
        obj["status"] = ((old or {}).get("status")) or {"loadBalancer": {}}
    elif kind == "ResourceQuota":
        obj["status"] = _quota_status(obj, old)
    elif kind in ("Deployment", "StatefulSet") and (old is None or obj.get("spec") != old.get("spec")):
        # A new spec is rolled out at once; a status written on its own (a test's crash loop) stays.
        obj["status"] = _replicas_status(resource, obj)


def after_create(resource: ResourceType, obj: dict[str, Any], store: Store) -> None:
    """Objects the control plane creates in every new namespace."""
    if resource.kind != "Namespace":
        return
    namespace, now = obj["metadata"]["name"], store.timestamp()
    seeds: tuple[tuple[ResourceType, dict[str, Any], str], ...] = (
        (resource_of("", "serviceaccounts"), {"apiVersion": "v1", "kind": "ServiceAccount"}, "default"),
        (
            resource_of("", "configmaps"),
            {"apiVersion": "v1", "kind": "ConfigMap", "data": {"ca.crt": "emulated"}},
            "kube-root-ca.crt",
        ),
    )
    for seed_resource, body, name in seeds:
        body["metadata"] = {
            "name": name,
            "namespace": namespace,
            "uid": str(uuid.uuid4()),
            "creationTimestamp": now,
            "resourceVersion": store.next_revision(),
        }
        store.put(seed_resource, body)

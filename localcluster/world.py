"""What a real cluster already holds before the console arrives.

A fresh control plane has only ``default``, ``kube-system``, ``kube-public`` and
``kube-node-lease`` plus the ClusterRoles Kubernetes ships (``cluster-admin``, ``admin``,
``edit``, ``view``, aggregated by the controller manager). Real clusters also run
monitoring, an ingress controller and cert-manager in namespaces of their own, each with
Secrets and RoleBindings, and offer StorageClasses and RuntimeClasses. The console must
never label, bind into or delete any of that; the ``realcluster`` tests check it does not.
"""

from typing import Any

FIELD_MANAGER = "tenantry-localcluster"
MONITORING, INGRESS, CERT_MANAGER = "monitoring", "ingress-nginx", "cert-manager"
FOREIGN_NAMESPACES = (MONITORING, INGRESS, CERT_MANAGER)
BUILTIN_CLUSTER_ROLES = ("cluster-admin", "admin", "edit", "view")
STORAGE_CLASSES = ("standard", "fast-ssd")
# Names and handlers as the runtime catalog expects them (metering's seeded catalog).
RUNTIME_CLASSES = {"runc": "runc", "gvisor": "runsc", "kata-qemu": "kata-qemu"}


def _meta(name: str, namespace: str | None = None, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/part-of": name, **labels}}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _foreign_namespace(name: str, service_account: str, cluster_role: str) -> list[dict[str, Any]]:
    """A namespace of another operator: its Secret and a RoleBinding for its ServiceAccount."""
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name)},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(service_account, name)},
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(f"{name}-credentials", name),
            "type": "Opaque",
            "stringData": {"password": f"{name}-secret-that-tenants-must-not-read"},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(f"{service_account}-{cluster_role}", name),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role},
            "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": name}],
        },
    ]


def preexisting_objects() -> list[dict[str, Any]]:
    objects = [
        *_foreign_namespace(MONITORING, "prometheus", "view"),
        *_foreign_namespace(INGRESS, "ingress-nginx", "edit"),
        *_foreign_namespace(CERT_MANAGER, "cert-manager", "admin"),
    ]
    for index, name in enumerate(STORAGE_CLASSES):
        storage_class: dict[str, Any] = {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": _meta(name),
            "provisioner": "example.com/local",
            "volumeBindingMode": "WaitForFirstConsumer",
        }
        if index == 0:
            storage_class["metadata"]["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
        objects.append(storage_class)
    objects += [
        {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": _meta(name), "handler": handler}
        for name, handler in RUNTIME_CLASSES.items()
    ]
    return objects

"""The tenant attack suite's scenarios: what a tenant admin tries, and what kube-apiserver answers.

``ATTACKS`` maps a name to an attempt (made with the tenant's own downloaded kubeconfig) and
the refusal a real cluster gives: status, reason and the words that show which guard refused.
``POSITIVE`` is what the same tenant must be able to do. The realcluster tier runs both
against kube-apiserver; the emulator parity test runs them against the emulator.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.realcluster.objects import container, deployment, pod
from tests.realcluster.tenant_client import Answer, TenantClient

RBAC = "/apis/rbac.authorization.k8s.io/v1"
NETPOL = "/apis/networking.k8s.io/v1"
MANAGED_BY = "app.kubernetes.io/managed-by"
PROTECT = "ValidatingAdmissionPolicy 'tenantry-protect-managed-objects'"
NETWORK_GUARD = "ValidatingAdmissionPolicy 'tenantry-tenant-network-policies'"
RUNTIME_GUARD = "ValidatingAdmissionPolicy 'tenantry-runtime-class'"
POD_SECURITY = 'violates PodSecurity "restricted:latest"'
NOT_HELD = "is attempting to grant RBAC permissions not currently held"


@dataclass
class Scene:
    """Who attacks (``client``, admin of ``ns``) and what else is on the cluster."""

    client: TenantClient
    ns: str
    other: str
    owner_id: int
    other_owner_id: int


def _role(name: str, ns: str, rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": ns},
        "rules": [rule],
    }


def binding(name: str, ns: str, role_kind: str, role: str, account: str, labels: dict | None = None) -> dict:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": "tenantry-system"}],
    }


def _netpol(name: str, ns: str, egress_to: list[dict], labels: dict | None = None) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": egress_to}]},
    }


def service(name: str, ns: str, **spec: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec},
    }


Attempt = Callable[[Scene], Answer]


@dataclass(frozen=True)
class Attack:
    attempt: Attempt
    status: int
    reason: str
    says: tuple[str, ...]  # words of the message that show which guard refused


def _get(path: str) -> Attempt:
    return lambda s: s.client.get(path.format(s=s))


def _create(path: str, body: Callable[[Scene], dict]) -> Attempt:
    return lambda s: s.client.create(path.format(s=s), body(s))


def _patch(path: str, patch: dict) -> Attempt:
    return lambda s: s.client.merge_patch(path.format(s=s), patch)


def _delete(path: str) -> Attempt:
    return lambda s: s.client.delete(path.format(s=s))


def forbidden(attempt: Attempt, *says: str) -> Attack:
    return Attack(attempt, 403, "Forbidden", says)


def _pod_with(**spec: Any) -> Attempt:
    return _create("/api/v1/namespaces/{s.ns}/pods", lambda s: pod("evil", s.ns, **spec))


QUOTA = "/api/v1/namespaces/{s.ns}/resourcequotas/tenant-quota"
LIMITS = "/api/v1/namespaces/{s.ns}/limitranges/tenant-limits"
DENY_ALL = NETPOL + "/namespaces/{s.ns}/networkpolicies/tenant-default-deny"
OWN_BINDING = RBAC + "/namespaces/{s.ns}/rolebindings/tenantry-u{s.owner_id}"
EVERYTHING = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}

ATTACKS: dict[str, Attack] = {
    # Seeing beyond the tenant's namespace.
    "list-nodes": forbidden(_get("/api/v1/nodes"), 'cannot list resource "nodes"'),
    "list-namespaces": forbidden(_get("/api/v1/namespaces"), 'cannot list resource "namespaces"'),
    "list-pods-everywhere": forbidden(_get("/api/v1/pods"), 'cannot list resource "pods"'),
    "other-tenants-pods": forbidden(_get("/api/v1/namespaces/{s.other}/pods"), 'in the namespace "'),
    "other-tenants-quota": forbidden(
        _get("/api/v1/namespaces/{s.other}/resourcequotas/tenant-quota"),
        'cannot get resource "resourcequotas"',
    ),
    "monitoring-secret": forbidden(
        _get("/api/v1/namespaces/monitoring/secrets/monitoring-credentials"), 'cannot get resource "secrets"'
    ),
    "monitoring-secrets-list": forbidden(
        _get("/api/v1/namespaces/monitoring/secrets"), 'cannot list resource "secrets"'
    ),
    # The console's own objects in the tenant's namespace.
    "raise-own-quota": forbidden(
        _patch(QUOTA, {"spec": {"hard": {"pods": "1000"}}}), 'cannot patch resource "resourcequotas"'
    ),
    "delete-own-quota": forbidden(_delete(QUOTA), 'cannot delete resource "resourcequotas"'),
    "create-second-quota": forbidden(
        _create(
            "/api/v1/namespaces/{s.ns}/resourcequotas",
            lambda s: {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "mine"}, "spec": {}},
        ),
        'cannot create resource "resourcequotas"',
    ),
    "delete-limit-range": forbidden(_delete(LIMITS), 'cannot delete resource "limitranges"'),
    "patch-limit-range": forbidden(
        _patch(LIMITS, {"spec": {"limits": []}}), 'cannot patch resource "limitranges"'
    ),
    "delete-default-deny": forbidden(_delete(DENY_ALL), PROTECT),
    "patch-default-deny": forbidden(_patch(DENY_ALL, {"spec": {"policyTypes": ["Ingress"]}}), PROTECT),
    "remove-managed-by-label": forbidden(
        _patch(DENY_ALL, {"metadata": {"labels": {MANAGED_BY: None}}}), PROTECT
    ),
    "delete-console-role-binding": forbidden(_delete(OWN_BINDING), PROTECT),
    "patch-console-role-binding": forbidden(
        _patch(OWN_BINDING, {"metadata": {"labels": {"x": "y"}}}), PROTECT
    ),
    "forge-managed-network-policy": forbidden(
        _create(
            NETPOL + "/namespaces/{s.ns}/networkpolicies",
            lambda s: _netpol("forged", s.ns, [{"podSelector": {}}], {MANAGED_BY: "tenantry"}),
        ),
        PROTECT,
    ),
    "forge-managed-role-binding": forbidden(
        _create(
            RBAC + "/namespaces/{s.ns}/rolebindings",
            lambda s: binding(
                "forged", s.ns, "ClusterRole", "tenant-viewer", f"u{s.owner_id}", {MANAGED_BY: "tenantry"}
            ),
        ),
        PROTECT,
    ),
    # Escalation through RBAC.
    "role-star-on-star": forbidden(
        _create(RBAC + "/namespaces/{s.ns}/roles", lambda s: _role("star", s.ns, EVERYTHING)), NOT_HELD
    ),
    **{
        f"role-with-{verb}": forbidden(
            _create(
                RBAC + "/namespaces/{s.ns}/roles",
                lambda s, verb=verb, group=group, resource=resource: _role(
                    verb, s.ns, {"apiGroups": [group], "resources": [resource], "verbs": [verb]}
                ),
            ),
            NOT_HELD,
        )
        for verb, group, resource in (
            ("escalate", "rbac.authorization.k8s.io", "roles"),
            ("bind", "rbac.authorization.k8s.io", "clusterroles"),
            ("impersonate", "", "users"),
        )
    },
    **{
        f"bind-{role}": forbidden(
            _create(
                RBAC + "/namespaces/{s.ns}/rolebindings",
                lambda s, role=role: binding(f"to-{role}", s.ns, "ClusterRole", role, f"u{s.owner_id}"),
            ),
            NOT_HELD,
        )
        for role in ("cluster-admin", "admin", "edit")
    },
    "token-for-another-users-account": forbidden(
        _create(
            "/api/v1/namespaces/tenantry-system/serviceaccounts/u{s.other_owner_id}/token",
            lambda s: {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}},
        ),
        'cannot create resource "serviceaccounts/token"',
    ),
    "impersonate-a-user": forbidden(
        lambda s: s.client.get(f"/api/v1/namespaces/{s.ns}/pods", headers={"Impersonate-User": "admin"}),
        'cannot impersonate resource "users"',
    ),
    "impersonate-system-masters": forbidden(
        lambda s: s.client.get(
            "/api/v1/nodes", headers={"Impersonate-User": "admin", "Impersonate-Group": "system:masters"}
        ),
        "cannot impersonate",
    ),
    # Pods that would reach the node.
    "privileged": forbidden(
        _pod_with(
            containers=container(
                securityContext={
                    "privileged": True,
                    "capabilities": {"drop": ["ALL"]},
                }
            )
        ),
        POD_SECURITY,
        "privileged",
    ),
    "host-path": forbidden(
        _pod_with(volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
        POD_SECURITY,
        'restricted volume type "hostPath"',
    ),
    "host-network": forbidden(_pod_with(hostNetwork=True), POD_SECURITY, "hostNetwork=true"),
    "host-pid": forbidden(_pod_with(hostPID=True), POD_SECURITY, "hostPID=true"),
    "host-ipc": forbidden(_pod_with(hostIPC=True), POD_SECURITY, "hostIPC=true"),
    "host-port": forbidden(
        _pod_with(containers=container(ports=[{"containerPort": 80, "hostPort": 80}])),
        POD_SECURITY,
        "hostPort",
    ),
    "added-capabilities": forbidden(
        _pod_with(
            containers=container(
                securityContext={
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]},
                }
            )
        ),
        POD_SECURITY,
        "NET_ADMIN",
    ),
    "root-user": forbidden(
        _pod_with(
            securityContext={
                "runAsNonRoot": True,
                "runAsUser": 0,
                "seccompProfile": {"type": "RuntimeDefault"},
            }
        ),
        POD_SECURITY,
        "runAsUser=0",
    ),
    # Network rules that reopen what the console closed.
    **{
        f"egress-to-{cidr}": forbidden(
            _create(
                NETPOL + "/namespaces/{s.ns}/networkpolicies",
                lambda s, cidr=cidr: _netpol("open", s.ns, [{"ipBlock": {"cidr": cidr}}]),
            ),
            NETWORK_GUARD,
        )
        for cidr in ("0.0.0.0/0", "10.0.0.0/8", "169.254.169.254/32", "::/0", "fd00::/8")
    },
    # Kubernetes' cidr() cannot parse IPv4-mapped addresses: the guard fails closed.
    "egress-to-ipv4-mapped-private": Attack(
        _create(
            NETPOL + "/namespaces/{s.ns}/networkpolicies",
            lambda s: _netpol("mapped", s.ns, [{"ipBlock": {"cidr": "::ffff:10.0.0.0/104"}}]),
        ),
        422,
        "Invalid",
        (NETWORK_GUARD, 'IPv4-mapped IPv6 address "::ffff:10.0.0.0/104" is not allowed'),
    ),
    "external-ips": forbidden(
        _create(
            "/api/v1/namespaces/{s.ns}/services", lambda s: service("ext", s.ns, externalIPs=["203.0.113.7"])
        ),
        "Use of external IPs is denied by admission control",
    ),
    "node-port": forbidden(
        _create("/api/v1/namespaces/{s.ns}/services", lambda s: service("np", s.ns, type="NodePort")),
        "exceeded quota: tenant-quota, requested: services.nodeports=1",
    ),
    # Cluster-scoped objects.
    **{
        f"create-{plural}": forbidden(
            _create(path, lambda s, body=body: body),
            f'cannot create resource "{plural}"',
        )
        for plural, path, body in (
            (
                "persistentvolumes",
                "/api/v1/persistentvolumes",
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": "steal"},
                    "spec": {
                        "capacity": {"storage": "1Gi"},
                        "accessModes": ["ReadWriteOnce"],
                        "hostPath": {"path": "/"},
                    },
                },
            ),
            (
                "storageclasses",
                "/apis/storage.k8s.io/v1/storageclasses",
                {
                    "apiVersion": "storage.k8s.io/v1",
                    "kind": "StorageClass",
                    "metadata": {"name": "mine"},
                    "provisioner": "x",
                },
            ),
            (
                "customresourcedefinitions",
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                {
                    "apiVersion": "apiextensions.k8s.io/v1",
                    "kind": "CustomResourceDefinition",
                    "metadata": {"name": "evils.example.com"},
                },
            ),
            (
                "validatingwebhookconfigurations",
                "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
                {
                    "apiVersion": "admissionregistration.k8s.io/v1",
                    "kind": "ValidatingWebhookConfiguration",
                    "metadata": {"name": "evil"},
                },
            ),
            (
                "mutatingwebhookconfigurations",
                "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
                {
                    "apiVersion": "admissionregistration.k8s.io/v1",
                    "kind": "MutatingWebhookConfiguration",
                    "metadata": {"name": "evil"},
                },
            ),
            (
                "priorityclasses",
                "/apis/scheduling.k8s.io/v1/priorityclasses",
                {
                    "apiVersion": "scheduling.k8s.io/v1",
                    "kind": "PriorityClass",
                    "metadata": {"name": "first"},
                    "value": 1000000,
                },
            ),
            (
                "clusterrolebindings",
                RBAC + "/clusterrolebindings",
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": "evil"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "cluster-admin",
                    },
                    "subjects": [],
                },
            ),
            (
                "validatingadmissionpolicies",
                "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies",
                {
                    "apiVersion": "admissionregistration.k8s.io/v1",
                    "kind": "ValidatingAdmissionPolicy",
                    "metadata": {"name": "evil"},
                },
            ),
        )
    },
    "delete-console-admission-policy": forbidden(
        _delete(
            "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/tenantry-protect-managed-objects"
        ),
        'cannot delete resource "validatingadmissionpolicies"',
    ),
    "label-own-namespace": forbidden(
        _patch(
            "/api/v1/namespaces/{s.ns}",
            {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
        ),
        'cannot patch resource "namespaces"',
    ),
}


POSITIVE: dict[str, Callable[[Scene], dict]] = {
    "/apis/apps/v1/namespaces/{ns}/deployments": lambda s: deployment("web", s.ns),
    "/api/v1/namespaces/{ns}/services": lambda s: service("web", s.ns),
    "/api/v1/namespaces/{ns}/configmaps": lambda s: {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"a": "b"},
    },
    "/api/v1/namespaces/{ns}/secrets": lambda s: {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "stringData": {"password": "x"},
    },
    "/api/v1/namespaces/{ns}/pods": lambda s: pod("ok", s.ns),
    RBAC + "/namespaces/{ns}/roles": lambda s: _role(
        "pod-reader", s.ns, {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
    ),
    RBAC + "/namespaces/{ns}/rolebindings": lambda s: binding(
        "readers", s.ns, "Role", "pod-reader", f"u{s.owner_id}"
    ),
    NETPOL + "/namespaces/{ns}/networkpolicies": lambda s: _netpol(
        "internet",
        s.ns,
        [
            {
                "ipBlock": {
                    "cidr": "0.0.0.0/0",
                    "except": [
                        "10.0.0.0/8",
                        "172.16.0.0/12",
                        "192.168.0.0/16",
                        "100.64.0.0/10",
                        "169.254.0.0/16",
                    ],
                }
            },
            {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7", "fe80::/10"]}},
            {"podSelector": {}},
        ],
    ),
}

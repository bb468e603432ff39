"""The three ClusterRoles tenants are bound to, and a small evaluator for their rules.

Every rule names its resources and verbs explicitly: no ``*``, nothing cluster-scoped
(MTB CPI-1), no write on ResourceQuotas or LimitRanges (TI-1), and never ``escalate``,
``bind`` or ``impersonate`` (PL2-CC-TI-1). Because the API server only lets a user grant
permissions they already hold, a tenant admin can create Roles and RoleBindings of its own
(PL2 OPS-3) without being able to reach cluster-admin. The console's own RoleBindings and
NetworkPolicies are shielded by an admission policy, not by RBAC (CPI-2).
"""

from collections.abc import Iterable, Mapping

from clusters.kube.manifests import names
from clusters.kube.manifests.common import managed_labels, obj
from clusters.kube.spec import PlatformSettings

READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
READ_WRITE = READ + WRITE

# (api group, resources, verbs). Secrets are not readable by viewers (as in Kubernetes'
# own ``view`` role): they hold credentials that would let a viewer act as someone else.
VIEWER_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "",
        (
            "configmaps",
            "endpoints",
            "events",
            "limitranges",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "pods/log",
            "pods/status",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
            "serviceaccounts",
            "services",
            "services/status",
        ),
        READ,
    ),
    (
        "apps",
        (
            "controllerrevisions",
            "daemonsets",
            "deployments",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
        ),
        READ,
    ),
    ("autoscaling", ("horizontalpodautoscalers",), READ),
    ("batch", ("cronjobs", "jobs"), READ),
    ("coordination.k8s.io", ("leases",), READ),
    ("discovery.k8s.io", ("endpointslices",), READ),
    ("events.k8s.io", ("events",), READ),
    ("metrics.k8s.io", ("pods",), READ),
    ("networking.k8s.io", ("ingresses", "networkpolicies"), READ),
    (names.GATEWAY_API_GROUP, names.GATEWAY_ROUTES, READ),
    ("policy", ("poddisruptionbudgets",), READ),
)

# Developers run workloads. Not granted, on purpose: DaemonSets (one pod on every shared
# node), PodDisruptionBudgets (a tenant could block node drains for everyone), and writes
# to Endpoints (they would let a Service point at any address).
DEVELOPER_RULES = (
    *VIEWER_RULES,
    (
        "",
        (
            "configmaps",
            "persistentvolumeclaims",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "secrets",
            "serviceaccounts",
            "services",
        ),
        READ_WRITE,
    ),
    ("", ("pods/attach", "pods/exec", "pods/portforward"), ("create", "get")),
    ("", ("pods/ephemeralcontainers",), ("patch", "update")),
    ("", ("pods/eviction", "serviceaccounts/token"), ("create",)),
    (
        "apps",
        (
            "deployments",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
        ),
        READ_WRITE,
    ),
    ("autoscaling", ("horizontalpodautoscalers",), READ_WRITE),
    ("batch", ("cronjobs", "jobs"), READ_WRITE),
    ("coordination.k8s.io", ("leases",), READ_WRITE),
    ("networking.k8s.io", ("ingresses",), READ_WRITE),
    # Gateway API routes that name hostnames (admission policies check them like Ingresses).
    (names.GATEWAY_API_GROUP, names.GATEWAY_ROUTES, READ_WRITE),
)

# Admins also manage access and network rules of their own (MTB PL2 OPS-3, OPS-4).
ADMIN_RULES = (
    *DEVELOPER_RULES,
    ("networking.k8s.io", ("networkpolicies",), READ_WRITE),
    ("rbac.authorization.k8s.io", ("rolebindings", "roles"), READ_WRITE),
    ("authorization.k8s.io", ("localsubjectaccessreviews",), ("create",)),
)

ROLE_RULES = {"viewer": VIEWER_RULES, "developer": DEVELOPER_RULES, "admin": ADMIN_RULES}


def _policy_rules(rules: Iterable[tuple[str, tuple[str, ...], tuple[str, ...]]]) -> list[dict]:
    """One PolicyRule per (group, verb set), each resource listed once with all its verbs."""
    verbs_by_resource: dict[tuple[str, str], set[str]] = {}
    for group, resources, verbs in rules:
        for resource in resources:
            verbs_by_resource.setdefault((group, resource), set()).update(verbs)
    merged: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (group, resource), resource_verbs in sorted(verbs_by_resource.items()):
        merged.setdefault((group, tuple(sorted(resource_verbs))), []).append(resource)
    return [
        {"apiGroups": [group], "resources": resources, "verbs": list(verbs)}
        for (group, verbs), resources in sorted(merged.items())
    ]


def cluster_roles(platform: PlatformSettings) -> list[dict]:
    labels = managed_labels(platform, names.COMPONENT_BOOTSTRAP)
    return [
        obj(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            platform.scoped(names.cluster_role_name(role)),
            labels,
            rules=_policy_rules(ROLE_RULES[role]),
        )
        for role in names.TENANT_ROLES
    ]


def rules_allow(rules: Iterable[Mapping], *, verb: str, resource: str, api_group: str = "") -> bool:
    """Whether PolicyRules grant ``verb`` on ``resource`` (``pods/exec`` for subresources).

    Evaluates ``*`` as Kubernetes does, so a test can prove the absence of wildcards
    matters; ``resourceNames`` restrictions are ignored, which errs towards "allowed".
    """
    base, _, subresource = resource.partition("/")
    matching_resources = {resource, "*"} | ({f"{base}/*", f"*/{subresource}"} if subresource else set())
    for rule in rules:
        groups, resources, verbs = rule.get("apiGroups", []), rule.get("resources", []), rule.get("verbs", [])
        if (
            (api_group in groups or "*" in groups)
            and matching_resources.intersection(resources)
            and (verb in verbs or "*" in verbs)
        ):
            return True
    return False

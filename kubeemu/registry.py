"""The resources the emulator serves, as data: one row per group/version/resource."""

from dataclasses import dataclass

READ_VERBS = ("get", "list")
ALL_VERBS = ("create", "delete", "get", "list", "patch", "update")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    subresources: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    read_only: bool = False
    feature: str | None = None  # emulator option that must be on for the resource to be served

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def display(self) -> str:
        """The name the API server uses in messages: ``pods``, ``roles.rbac.authorization.k8s.io``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def verbs(self) -> tuple[str, ...]:
        return READ_VERBS if self.read_only else ALL_VERBS

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources


RBAC = "rbac.authorization.k8s.io"
ADMISSION = "admissionregistration.k8s.io"
STATUS = ("status",)

RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "namespaces", "Namespace", False, STATUS, ("ns",)),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount", True, ("token",), ("sa",)),
    ResourceType("", "v1", "resourcequotas", "ResourceQuota", True, STATUS, ("quota",)),
    ResourceType("", "v1", "limitranges", "LimitRange", True, (), ("limits",)),
    ResourceType("", "v1", "pods", "Pod", True, ("status", "log"), ("po",)),
    ResourceType("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, STATUS, ("pvc",)),
    ResourceType("", "v1", "services", "Service", True, STATUS, ("svc",)),
    ResourceType("", "v1", "nodes", "Node", False, STATUS, ("no",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", True, (), ("cm",)),
    ResourceType("", "v1", "secrets", "Secret", True),
    ResourceType("", "v1", "events", "Event", True, (), ("ev",)),
    ResourceType(RBAC, "v1", "clusterroles", "ClusterRole", False),
    ResourceType(RBAC, "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    ResourceType(RBAC, "v1", "roles", "Role", True),
    ResourceType(RBAC, "v1", "rolebindings", "RoleBinding", True),
    ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, (), ("netpol",)),
    ResourceType(ADMISSION, "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", False, STATUS),
    ResourceType(
        ADMISSION, "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", False
    ),
    ResourceType(
        ADMISSION,
        "v1beta1",
        "mutatingadmissionpolicies",
        "MutatingAdmissionPolicy",
        False,
        feature="mutating_admission_policies",
    ),
    ResourceType(
        ADMISSION,
        "v1beta1",
        "mutatingadmissionpolicybindings",
        "MutatingAdmissionPolicyBinding",
        False,
        feature="mutating_admission_policies",
    ),
    ResourceType("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", False),
    ResourceType("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, (), ("sc",)),
    ResourceType("apps", "v1", "deployments", "Deployment", True, ("status", "scale"), ("deploy",)),
    ResourceType("apps", "v1", "statefulsets", "StatefulSet", True, ("status", "scale"), ("sts",)),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet", True, STATUS, ("ds",)),
    ResourceType("batch", "v1", "jobs", "Job", True, STATUS),
    ResourceType("batch", "v1", "cronjobs", "CronJob", True, STATUS, ("cj",)),
    # Served so that RBAC answers for them as a cluster does (tenants must get 403, not 404).
    ResourceType("", "v1", "persistentvolumes", "PersistentVolume", False, STATUS, ("pv",)),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        STATUS,
        ("crd",),
    ),
    ResourceType(ADMISSION, "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False),
    ResourceType(ADMISSION, "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False),
    ResourceType("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, (), ("pc",)),
    ResourceType("networking.k8s.io", "v1", "ingresses", "Ingress", True, STATUS, ("ing",)),
    ResourceType("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True, read_only=True),
    ResourceType("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False, read_only=True),
)

BY_PATH: dict[tuple[str, str, str], ResourceType] = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND: dict[tuple[str, str], ResourceType] = {(r.api_version, r.kind): r for r in RESOURCES}


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    return BY_PATH.get((group, version, plural))


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    return BY_KIND.get((api_version, kind))


def resource_of(group: str, plural: str) -> ResourceType:
    """A resource the emulator always serves, by (group, plural); a typo is a LookupError."""
    resource = by_plural(group, plural)
    if resource is None:
        raise LookupError(f"{group}/{plural} is not served by the emulator")
    return resource


def resource_of_kind(api_version: str, kind: str) -> ResourceType:
    """A resource the emulator always serves, by (apiVersion, kind); a typo is a LookupError."""
    resource = by_kind(api_version, kind)
    if resource is None:
        raise LookupError(f"{api_version} {kind} is not served by the emulator")
    return resource


def by_plural(group: str, plural: str) -> ResourceType | None:
    """The served resource for an RBAC-style (group, resource) pair, any version."""
    for resource in RESOURCES:
        if resource.group == group and resource.plural == plural:
            return resource
    return None

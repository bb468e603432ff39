"""The desired state of a tenant namespace, independent of Django and of the Kubernetes client.

The manifest builders in ``clusters.kube.manifests`` only ever see these frozen values, so
they stay pure and trivially testable; ``namespace_spec_from_model`` is the one place that
turns database rows into a spec.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# Mirrors of the model choices (``tenants.models``, ``metering.models.Isolation``), kept here so
# that importing the spec or the manifest builders never needs a configured Django; a test keeps
# them in step.
NAMESPACE_ROLES = ("admin", "developer", "viewer")
TRUST_LEVELS = ("public", "trusted")
PUBLIC = "public"
ISOLATION_LEVELS = ("container", "sandbox", "microvm")  # weakest first
# The OpenAPI pattern for resource.Quantity is looser; this one rejects typos like "4gi".
_QUANTITY = re.compile(r"^\+?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

DEFAULT_QUOTA: Mapping[str, str] = MappingProxyType(
    {
        "requests.cpu": "2",
        "limits.cpu": "4",
        "requests.memory": "4Gi",
        "limits.memory": "8Gi",
        "requests.storage": "20Gi",
        "requests.ephemeral-storage": "10Gi",
        "limits.ephemeral-storage": "20Gi",
        "requests.nvidia.com/gpu": "0",
        "persistentvolumeclaims": "10",
        "pods": "50",
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
)
# Public signups are untrusted: a LoadBalancer is a public IP and real money, so they get none.
DEFAULT_TRUST_LEVEL_QUOTA: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "public": {"services.loadbalancers": "0"},
        "trusted": {"services.loadbalancers": "1"},
    }
)
DEFAULT_GPU_QUOTA: Mapping[str, str] = MappingProxyType({"requests.nvidia.com/gpu": "1"})
DEFAULT_LIMIT_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {"cpu": "500m", "memory": "512Mi", "ephemeral-storage": "1Gi"}
)
DEFAULT_LIMIT_DEFAULT_REQUESTS: Mapping[str, str] = MappingProxyType(
    {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "256Mi"}
)
# RFC 1918, carrier-grade NAT (also Alibaba's metadata 100.100.100.200) and link-local
# (the cloud metadata address 169.254.169.254 on AWS, GCP and Azure).
INSTANCE_ID = re.compile(r"[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?")
DEFAULT_PRIVATE_CIDRS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
DEFAULT_EXEMPT_USERNAMES = (
    "system:serviceaccount:tenantry-system:tenantry-console",
    # kube-controller-manager empties a terminating namespace and collects orphans; with
    # --use-service-account-credentials it acts as these accounts, otherwise as itself.
    "system:serviceaccount:kube-system:namespace-controller",
    "system:serviceaccount:kube-system:generic-garbage-collector",
    "system:kube-controller-manager",
)
DEFAULT_EXEMPT_GROUPS = ("system:masters",)


def _frozen_quantities(values: Mapping[str, Any], what: str) -> Mapping[str, str]:
    quantities = {str(key): str(value) for key, value in values.items()}
    for key, value in quantities.items():
        if not _QUANTITY.match(value):
            raise ValueError(f"{what} {key!r}: {value!r} is not a Kubernetes quantity")
    return MappingProxyType(dict(sorted(quantities.items())))


def _sorted_unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(names)))


@dataclass(frozen=True)
class PlatformSettings:
    """Cluster-wide names the console uses; the same for every tenant on a cluster."""

    system_namespace: str = "tenantry-system"
    ingress_namespace: str = "ingress-nginx"
    managed_by: str = "tenantry"
    # Which console made an object, when several share a cluster (part of the ownership marks).
    instance_id: str = "default"
    label_prefix: str = "tenantry.io/"
    dns_namespace: str = "kube-system"
    dns_pod_labels: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"k8s-app": "kube-dns"})
    )
    private_cidrs: tuple[str, ...] = DEFAULT_PRIVATE_CIDRS
    # IngressClasses tenant Ingresses may name.
    ingress_classes: tuple[str, ...] = ("nginx",)
    exempt_usernames: tuple[str, ...] = DEFAULT_EXEMPT_USERNAMES
    exempt_groups: tuple[str, ...] = DEFAULT_EXEMPT_GROUPS

    def __post_init__(self) -> None:
        if not self.label_prefix.endswith("/"):
            raise ValueError("label_prefix must end with '/'")
        if not INSTANCE_ID.fullmatch(self.instance_id):
            raise ValueError(
                f"instance id {self.instance_id!r}: lowercase letters, digits and '-', at most 40 characters"
            )
        object.__setattr__(
            self, "dns_pod_labels", MappingProxyType(dict(sorted(self.dns_pod_labels.items())))
        )

    @property
    def is_default_instance(self) -> bool:
        return self.instance_id == "default"

    def scoped(self, name: str) -> str:
        """A cluster-wide object's name for this console instance: ``tenant-admin`` for the
        default instance, ``tenant-admin-staging`` for instance ``staging``, so consoles
        sharing a cluster never apply over each other's ClusterRoles and policies."""
        return name if self.is_default_instance else f"{name}-{self.instance_id}"

    def instance_match_labels(self) -> dict[str, str]:
        """Extra labels a policy's selector needs to see only this instance's objects: none for
        the default instance (a cluster's only console guards every console-made object)."""
        return {} if self.is_default_instance else {self.label("instance"): self.instance_id}

    def label(self, name: str) -> str:
        """The full key of one of the console's own labels or annotations, e.g. ``tenantry.io/team``."""
        return f"{self.label_prefix}{name}"

    def user_service_account(self, user_id: int) -> str:
        return f"u{user_id}"

    def user_username(self, user_id: int) -> str:
        """The username the API server sees for a user's kubeconfig token."""
        return f"system:serviceaccount:{self.system_namespace}:{self.user_service_account(user_id)}"


def platform_settings_from_django(settings: Any) -> PlatformSettings:
    """Read the optional ``TENANTRY_*`` overrides from Django settings; defaults otherwise."""
    defaults = PlatformSettings()
    system_namespace = getattr(settings, "TENANTRY_SYSTEM_NAMESPACE", defaults.system_namespace)
    console_username = getattr(
        settings,
        "TENANTRY_CONSOLE_USERNAME",
        f"system:serviceaccount:{system_namespace}:tenantry-console",
    )
    return PlatformSettings(
        system_namespace=system_namespace,
        ingress_namespace=getattr(settings, "TENANTRY_INGRESS_NAMESPACE", defaults.ingress_namespace),
        instance_id=getattr(settings, "TENANTRY_INSTANCE_ID", defaults.instance_id),
        ingress_classes=tuple(getattr(settings, "TENANTRY_INGRESS_CLASSES", defaults.ingress_classes)),
        private_cidrs=tuple(getattr(settings, "TENANTRY_PRIVATE_CIDRS", defaults.private_cidrs)),
        exempt_usernames=(console_username, *DEFAULT_EXEMPT_USERNAMES[1:]),
    )


@dataclass(frozen=True, order=True)
class MemberBinding:
    """One user's role in one namespace, which becomes one RoleBinding."""

    user_id: int
    role: str

    def __post_init__(self) -> None:
        if self.role not in NAMESPACE_ROLES:
            raise ValueError(f"unknown namespace role {self.role!r}")


@dataclass(frozen=True)
class TenantNamespaceSpec:
    """Everything the cluster must hold for one tenant namespace.

    ``allowed_runtime_classes`` empty with ``runtime_policy_enforced`` means no pod may run
    yet (fail closed until a runtime is chosen); ``runtime_policy_enforced`` false leaves
    the runtime to the cluster default. ``denied_storage_classes`` get a zero quota.
    """

    name: str
    team_slug: str
    team_id: int
    namespace_id: int
    trust_level: str
    members: tuple[MemberBinding, ...] = ()
    # Every active member of the team, whatever their role: whom tenant RoleBindings may name.
    team_member_ids: tuple[int, ...] = ()
    # Hosts the namespace's routes may name: these and names under them (the team's subdomain
    # of the apps domain and its verified custom domains).
    allowed_host_suffixes: tuple[str, ...] = ()
    # ``host/path`` other namespaces serve under those hosts (the console's record of claims).
    taken_routes: tuple[str, ...] = ()
    # Gateways (``namespace/name``) the namespace's Gateway API routes may attach to.
    allowed_gateways: tuple[str, ...] = ()
    # Each pod's bandwidth caps (bits per second, a quantity such as ``100M``); None: no cap.
    egress_bandwidth: str | None = None
    ingress_bandwidth: str | None = None
    quota: Mapping[str, str] = field(default_factory=lambda: DEFAULT_QUOTA)
    limit_defaults: Mapping[str, str] = field(default_factory=lambda: DEFAULT_LIMIT_DEFAULTS)
    limit_default_requests: Mapping[str, str] = field(default_factory=lambda: DEFAULT_LIMIT_DEFAULT_REQUESTS)
    allowed_runtime_classes: tuple[str, ...] = ()
    default_runtime_class: str | None = None
    runtime_policy_enforced: bool = True
    allowed_storage_classes: tuple[str, ...] | None = None
    denied_storage_classes: tuple[str, ...] = ()
    # Suspended (a prepaid team in debt): a zero-pod quota, workloads scaled to zero.
    suspended: bool = False

    def __post_init__(self) -> None:
        if not _DNS1123_SUBDOMAIN.match(self.name) or len(self.name) > 63 or "." in self.name:
            raise ValueError(f"{self.name!r} is not a DNS-1123 label")
        if not _LABEL_VALUE.match(self.team_slug) or len(self.team_slug) > 63:
            raise ValueError(f"team slug {self.team_slug!r} cannot be a label value")
        if self.trust_level not in TRUST_LEVELS:
            raise ValueError(f"unknown trust level {self.trust_level!r}")
        user_ids = [member.user_id for member in self.members]
        if len(user_ids) != len(set(user_ids)):
            raise ValueError("a user may have only one role in a namespace")
        object.__setattr__(self, "members", tuple(sorted(self.members)))
        object.__setattr__(self, "taken_routes", _sorted_unique(self.taken_routes))
        object.__setattr__(self, "allowed_gateways", _sorted_unique(self.allowed_gateways))
        for bandwidth in (self.egress_bandwidth, self.ingress_bandwidth):
            if bandwidth is not None and not _QUANTITY.match(bandwidth):
                raise ValueError(f"bandwidth {bandwidth!r} is not a Kubernetes quantity")
        for gateway in self.allowed_gateways:
            namespace, _, name = gateway.partition("/")
            if not (_DNS1123_SUBDOMAIN.match(namespace) and _DNS1123_SUBDOMAIN.match(name)):
                raise ValueError(f"gateway {gateway!r} is not namespace/name")
        object.__setattr__(self, "quota", _frozen_quantities(self.quota, "quota"))
        object.__setattr__(self, "limit_defaults", _frozen_quantities(self.limit_defaults, "limit"))
        object.__setattr__(
            self, "limit_default_requests", _frozen_quantities(self.limit_default_requests, "request")
        )
        allowed = _sorted_unique(self.allowed_runtime_classes)
        for runtime_class in allowed:
            if not _DNS1123_SUBDOMAIN.match(runtime_class):
                raise ValueError(f"{runtime_class!r} is not a RuntimeClass name")
        object.__setattr__(self, "allowed_runtime_classes", allowed)
        default = self.default_runtime_class
        if default is not None:
            if default not in allowed:
                raise ValueError(f"default runtime class {default!r} is not among the allowed ones")
            # It travels in a label so the mutating policy's namespace selector can find it.
            if not _LABEL_VALUE.match(default) or len(default) > 63:
                raise ValueError(f"default runtime class {default!r} cannot be a label value")
        if not self.runtime_policy_enforced and (allowed or default):
            raise ValueError("runtime classes given but the runtime policy is not enforced")
        if self.allowed_storage_classes is not None:
            object.__setattr__(self, "allowed_storage_classes", _sorted_unique(self.allowed_storage_classes))
        object.__setattr__(self, "denied_storage_classes", _sorted_unique(self.denied_storage_classes))
        if set(self.denied_storage_classes) & set(self.allowed_storage_classes or ()):
            raise ValueError("a storage class cannot be both allowed and denied")


@dataclass(frozen=True)
class RuntimeChoice:
    """The runtime selector's verdict for a namespace, passed into the spec builder."""

    allowed: tuple[str, ...]
    default: str | None = None
    enforced: bool = True  # False: pods keep the node's default handler (see metering.runtime)


def _quota_for(team: Any, settings: Any, overrides: Mapping[str, str] | None, *, needs_gpu: bool) -> dict:
    quota = dict(getattr(settings, "TENANTRY_DEFAULT_QUOTA", DEFAULT_QUOTA))
    by_trust = getattr(settings, "TENANTRY_TRUST_LEVEL_QUOTA", DEFAULT_TRUST_LEVEL_QUOTA)
    quota.update(by_trust.get(team.trust_level, {}))
    if needs_gpu:
        quota.update(getattr(settings, "TENANTRY_GPU_QUOTA", DEFAULT_GPU_QUOTA))
    quota.update(overrides or {})
    return quota


def _apps_domain(namespace: Any, settings: Any) -> str:
    """The apps domain of the namespace's cluster (the console's when the cluster sets none)."""
    return namespace.cluster.apps_domain or settings.TENANTRY_APPS_DOMAIN


def plan_network(plan: str, settings: Any) -> tuple[tuple[str, ...], Mapping[str, str]]:
    """A plan's shared Gateways and per-pod bandwidth caps (``egress``/``ingress``) from
    ``TENANTRY_PLANS``; unknown plans are "starter", as for quotas."""
    plans = getattr(settings, "TENANTRY_PLANS", {})
    spec = plans.get(plan) or plans.get("starter") or {}
    return tuple(spec.get("gateways", ())), MappingProxyType(dict(spec.get("bandwidth", {})))


def _members_for(namespace: Any) -> tuple[tuple[MemberBinding, ...], tuple[int, ...]]:
    """The RoleBindings the console makes, and the ids of every active team member, as the
    permission module says (imported here: only building from a model needs Django)."""
    from tenants.permissions import namespace_cluster_access

    roles, team_member_ids = namespace_cluster_access(namespace)
    return tuple(sorted(MemberBinding(user_id, role) for user_id, role in roles.items())), team_member_ids


def namespace_spec_from_model(
    namespace: Any,
    *,
    settings: Any,
    runtime: RuntimeChoice | None = None,
    cluster_storage_classes: Iterable[str] = (),
    quota_overrides: Mapping[str, str] | None = None,
    suspended: bool = False,
    min_isolation: str = "",
    needs_gpu: bool = False,
) -> TenantNamespaceSpec:
    """Build the spec of a ``tenants.Namespace`` in at most seven queries.

    ``runtime`` is the runtime selector's verdict. Without one, namespaces that need more
    than container isolation (every public team's) fail closed: the policy is enforced with
    no allowed class, so nothing runs until a runtime is chosen. ``cluster_storage_classes``
    are the classes the cluster has; those outside ``TENANTRY_ALLOWED_STORAGE_CLASSES`` (all,
    when unset) get a zero quota, as do ``TENANTRY_DENIED_STORAGE_CLASSES``. ``suspended``
    is billing's verdict (a prepaid team in debt past its grace period); ``min_isolation``
    and ``needs_gpu`` are the namespace's runtime policy (metering's).
    """
    team = namespace.team
    if runtime is not None:
        allowed, default, enforced = runtime.allowed, runtime.default, runtime.enforced
    else:
        needs_isolation = team.trust_level == PUBLIC or (
            bool(min_isolation) and ISOLATION_LEVELS.index(min_isolation) > 0
        )
        allowed, default, enforced = (), None, needs_isolation

    allowed_storage = getattr(settings, "TENANTRY_ALLOWED_STORAGE_CLASSES", None)
    denied_storage = set(getattr(settings, "TENANTRY_DENIED_STORAGE_CLASSES", ()))
    if allowed_storage is not None:
        denied_storage |= set(cluster_storage_classes) - set(allowed_storage)

    # Imported here, like the models in _members_for: the builders stay importable without Django.
    from domains.selectors import taken_routes, team_host_suffixes

    limits = getattr(settings, "TENANTRY_DEFAULT_LIMITS", {})
    members, team_member_ids = _members_for(namespace)
    gateways, bandwidth = plan_network(team.plan, settings)
    suffixes = team_host_suffixes(
        team_id=team.pk, team_slug=team.slug, apps_domain=_apps_domain(namespace, settings)
    )
    return TenantNamespaceSpec(
        name=namespace.name,
        team_slug=team.slug,
        team_id=team.pk,
        namespace_id=namespace.pk,
        trust_level=team.trust_level,
        members=members,
        team_member_ids=team_member_ids,
        allowed_host_suffixes=suffixes,
        taken_routes=taken_routes(
            namespace_id=namespace.pk, cluster_id=namespace.cluster_id, suffixes=suffixes
        ),
        allowed_gateways=gateways,
        egress_bandwidth=bandwidth.get("egress"),
        ingress_bandwidth=bandwidth.get("ingress"),
        quota=_quota_for(team, settings, quota_overrides, needs_gpu=needs_gpu),
        limit_defaults=limits.get("default", DEFAULT_LIMIT_DEFAULTS),
        limit_default_requests=limits.get("defaultRequest", DEFAULT_LIMIT_DEFAULT_REQUESTS),
        allowed_runtime_classes=tuple(allowed),
        default_runtime_class=default,
        runtime_policy_enforced=enforced,
        allowed_storage_classes=None if allowed_storage is None else tuple(allowed_storage),
        denied_storage_classes=tuple(denied_storage),
        suspended=suspended,
    )

"""The objects inside (and the object that is) one tenant namespace."""

from clusters.kube.manifests import names
from clusters.kube.manifests.common import managed_labels, obj, pod_security_labels, tenant_labels
from clusters.kube.spec import PlatformSettings, TenantNamespaceSpec

STORAGE_CLASS_QUOTA_SUFFIX = ".storageclass.storage.k8s.io/"
ALL_PODS: dict = {}  # an empty podSelector selects every pod in the namespace


def namespace_object(spec: TenantNamespaceSpec, platform: PlatformSettings) -> dict:
    """The Namespace, labelled with its team and restricted Pod Security.

    The runtime policy lives on the Namespace because tenants cannot write cluster-scoped
    objects: the admission policy can trust what it reads there. Label values cannot hold
    commas, so the allowed list is an annotation; the label only switches enforcement on.
    """
    labels = {
        **tenant_labels(platform, spec.name),
        platform.label(names.LABEL_TENANT): "true",
        platform.label(names.LABEL_TEAM): spec.team_slug,
        platform.label(names.LABEL_TEAM_ID): str(spec.team_id),
        platform.label(names.LABEL_NAMESPACE_ID): str(spec.namespace_id),
        platform.label(names.LABEL_TRUST_LEVEL): spec.trust_level,
        **pod_security_labels(),
    }
    annotations = {
        platform.label(names.ANNOTATION_MEMBER_ACCOUNTS): ",".join(
            platform.user_service_account(user_id) for user_id in spec.team_member_ids
        ),
        platform.label(names.ANNOTATION_ALLOWED_HOSTS): ",".join(spec.allowed_host_suffixes),
        platform.label(names.ANNOTATION_TAKEN_ROUTES): ",".join(spec.taken_routes),
        platform.label(names.ANNOTATION_ALLOWED_GATEWAYS): ",".join(spec.allowed_gateways),
    }
    for key, bandwidth in (
        (names.ANNOTATION_EGRESS_BANDWIDTH, spec.egress_bandwidth),
        (names.ANNOTATION_INGRESS_BANDWIDTH, spec.ingress_bandwidth),
    ):
        if bandwidth is not None:
            annotations[platform.label(key)] = bandwidth
    if spec.runtime_policy_enforced:
        labels[platform.label(names.LABEL_RUNTIME_POLICY)] = names.RUNTIME_POLICY_ENFORCED
        annotations[platform.label(names.ANNOTATION_ALLOWED_RUNTIME_CLASSES)] = ",".join(
            spec.allowed_runtime_classes
        )
        if spec.default_runtime_class:
            labels[platform.label(names.LABEL_DEFAULT_RUNTIME_CLASS)] = spec.default_runtime_class
    namespace = obj("v1", "Namespace", spec.name, dict(sorted(labels.items())))
    namespace["metadata"]["annotations"] = dict(sorted(annotations.items()))
    return namespace


def resource_quota_hard(spec: TenantNamespaceSpec) -> dict[str, str]:
    """The quota's ``hard`` map: the spec's quota plus a zero for each denied StorageClass.

    A zero per-class quota is the only namespaced way to forbid a StorageClass; both bytes
    and claim count are zeroed so even a zero-byte claim is refused. NodePorts are zero
    whatever the spec says: a NodePort opens a port on every shared node (MTB HI-2).
    """
    hard = dict(spec.quota)
    hard["services.nodeports"] = "0"
    for storage_class in spec.denied_storage_classes:
        prefix = f"{storage_class}{STORAGE_CLASS_QUOTA_SUFFIX}"
        hard[f"{prefix}requests.storage"] = "0"
        hard[f"{prefix}persistentvolumeclaims"] = "0"
    return dict(sorted(hard.items()))


def _quota(spec: TenantNamespaceSpec, platform: PlatformSettings, name: str, hard: dict[str, str]) -> dict:
    return obj(
        "v1", "ResourceQuota", name, tenant_labels(platform, spec.name), spec.name, spec={"hard": hard}
    )


def resource_quota(spec: TenantNamespaceSpec, platform: PlatformSettings) -> dict:
    """Caps compute, storage, GPUs and object counts (MTB FNS-1, FNS-2); ``services.nodeports``
    is zero so no tenant opens a port on every node (HI-2)."""
    return _quota(spec, platform, names.RESOURCE_QUOTA, resource_quota_hard(spec))


def suspend_quota(spec: TenantNamespaceSpec, platform: PlatformSettings) -> dict:
    """A second quota of zero pods while the namespace is suspended: the tenant's workloads are
    scaled to zero by the provisioner and nothing new starts, whatever the tenant scales."""
    return _quota(spec, platform, names.SUSPEND_QUOTA, {"pods": "0"})


def limit_range(spec: TenantNamespaceSpec, platform: PlatformSettings) -> dict:
    """Default container requests and limits. A quota on requests/limits makes the API server
    reject pods that state none; these defaults let plain ``kubectl run`` pods start."""
    return obj(
        "v1",
        "LimitRange",
        names.LIMIT_RANGE,
        tenant_labels(platform, spec.name),
        spec.name,
        spec={
            "limits": [
                {
                    "type": "Container",
                    "default": dict(spec.limit_defaults),
                    "defaultRequest": dict(spec.limit_default_requests),
                }
            ]
        },
    )


def _network_policy(spec: TenantNamespaceSpec, platform: PlatformSettings, name: str, **policy) -> dict:
    labels = tenant_labels(platform, spec.name)
    return obj("networking.k8s.io/v1", "NetworkPolicy", name, labels, spec.name, spec=policy)


def network_policies(spec: TenantNamespaceSpec, platform: PlatformSettings) -> list[dict]:
    """Default deny, then the few allowances a tenant needs (MTB NI-1).

    Policies are additive, so the deny-all one makes every other flow opt-in: pods talk
    within their namespace, receive traffic only from the ingress controller, resolve names
    through cluster DNS, and reach the internet but not private ranges — other tenants' pods,
    nodes and the cloud metadata endpoint 169.254.169.254 all live there. Connections
    between two tenants need both sides to allow them, which these never do.
    """
    by_name = {names.METADATA_NAME_LABEL: platform.ingress_namespace}
    dns_namespace = {names.METADATA_NAME_LABEL: platform.dns_namespace}
    dns_ports = [{"protocol": protocol, "port": 53} for protocol in ("UDP", "TCP")]
    return [
        _network_policy(
            spec,
            platform,
            names.NETWORK_POLICY_DEFAULT_DENY,
            podSelector=ALL_PODS,
            policyTypes=["Ingress", "Egress"],
        ),
        _network_policy(
            spec,
            platform,
            names.NETWORK_POLICY_SAME_NAMESPACE,
            podSelector=ALL_PODS,
            policyTypes=["Ingress", "Egress"],
            ingress=[{"from": [{"podSelector": ALL_PODS}]}],
            egress=[{"to": [{"podSelector": ALL_PODS}]}],
        ),
        _network_policy(
            spec,
            platform,
            names.NETWORK_POLICY_INGRESS_CONTROLLER,
            podSelector=ALL_PODS,
            policyTypes=["Ingress"],
            ingress=[{"from": [{"namespaceSelector": {"matchLabels": by_name}}]}],
        ),
        _network_policy(
            spec,
            platform,
            names.NETWORK_POLICY_DNS,
            podSelector=ALL_PODS,
            policyTypes=["Egress"],
            egress=[
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": dns_namespace},
                            "podSelector": {"matchLabels": dict(platform.dns_pod_labels)},
                        }
                    ],
                    "ports": dns_ports,
                }
            ],
        ),
        _network_policy(
            spec,
            platform,
            names.NETWORK_POLICY_INTERNET_EGRESS,
            podSelector=ALL_PODS,
            policyTypes=["Egress"],
            egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(platform.private_cidrs)}}]}],
        ),
    ]


def role_bindings(spec: TenantNamespaceSpec, platform: PlatformSettings) -> list[dict]:
    """One RoleBinding per member, to the user's ServiceAccount in the system namespace.

    Always a RoleBinding, never a ClusterRoleBinding: a ClusterRole bound this way grants
    its rules in this namespace only (MTB TI-2).
    """
    bindings = []
    for member in spec.members:
        labels = {
            **tenant_labels(platform, spec.name),
            platform.label(names.LABEL_USER_ID): str(member.user_id),
            platform.label(names.LABEL_ROLE): member.role,
        }
        bindings.append(
            obj(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                names.role_binding_name(member.user_id),
                dict(sorted(labels.items())),
                spec.name,
                roleRef={
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": platform.scoped(names.cluster_role_name(member.role)),
                },
                subjects=[
                    {
                        "kind": "ServiceAccount",
                        "name": platform.user_service_account(member.user_id),
                        "namespace": platform.system_namespace,
                    }
                ],
            )
        )
    return bindings


def tenant_namespace_objects(spec: TenantNamespaceSpec, platform: PlatformSettings) -> list[dict]:
    """Every object one tenant namespace needs, Namespace first, in a stable order."""
    return [
        namespace_object(spec, platform),
        resource_quota(spec, platform),
        *([suspend_quota(spec, platform)] if spec.suspended else []),
        limit_range(spec, platform),
        *network_policies(spec, platform),
        *role_bindings(spec, platform),
    ]


def user_service_account(user_id: int, platform: PlatformSettings) -> dict:
    """The ServiceAccount in the system namespace whose tokens make up a user's kubeconfig.

    Tokens are never auto-mounted: the account exists only to be bound and to receive
    short-lived tokens through the TokenRequest API.
    """
    labels = managed_labels(platform, names.COMPONENT_USER, **{names.LABEL_USER_ID: str(user_id)})
    return obj(
        "v1",
        "ServiceAccount",
        platform.user_service_account(user_id),
        labels,
        platform.system_namespace,
        automountServiceAccountToken=False,
    )

"""Names and label keys shared by the manifest builders, the provisioner and the tests.

Keys under the console's own prefix are given without it (``LABEL_TEAM = "team"``);
``PlatformSettings.label`` adds the prefix, which is configurable per installation.
"""

# Well-known Kubernetes keys.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
METADATA_NAME_LABEL = "kubernetes.io/metadata.name"
POD_SECURITY_PREFIX = "pod-security.kubernetes.io/"
POD_SECURITY_LEVEL = "restricted"
POD_SECURITY_VERSION = "latest"

# The console's own keys (prefix added by PlatformSettings.label).
LABEL_TENANT = "tenant"
LABEL_TEAM = "team"
LABEL_TEAM_ID = "team-id"
LABEL_NAMESPACE_ID = "namespace-id"
LABEL_TRUST_LEVEL = "trust-level"
LABEL_OWNER_NAMESPACE = "owner-namespace"
LABEL_COMPONENT = "component"
LABEL_INSTANCE = "instance"
LABEL_USER_ID = "user-id"
LABEL_ROLE = "role"
LABEL_RUNTIME_POLICY = "runtime-policy"
LABEL_DEFAULT_RUNTIME_CLASS = "default-runtime-class"
ANNOTATION_ALLOWED_RUNTIME_CLASSES = "allowed-runtime-classes"
# The console ServiceAccounts (u<id>) of the team's members: who tenant RoleBindings may name.
ANNOTATION_MEMBER_ACCOUNTS = "member-accounts"
# Host suffixes the namespace's Ingresses may name (the team's subdomain and verified domains).
ANNOTATION_ALLOWED_HOSTS = "allowed-hosts"
# Host+paths (``host/path``) other namespaces already serve under those hosts: the console's
# record of route claims, refused to this namespace so no two namespaces serve the same one.
ANNOTATION_TAKEN_ROUTES = "taken-routes"
# Each pod's bandwidth cap from the team's plan (a quantity in bits per second).
ANNOTATION_EGRESS_BANDWIDTH = "egress-bandwidth"
ANNOTATION_INGRESS_BANDWIDTH = "ingress-bandwidth"
# Gateways (``namespace/name``) the namespace's Gateway API routes may attach to (the plan's).
ANNOTATION_ALLOWED_GATEWAYS = "allowed-gateways"

RUNTIME_POLICY_ENFORCED = "enforced"
COMPONENT_TENANT = "tenant"
COMPONENT_BOOTSTRAP = "bootstrap"
COMPONENT_USER = "user"

# Gateway API routes that name hostnames: tenants may write them, the admission policies check
# them like Ingresses. TCP and UDP routes carry no hostname, so they are not granted.
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
GATEWAY_ROUTES = ("grpcroutes", "httproutes", "tlsroutes")

# Objects in each tenant namespace.
RESOURCE_QUOTA = "tenant-quota"
LIMIT_RANGE = "tenant-limits"
NETWORK_POLICY_DEFAULT_DENY = "tenant-default-deny"
NETWORK_POLICY_SAME_NAMESPACE = "tenant-allow-same-namespace"
NETWORK_POLICY_INGRESS_CONTROLLER = "tenant-allow-ingress-controller"
NETWORK_POLICY_DNS = "tenant-allow-dns"
NETWORK_POLICY_INTERNET_EGRESS = "tenant-allow-internet-egress"
ROLE_BINDING_PREFIX = "tenantry-u"
# While a namespace is suspended: no pod may start (the tenant's own quota is left as it is).
# The name predates the provisioner applying it, so a namespace suspended before keeps one object.
SUSPEND_QUOTA = "tenantry-billing-suspend"

# Cluster-wide objects.
CLUSTER_ROLE_PREFIX = "tenant-"
TENANT_ROLES = ("admin", "developer", "viewer")
POLICY_PROTECT_MANAGED = "tenantry-protect-managed-objects"
POLICY_RUNTIME_CLASS = "tenantry-runtime-class"
POLICY_TENANT_NETWORK_POLICY = "tenantry-tenant-network-policies"
POLICY_DEFAULT_RUNTIME_CLASS = "tenantry-default-runtime-class"
POLICY_ALWAYS_PULL_IMAGES = "tenantry-always-pull-images"
POLICY_TENANT_ROLE_BINDINGS = "tenantry-tenant-role-bindings"
POLICY_TENANT_ROLES = "tenantry-tenant-roles"
POLICY_TENANT_INGRESSES = "tenantry-tenant-ingresses"
POLICY_POD_BANDWIDTH_LIMITS = "tenantry-pod-bandwidth-limits"
POLICY_POD_BANDWIDTH_DEFAULTS = "tenantry-pod-bandwidth-defaults"
POLICY_TENANT_HTTP_ROUTES = "tenantry-tenant-http-routes"
POLICY_TENANT_GATEWAY_ROUTES = "tenantry-tenant-gateway-routes"


def cluster_role_name(role: str) -> str:
    """``admin`` → ``tenant-admin``: the ClusterRole a namespace role is bound to."""
    if role not in TENANT_ROLES:
        raise ValueError(f"unknown tenant role {role!r}")
    return f"{CLUSTER_ROLE_PREFIX}{role}"


def role_binding_name(user_id: int) -> str:
    return f"{ROLE_BINDING_PREFIX}{user_id}"

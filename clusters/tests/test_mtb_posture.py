"""The multi-tenancy benchmark (kubectl-mtb) checks that object content alone can decide.

One test per check in ``shared/reference/mtb-checks.md``; each is named after its check id.
They prove the generated objects have the right shape; the cluster end-to-end suite proves
the API server then behaves accordingly.
"""

import ipaddress

import pytest

from clusters.kube.manifests import (
    always_pull_images_objects,
    bootstrap_objects,
    names,
    rules_allow,
    tenant_namespace_objects,
)
from clusters.kube.manifests.tenant import resource_quota_hard
from clusters.kube.spec import DEFAULT_QUOTA, MemberBinding, PlatformSettings, TenantNamespaceSpec

PLATFORM = PlatformSettings()
SPEC = TenantNamespaceSpec(
    name="acme-prod",
    team_slug="acme",
    team_id=1,
    namespace_id=10,
    trust_level="public",
    members=(MemberBinding(1, "admin"), MemberBinding(2, "developer"), MemberBinding(3, "viewer")),
    quota={**DEFAULT_QUOTA, "services.nodeports": "3"},
    allowed_runtime_classes=("gvisor",),
    default_runtime_class="gvisor",
)
OBJECTS = tenant_namespace_objects(SPEC, PLATFORM)
BOOTSTRAP = bootstrap_objects(PLATFORM)
ROLES = {o["metadata"]["name"]: o["rules"] for o in BOOTSTRAP if o["kind"] == "ClusterRole"}
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
TENANT_USERNAME = PLATFORM.user_username(2)
TENANT_GROUPS = (
    "system:serviceaccounts",
    f"system:serviceaccounts:{PLATFORM.system_namespace}",
    "system:authenticated",
)

# (api group, resource) of cluster-scoped kinds a tenant must never reach.
CLUSTER_SCOPED = (
    ("", "nodes"),
    ("", "namespaces"),
    ("", "persistentvolumes"),
    ("", "componentstatuses"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "csidrivers"),
    ("storage.k8s.io", "volumeattachments"),
    ("node.k8s.io", "runtimeclasses"),
    ("scheduling.k8s.io", "priorityclasses"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    ("certificates.k8s.io", "certificatesigningrequests"),
    ("networking.k8s.io", "ingressclasses"),
    ("apiregistration.k8s.io", "apiservices"),
    ("metrics.k8s.io", "nodes"),
)
# Every (group, resource) the roles may name: namespaced kinds and their subresources.
NAMESPACED = {
    "": {
        "configmaps", "endpoints", "events", "limitranges", "persistentvolumeclaims",
        "persistentvolumeclaims/status", "pods", "pods/attach", "pods/ephemeralcontainers",
        "pods/eviction", "pods/exec", "pods/log", "pods/portforward", "pods/status",
        "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status",
        "resourcequotas", "resourcequotas/status", "secrets", "serviceaccounts",
        "serviceaccounts/token", "services", "services/status",
    },
    "apps": {
        "controllerrevisions", "daemonsets", "deployments", "deployments/scale", "replicasets",
        "replicasets/scale", "statefulsets", "statefulsets/scale",
    },
    "autoscaling": {"horizontalpodautoscalers"},
    "batch": {"cronjobs", "jobs"},
    "coordination.k8s.io": {"leases"},
    "discovery.k8s.io": {"endpointslices"},
    "events.k8s.io": {"events"},
    "metrics.k8s.io": {"pods"},
    "networking.k8s.io": {"ingresses", "networkpolicies"},
    "gateway.networking.k8s.io": {"grpcroutes", "httproutes", "tlsroutes"},
    "policy": {"poddisruptionbudgets"},
    "rbac.authorization.k8s.io": {"roles", "rolebindings"},
    "authorization.k8s.io": {"localsubjectaccessreviews"},
}  # fmt: skip


def namespace_labels() -> dict:
    return OBJECTS[0]["metadata"]["labels"]


def network_policies() -> list[dict]:
    return [o for o in OBJECTS if o["kind"] == "NetworkPolicy"]


def policy(name: str) -> dict:
    return next(
        o for o in BOOTSTRAP if o["kind"] == "ValidatingAdmissionPolicy" and o["metadata"]["name"] == name
    )


def egress_allows_ip(address: str) -> bool:
    """Whether any egress rule of the tenant's policies admits ``address`` by ipBlock."""
    ip = ipaddress.ip_address(address)
    for item in network_policies():
        for rule in item["spec"].get("egress", []):
            for peer in rule.get("to", []):
                block = peer.get("ipBlock")
                if not block or ip not in ipaddress.ip_network(block["cidr"]):
                    continue
                if not any(ip in ipaddress.ip_network(cidr) for cidr in block.get("except", [])):
                    return True
    return False


# Pod Security "restricted" rejects what each of these checks tries.
POD_SECURITY_CHECKS = [
    "MTB-PL1-BC-CPI-3",  # add capabilities
    "MTB-PL1-BC-CPI-4",  # run as root
    "MTB-PL1-BC-CPI-5",  # privileged
    "MTB-PL1-BC-CPI-6",  # allowPrivilegeEscalation
    "MTB-PL1-BC-HI-1",  # hostPath
    "MTB-PL1-BC-HI-3",  # hostNetwork, hostPort
    "MTB-PL1-BC-HI-4",  # hostPID
    "MTB-PL1-BC-HI-5",  # hostIPC
]


@pytest.mark.parametrize("check", POD_SECURITY_CHECKS)
def test_pod_security_restricted_is_enforced(check):
    labels = namespace_labels()
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", check
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "latest", check


def test_mtb_pl1_cc_cpi_1_block_access_to_cluster_resources():
    for role, rules in ROLES.items():
        for group, resource in CLUSTER_SCOPED:
            for verb in VERBS:
                assert not rules_allow(rules, verb=verb, resource=resource, api_group=group), (
                    role,
                    resource,
                    verb,
                )
        for rule in rules:
            for group in rule["apiGroups"]:
                assert set(rule["resources"]) <= NAMESPACED[group], (role, group, rule["resources"])


def test_mtb_pl1_bc_cpi_2_block_multitenant_resources():
    protect = policy(names.POLICY_PROTECT_MANAGED)["spec"]
    constraints = protect["matchConstraints"]
    guarded = {
        (group, resource): set(rule["operations"])
        for rule in constraints["resourceRules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    for key in [("rbac.authorization.k8s.io", "rolebindings"), ("networking.k8s.io", "networkpolicies")]:
        assert {"UPDATE", "DELETE", "CREATE"} <= guarded[key]
    selector = constraints["objectSelector"]["matchLabels"]
    for item in OBJECTS:
        if item["kind"] in ("RoleBinding", "NetworkPolicy", "ResourceQuota", "LimitRange"):
            assert selector.items() <= item["metadata"]["labels"].items()
    exempt = protect["variables"][0]["expression"]
    assert protect["validations"][0]["expression"] == "variables.isConsoleOrSystem"
    assert TENANT_USERNAME not in exempt
    assert not any(f'"{group}"' in exempt for group in TENANT_GROUPS)
    assert not set(TENANT_GROUPS) & set(PLATFORM.exempt_groups)
    assert protect["failurePolicy"] == "Fail"


def test_mtb_pl1_cc_ti_1_block_modification_of_resource_quotas():
    for role, rules in ROLES.items():
        for resource in ("resourcequotas", "resourcequotas/status", "limitranges"):
            for verb in WRITE_VERBS:
                assert not rules_allow(rules, verb=verb, resource=resource), (role, resource, verb)
    assert rules_allow(ROLES["tenant-viewer"], verb="get", resource="resourcequotas")


def test_mtb_pl1_cc_ti_2_block_access_to_other_tenants_resources():
    assert not [o for o in [*OBJECTS, *BOOTSTRAP] if o["kind"] in ("ClusterRoleBinding", "Role")]
    bindings = [o for o in OBJECTS if o["kind"] == "RoleBinding"]
    assert len(bindings) == len(SPEC.members)
    for binding in bindings:
        assert binding["metadata"]["namespace"] == SPEC.name
        assert binding["roleRef"]["kind"] == "ClusterRole"
        assert binding["roleRef"]["name"] in {"tenant-admin", "tenant-developer", "tenant-viewer"}
        (subject,) = binding["subjects"]
        assert subject["kind"] == "ServiceAccount"
        assert subject["namespace"] == PLATFORM.system_namespace
    assert {b["subjects"][0]["name"] for b in bindings} == {"u1", "u2", "u3"}


def test_mtb_pl1_cc_fns_1_configure_namespace_resource_quotas():
    hard = resource_quota_hard(SPEC)
    for key in ("requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "requests.storage"):
        assert key in hard


def test_mtb_pl1_cc_fns_2_configure_namespace_object_limits():
    hard = resource_quota_hard(SPEC)
    for key in ("pods", "persistentvolumeclaims", "services.loadbalancers", "services.nodeports"):
        assert key in hard
    assert hard["services.loadbalancers"] == "0"


def test_mtb_pl1_bc_hi_2_block_nodeport_services():
    assert SPEC.quota["services.nodeports"] == "3"
    assert resource_quota_hard(SPEC)["services.nodeports"] == "0"


def test_mtb_pl1_cc_di_1_require_image_pull_policy_always():
    policy_object, binding = always_pull_images_objects(PLATFORM)
    expressions = [m["applyConfiguration"]["expression"] for m in policy_object["spec"]["mutations"]]
    assert any("containers: object.spec.containers.map" in e and "'Always'" in e for e in expressions)
    assert any("initContainers: object.spec.initContainers.map" in e for e in expressions)
    assert policy_object["spec"]["matchConstraints"]["namespaceSelector"] == {
        "matchLabels": {"tenantry.io/tenant": "true"}
    }
    assert namespace_labels()["tenantry.io/tenant"] == "true"
    assert binding["spec"]["policyName"] == policy_object["metadata"]["name"]


def test_mtb_pl1_bc_ni_1_default_deny_across_tenants():
    deny = next(o for o in network_policies() if o["metadata"]["name"] == names.NETWORK_POLICY_DEFAULT_DENY)
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

    for item in network_policies():
        for rule in item["spec"].get("ingress", []):
            for peer in rule["from"]:
                assert "ipBlock" not in peer
                if "namespaceSelector" in peer:
                    assert peer == {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
                    }
                else:
                    assert peer == {"podSelector": {}}
        for rule in item["spec"].get("egress", []):
            assert rule.get("to"), "an egress rule without peers allows every destination"
            for peer in rule["to"]:
                if "namespaceSelector" in peer:
                    assert peer["namespaceSelector"] == {
                        "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                    }
                    assert peer["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
                    assert {p["port"] for p in rule["ports"]} == {53}

    for address in ("169.254.169.254", "10.96.0.1", "172.20.1.1", "192.168.0.10", "100.100.100.200"):
        assert not egress_allows_ip(address), address
    assert egress_allows_ip("1.1.1.1")

    tenant_policies = policy(names.POLICY_TENANT_NETWORK_POLICY)["spec"]
    assert tenant_policies["matchConstraints"]["namespaceSelector"] == {
        "matchLabels": {"tenantry.io/tenant": "true"}
    }


def test_mtb_pl2_cc_ti_1_block_role_privilege_escalation():
    for role, rules in ROLES.items():
        for rule in rules:
            assert "*" not in rule["apiGroups"] + rule["resources"] + rule["verbs"], role
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"]), role
        for kind in ("roles", "clusterroles"):
            assert not rules_allow(
                rules, verb="escalate", resource=kind, api_group="rbac.authorization.k8s.io"
            )
            assert not rules_allow(rules, verb="bind", resource=kind, api_group="rbac.authorization.k8s.io")
        for resource in ("users", "groups", "serviceaccounts"):
            assert not rules_allow(rules, verb="impersonate", resource=resource), role


@pytest.mark.parametrize(
    ("check", "group", "resources"),
    [
        ("MTB-PL2-BC-OPS-3", "rbac.authorization.k8s.io", ("roles", "rolebindings")),
        ("MTB-PL2-BC-OPS-4", "networking.k8s.io", ("networkpolicies",)),
    ],
)
def test_only_tenant_admins_manage_their_own_access_and_network_rules(check, group, resources):
    for resource in resources:
        for verb in ("create", "update", "delete"):
            assert rules_allow(ROLES["tenant-admin"], verb=verb, resource=resource, api_group=group), check
            for role in ("tenant-developer", "tenant-viewer"):
                assert not rules_allow(ROLES[role], verb=verb, resource=resource, api_group=group), check


def test_rule_evaluator_sees_wildcards():
    assert rules_allow(
        [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], verb="delete", resource="nodes"
    )
    assert rules_allow(
        [{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["create"]}],
        verb="create",
        resource="pods/exec",
    )
    assert not rules_allow(
        [{"apiGroups": [""], "resources": ["pods/*"], "verbs": ["get"]}], verb="get", resource="pods"
    )
    assert not rules_allow(
        [{"apiGroups": ["apps"], "resources": ["pods"], "verbs": ["get"]}], verb="get", resource="pods"
    )


def test_viewers_cannot_read_secrets():
    assert not rules_allow(ROLES["tenant-viewer"], verb="get", resource="secrets")
    assert rules_allow(ROLES["tenant-developer"], verb="get", resource="secrets")

"""Admission policies: what RBAC cannot express, decided by CEL inside the API server.

Each builder returns the policy followed by its binding. ``json.dumps`` renders Python
strings and lists as CEL literals (CEL accepts JSON's string escapes), so platform names
can never break out of an expression.
"""

import json

from clusters.kube.manifests import names
from clusters.kube.manifests.common import managed_labels, obj
from clusters.kube.spec import PlatformSettings

VALIDATING_API = "admissionregistration.k8s.io/v1"
# MutatingAdmissionPolicy is beta (off by default) from Kubernetes 1.34 and GA in 1.36.
MUTATING_API = "admissionregistration.k8s.io/v1beta1"

# What the console makes inside namespaces; the protection policy guards exactly these.
PROTECTED_RESOURCES = (
    ("", ("limitranges", "resourcequotas", "serviceaccounts")),
    ("networking.k8s.io", ("networkpolicies",)),
    ("rbac.authorization.k8s.io", ("rolebindings", "roles")),
)
# Unique-local and link-local IPv6. IPv4-mapped addresses (::ffff:0:0/96) cannot be listed:
# Kubernetes' CEL ``cidr()`` refuses to parse them, which made the whole expression fail and
# every tenant policy with an ipBlock be refused (found on kube-apiserver 1.35). A tenant
# ipBlock written that way fails to parse in the same way, so it is still refused.
PRIVATE_CIDRS_V6 = ("fc00::/7", "fe80::/10")


def _cel(value) -> str:
    return json.dumps(value)


def _labels(platform: PlatformSettings) -> dict[str, str]:
    return managed_labels(platform, names.COMPONENT_BOOTSTRAP)


def _exempt_expression(platform: PlatformSettings) -> str:
    return (
        f"request.userInfo.username in {_cel(list(platform.exempt_usernames))} || "
        f"request.userInfo.groups.exists(g, g in {_cel(list(platform.exempt_groups))})"
    )


def _validating(platform: PlatformSettings, name: str, spec: dict) -> list[dict]:
    policy = obj(VALIDATING_API, "ValidatingAdmissionPolicy", name, _labels(platform), spec=spec)
    binding = obj(
        VALIDATING_API,
        "ValidatingAdmissionPolicyBinding",
        name,
        _labels(platform),
        spec={"policyName": name, "validationActions": ["Deny"]},
    )
    return [policy, binding]


def _mutating(platform: PlatformSettings, name: str, spec: dict) -> list[dict]:
    policy = obj(MUTATING_API, "MutatingAdmissionPolicy", name, _labels(platform), spec=spec)
    binding = obj(
        MUTATING_API, "MutatingAdmissionPolicyBinding", name, _labels(platform), spec={"policyName": name}
    )
    return [policy, binding]


def _pod_create_rule() -> dict:
    return {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}


def _tenant_namespaces(platform: PlatformSettings) -> dict:
    """The namespaceSelector of the policies that act in this console's tenant namespaces only."""
    return {"matchLabels": {platform.label(names.LABEL_TENANT): "true", **platform.instance_match_labels()}}


def _rbac_write_rule(resource: str) -> dict:
    return {
        "apiGroups": ["rbac.authorization.k8s.io"],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": [resource],
    }


def _tenant_spec(
    platform: PlatformSettings,
    rules: list[dict],
    *,
    validations: list[dict],
    variables: list[dict] | None = None,
) -> dict:
    """A validating policy's spec for writes in tenant namespaces, the console and system exempt."""
    spec: dict = {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": rules, "namespaceSelector": _tenant_namespaces(platform)},
        "matchConditions": [
            {"name": "not-console-or-system", "expression": f"!({_exempt_expression(platform)})"}
        ],
    }
    if variables:
        spec["variables"] = variables
    spec["validations"] = validations
    return spec


def protect_managed_objects_policy(platform: PlatformSettings) -> list[dict]:
    """Only the console (and the cluster's own controllers) may touch console-made objects.

    A tenant admin may write RoleBindings and NetworkPolicies of its own, so RBAC alone
    would let it delete ``tenant-default-deny`` or rebind ``tenantry-u7`` (MTB CPI-2). The
    object selector matches the old object on UPDATE and DELETE and the new one on CREATE,
    so removing the label, editing, deleting, and forging a "managed" object all fail.
    Status subresources are not matched: the quota controller keeps updating usage.
    """
    rules = [
        {
            "apiGroups": [group],
            "apiVersions": ["v1"],
            "operations": ["CREATE", "UPDATE", "DELETE"],
            "resources": list(resources),
        }
        for group, resources in PROTECTED_RESOURCES
    ]
    spec = {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": rules,
            "objectSelector": {
                "matchLabels": {
                    names.MANAGED_BY_LABEL: platform.managed_by,
                    **platform.instance_match_labels(),
                }
            },
        },
        "variables": [{"name": "isConsoleOrSystem", "expression": _exempt_expression(platform)}],
        "validations": [
            {
                "expression": "variables.isConsoleOrSystem",
                "messageExpression": (
                    f"'this object is managed by {platform.managed_by} and cannot be changed by ' "
                    "+ request.userInfo.username"
                ),
                "reason": "Forbidden",
            }
        ],
    }
    return _validating(platform, platform.scoped(names.POLICY_PROTECT_MANAGED), spec)


def runtime_class_policy(platform: PlatformSettings) -> list[dict]:
    """Pods in an enforcing namespace must name one of its allowed RuntimeClasses.

    This is how untrusted tenants are kept inside gVisor or a microVM: without it any pod
    could omit ``runtimeClassName`` and run on the node's plain runc. The allowed list is
    read from the Namespace's annotation, which tenants cannot edit. Pod specs cannot
    change their runtime class, so CREATE is enough.
    """
    annotation = _cel(platform.label(names.ANNOTATION_ALLOWED_RUNTIME_CLASSES))
    annotations = "namespaceObject.metadata.annotations"
    allowed = (
        f"(has({annotations}) && {annotation} in {annotations} ? {annotations}[{annotation}] : '')"
        ".split(',').filter(c, c != '')"
    )
    spec = {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [_pod_create_rule()],
            "namespaceSelector": {
                "matchLabels": {platform.label(names.LABEL_RUNTIME_POLICY): names.RUNTIME_POLICY_ENFORCED}
            },
        },
        "variables": [{"name": "allowedRuntimeClasses", "expression": allowed}],
        "validations": [
            {
                "expression": (
                    "has(object.spec.runtimeClassName) && "
                    "object.spec.runtimeClassName in variables.allowedRuntimeClasses"
                ),
                "messageExpression": (
                    "variables.allowedRuntimeClasses.size() == 0 ? "
                    "'no runtime class has been selected for this namespace yet' : "
                    "'spec.runtimeClassName must be one of: ' + variables.allowedRuntimeClasses.join(', ')"
                ),
                "reason": "Forbidden",
            }
        ],
    }
    return _validating(platform, platform.scoped(names.POLICY_RUNTIME_CLASS), spec)


def tenant_network_policy_policy(platform: PlatformSettings) -> list[dict]:
    """Tenant-written NetworkPolicies may not open egress to private ranges.

    Tenant admins manage NetworkPolicies of their own (MTB PL2 OPS-4), and policies are
    additive: one egress rule to ``0.0.0.0/0`` would reopen the cloud metadata endpoint,
    the nodes and the platform's networks that ``tenant-allow-internet-egress`` keeps out.
    So every egress rule must name its peers, and an ``ipBlock`` must neither lie inside a
    private range nor contain one that it does not also list in ``except``. Ingress rules
    and pod/namespace selectors stay free: a connection between tenants still needs the
    other side's consent.
    """
    private = _cel([*platform.private_cidrs, *PRIVATE_CIDRS_V6])
    peer_ok = (
        "!has(peer.ipBlock) || variables.privateRanges.all(p, "
        "!cidr(p).containsCIDR(peer.ipBlock.cidr) && "
        "(!cidr(peer.ipBlock.cidr).containsCIDR(p) || "
        "(has(peer.ipBlock.except) && peer.ipBlock.except.exists(e, cidr(e).containsCIDR(p)))))"
    )
    spec = {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": ["networking.k8s.io"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["networkpolicies"],
                }
            ],
            "namespaceSelector": _tenant_namespaces(platform),
        },
        "matchConditions": [
            {"name": "not-console-or-system", "expression": f"!({_exempt_expression(platform)})"}
        ],
        "variables": [{"name": "privateRanges", "expression": private}],
        "validations": [
            {
                "expression": (
                    "!has(object.spec.egress) || object.spec.egress.all(rule, "
                    f"has(rule.to) && rule.to.size() > 0 && rule.to.all(peer, {peer_ok}))"
                ),
                "message": (
                    "egress rules must list their peers, and ipBlocks must exclude private ranges, "
                    "link-local addresses and the cloud metadata endpoint"
                ),
                "reason": "Forbidden",
            }
        ],
    }
    return _validating(platform, platform.scoped(names.POLICY_TENANT_NETWORK_POLICY), spec)


def mutating_runtime_policy_objects(platform: PlatformSettings) -> list[dict]:
    """Give pods that omit ``runtimeClassName`` their namespace's default runtime class.

    Mutation runs before validation, so ``kubectl run`` works in a sandboxed namespace
    without the user knowing runtime classes exist. Without this (clusters lacking
    MutatingAdmissionPolicy) the validating policy still holds; users must then set the
    class themselves, and the rejection message lists the choices.
    """
    default_label = platform.label(names.LABEL_DEFAULT_RUNTIME_CLASS)
    spec = {
        "failurePolicy": "Fail",
        "reinvocationPolicy": "Never",
        "matchConstraints": {
            "resourceRules": [_pod_create_rule()],
            "namespaceSelector": {
                "matchLabels": {platform.label(names.LABEL_RUNTIME_POLICY): names.RUNTIME_POLICY_ENFORCED},
                "matchExpressions": [{"key": default_label, "operator": "Exists"}],
            },
        },
        "matchConditions": [
            {
                "name": "runtime-class-omitted",
                "expression": "!has(object.spec.runtimeClassName) || object.spec.runtimeClassName == ''",
            }
        ],
        "mutations": [
            {
                "patchType": "ApplyConfiguration",
                "applyConfiguration": {
                    "expression": (
                        "Object{spec: Object.spec{runtimeClassName: "
                        f"namespaceObject.metadata.labels[{_cel(default_label)}]}}}}"
                    )
                },
            }
        ],
    }
    return _mutating(platform, platform.scoped(names.POLICY_DEFAULT_RUNTIME_CLASS), spec)


def always_pull_images_objects(platform: PlatformSettings) -> list[dict]:
    """Force ``imagePullPolicy: Always`` in tenant namespaces (MTB DI-1).

    A node caches images; with ``IfNotPresent`` one tenant could start a private image that
    another tenant pulled with its credentials. The ``AlwaysPullImages`` admission plugin
    does the same cluster-wide; this policy is for clusters where that flag is not set.
    """

    def pull_always(kind: str) -> str:
        return f"object.spec.{kind}.map(c, Object.spec.{kind}{{name: c.name, imagePullPolicy: 'Always'}})"

    containers = f"Object{{spec: Object.spec{{containers: {pull_always('containers')}}}}}"
    init_containers = (
        "has(object.spec.initContainers) ? "
        f"Object{{spec: Object.spec{{initContainers: {pull_always('initContainers')}}}}} : Object{{}}"
    )
    spec = {
        "failurePolicy": "Fail",
        "reinvocationPolicy": "IfNeeded",
        "matchConstraints": {
            "resourceRules": [_pod_create_rule()],
            "namespaceSelector": _tenant_namespaces(platform),
        },
        "mutations": [
            {"patchType": "ApplyConfiguration", "applyConfiguration": {"expression": expression}}
            for expression in (containers, init_containers)
        ],
    }
    return _mutating(platform, platform.scoped(names.POLICY_ALWAYS_PULL_IMAGES), spec)


def tenant_role_binding_policy(platform: PlatformSettings) -> list[dict]:
    """Tenants grant access only inside their tenant, and only through safe roles.

    RBAC lets a tenant admin bind ``tenant-admin`` to anyone, ``system:authenticated``
    included, because it holds every permission it grants: one command would make every
    account and workload on the cluster admin of the namespace. So a RoleBinding in a tenant
    namespace may only name ServiceAccounts of that namespace and the console identities
    (``<system namespace>/u<id>``, as a ServiceAccount or as its username) of the team's
    members, listed on the Namespace, which tenants cannot edit. Its role must be one of
    the console's tenant roles or a Role of the namespace; Roles there
    may not grant ``escalate``, ``bind``, ``impersonate`` or ``*`` verbs (belt and braces
    beside RBAC, which already refuses what the binder does not hold).
    """
    annotations = "namespaceObject.metadata.annotations"
    key = _cel(platform.label(names.ANNOTATION_MEMBER_ACCOUNTS))
    user_prefix = _cel(f"system:serviceaccount:{platform.system_namespace}:")
    system_ns = _cel(platform.system_namespace)
    subject_ok = (
        "(s.kind == 'ServiceAccount' && has(s.namespace) && (s.namespace == request.namespace || "
        f"(s.namespace == {system_ns} && s.name in variables.memberAccounts))) || "
        "(s.kind == 'User' && (s.name.startsWith('system:serviceaccount:' + request.namespace + ':') || "
        f"(s.name.startsWith({user_prefix}) && "
        f"s.name.substring({len(platform.system_namespace) + len('system:serviceaccount::')}) "
        "in variables.memberAccounts)))"
    )
    tenant_roles = [platform.scoped(names.cluster_role_name(role)) for role in names.TENANT_ROLES]
    spec = _tenant_spec(
        platform,
        [_rbac_write_rule("rolebindings")],
        variables=[
            {
                "name": "memberAccounts",
                "expression": (
                    f"(has({annotations}) && {key} in {annotations} ? {annotations}[{key}] : '')"
                    ".split(',').filter(a, a != '')"
                ),
            }
        ],
        validations=[
            {
                "expression": f"!has(object.subjects) || object.subjects.all(s, {subject_ok})",
                "messageExpression": (
                    "'subjects outside this tenant are not allowed: bind ServiceAccounts of namespace ' "
                    "+ request.namespace + ' or members of this team (ServiceAccount "
                    f"{platform.system_namespace}/u<id>); groups, other users and "
                    "ServiceAccounts of other namespaces are refused'"
                ),
                "reason": "Forbidden",
            },
            {
                "expression": f"object.roleRef.kind == 'Role' || object.roleRef.name in {_cel(tenant_roles)}",
                "message": (
                    f"roleRef: bind a Role of this namespace or one of the ClusterRoles {', '.join(tenant_roles)}"
                ),
                "reason": "Forbidden",
            },
        ],
    )
    return _validating(platform, platform.scoped(names.POLICY_TENANT_ROLE_BINDINGS), spec)


def tenant_role_policy(platform: PlatformSettings) -> list[dict]:
    """Roles in tenant namespaces never grant escalate, bind, impersonate or a ``*`` verb."""
    spec = _tenant_spec(
        platform,
        [_rbac_write_rule("roles")],
        validations=[
            {
                "expression": (
                    "!has(object.rules) || object.rules.all(r, "
                    "!r.verbs.exists(v, v in ['escalate', 'bind', 'impersonate', '*']))"
                ),
                "message": "Roles in tenant namespaces may not grant escalate, bind, impersonate or '*' verbs",
                "reason": "Forbidden",
            }
        ],
    )
    return _validating(platform, platform.scoped(names.POLICY_TENANT_ROLES), spec)


def _annotation_list(platform: PlatformSettings, name: str) -> str:
    """CEL for a comma-separated annotation of the request's Namespace, as a list ([] when absent)."""
    annotations = "namespaceObject.metadata.annotations"
    key = _cel(platform.label(name))
    return f"(has({annotations}) && {key} in {annotations} ? {annotations}[{key}] : '').split(',').filter(s, s != '')"


# A host ``h`` the team owns: equal to or under one of the allowed suffixes (``*.x`` counts as x).
_OWNED = (
    "variables.suffixes.exists(s, (h.startsWith('*.') ? h.substring(2) : h) == s || "
    "(h.startsWith('*.') ? h.substring(2) : h).endsWith('.' + s))"
)
_OWNED_MESSAGE = (
    "'every host must be a host your team owns: one under ' + variables.suffixes.join(', ') "
    "+ ' (custom domains are added and verified on the Domains page of your team)'"
)
_TAKEN_MESSAGE = (
    "a host and path of this route is already served by another namespace; the Domains page of "
    "your team shows which"
)


def _tenant_route_spec(
    platform: PlatformSettings, rules: list[dict], validations: list[dict], *variables: dict
) -> dict:
    """What the Ingress and Gateway API route policies share: tenant namespaces only, the
    console and system exempt, and the Namespace's allowed host suffixes and the host+paths
    other namespaces already serve (``host/path``, kept by the console) as variables."""
    return _tenant_spec(
        platform,
        rules,
        variables=[
            {"name": "suffixes", "expression": _annotation_list(platform, names.ANNOTATION_ALLOWED_HOSTS)},
            {"name": "taken", "expression": _annotation_list(platform, names.ANNOTATION_TAKEN_ROUTES)},
            *variables,
        ],
        validations=validations,
    )


def tenant_ingress_policy(platform: PlatformSettings) -> list[dict]:
    """On a shared ingress controller a tenant serves only hosts its team owns.

    Every rule and TLS entry names a host equal to, or under, one of the Namespace's allowed
    suffixes (the team's subdomain of the apps domain and its verified custom domains; a
    wildcard ``*.x`` counts as ``x``), so no team can claim another's host; a rule without a
    host or a ``defaultBackend`` would take every unmatched request on the controller. A
    host+path another namespace already serves (the console's record of claims, on the
    Namespace) is refused, so neither a second team nor a sibling namespace takes it over.
    Snippet annotations (ingress-nginx's ``configuration-snippet`` and kin, CVE-2021-25742)
    run arbitrary controller configuration and are refused, as are IngressClasses outside the
    allowed list.
    """
    ingress_classes = platform.ingress_classes
    rules = [
        {
            "apiGroups": ["networking.k8s.io"],
            "apiVersions": ["v1"],
            "operations": ["CREATE", "UPDATE"],
            "resources": ["ingresses"],
        }
    ]
    taken = "((r.host + (has(p.path) && p.path != '' ? p.path : '/')) in variables.taken)"
    validations = [
        {
            "expression": "!has(object.spec.defaultBackend)",
            "message": "a defaultBackend would take every unmatched request on the shared controller; "
            "route named hosts instead",
            "reason": "Forbidden",
        },
        {
            "expression": (
                "has(object.spec.rules) && object.spec.rules.size() > 0 && "
                f"object.spec.rules.all(r, has(r.host) && r.host != '' && [r.host].all(h, {_OWNED}))"
            ),
            "messageExpression": _OWNED_MESSAGE,
            "reason": "Forbidden",
        },
        {
            "expression": f"!has(object.spec.tls) || object.spec.tls.all(t, !has(t.hosts) || t.hosts.all(h, {_OWNED}))",
            "messageExpression": "'tls hosts must be hosts your team owns: under ' + variables.suffixes.join(', ')",
            "reason": "Forbidden",
        },
        {
            "expression": (
                "!has(object.spec.rules) || object.spec.rules.all(r, !has(r.host) || "
                "(!has(r.http) ? !((r.host + '/') in variables.taken) : "
                f"r.http.paths.all(p, !{taken})))"
            ),
            "message": _TAKEN_MESSAGE,
            "reason": "Forbidden",
        },
        {
            "expression": (
                "!has(object.metadata.annotations) || "
                "!object.metadata.annotations.exists(k, k.endsWith('snippet') || k.endsWith('snippets'))"
            ),
            "message": "snippet annotations (configuration-snippet, server-snippet and the like) are not "
            "allowed: they run arbitrary configuration in the shared ingress controller",
            "reason": "Forbidden",
        },
        {
            "expression": (
                f"!has(object.spec.ingressClassName) || object.spec.ingressClassName in {_cel(list(ingress_classes))}"
            ),
            "message": f"spec.ingressClassName must be one of: {', '.join(ingress_classes) or '(none)'}",
            "reason": "Forbidden",
        },
    ]
    spec = _tenant_route_spec(platform, rules, validations)
    return _validating(platform, platform.scoped(names.POLICY_TENANT_INGRESSES), spec)


def _gateway_route_policy(
    platform: PlatformSettings, name: str, resources: list[str], free: str
) -> list[dict]:
    """``free``: CEL, true when hostname ``h`` of the route serves no host+path already taken."""
    rules = [
        {
            "apiGroups": [names.GATEWAY_API_GROUP],
            "apiVersions": ["*"],
            "operations": ["CREATE", "UPDATE"],
            "resources": resources,
        }
    ]
    parent_ok = (
        f"(!has(p.group) || p.group == {_cel(names.GATEWAY_API_GROUP)}) && (!has(p.kind) || p.kind == 'Gateway') "
        "&& ((has(p.namespace) ? p.namespace : request.namespace) + '/' + p.name) in variables.gateways"
    )
    validations = [
        {
            "expression": "has(object.spec.parentRefs) && object.spec.parentRefs.size() > 0 && "
            f"object.spec.parentRefs.all(p, {parent_ok})",
            "messageExpression": (
                "'parentRefs must name Gateways your plan allows: ' + "
                "(variables.gateways.size() == 0 ? '(none)' : variables.gateways.join(', '))"
            ),
            "reason": "Forbidden",
        },
        {
            "expression": "has(object.spec.hostnames) && object.spec.hostnames.size() > 0",
            "message": "a route without hostnames would take every host of the shared listener; "
            "list the hostnames your team owns",
            "reason": "Forbidden",
        },
        {
            "expression": f"!has(object.spec.hostnames) || object.spec.hostnames.all(h, {_OWNED})",
            "messageExpression": _OWNED_MESSAGE,
            "reason": "Forbidden",
        },
        {
            "expression": f"!has(object.spec.hostnames) || object.spec.hostnames.all(h, {free})",
            "message": _TAKEN_MESSAGE,
            "reason": "Forbidden",
        },
    ]
    gateways = {
        "name": "gateways",
        "expression": _annotation_list(platform, names.ANNOTATION_ALLOWED_GATEWAYS),
    }
    spec = _tenant_route_spec(platform, rules, validations, gateways)
    return _validating(platform, platform.scoped(name), spec)


def tenant_gateway_route_policies(platform: PlatformSettings) -> list[dict]:
    """Gateway API routes get the Ingress rules: owned hosts only, on the Gateways the plan allows.

    Gateway API itself has no hostname ownership between routes: any route attached to a
    shared listener may name any host, and one without ``hostnames`` takes every host the
    listener serves. So each route must attach only to Gateways listed on its Namespace
    (``namespace/name``, from the team's plan), name at least one hostname, name only hosts
    the team owns (``*.x`` only when ``x`` is owned), and no host+path another namespace
    already serves: an HTTPRoute by its match paths (``/`` without any), GRPC and TLS routes
    by the whole host. Two policies, because each expression is type-checked against every
    kind it matches and only HTTPRoute has paths. The rules match every version; a cluster
    without the Gateway API CRDs accepts the policies all the same, and nothing matches them.
    """
    whole_host_free = "!((h + '/') in variables.taken)"
    path = "(h + (has(m.path) && has(m.path.value) ? m.path.value : '/'))"
    paths_free = (
        f"!has(object.spec.rules) ? {whole_host_free} : object.spec.rules.all(r, !has(r.matches) ? "
        f"{whole_host_free} : r.matches.all(m, !({path} in variables.taken)))"
    )
    return [
        *_gateway_route_policy(
            platform,
            names.POLICY_TENANT_HTTP_ROUTES,
            ["httproutes"],
            paths_free,
        ),
        *_gateway_route_policy(
            platform,
            names.POLICY_TENANT_GATEWAY_ROUTES,
            ["grpcroutes", "tlsroutes"],
            whole_host_free,
        ),
    ]


BANDWIDTH_ANNOTATIONS = ("kubernetes.io/egress-bandwidth", "kubernetes.io/ingress-bandwidth")


def _bandwidth_caps(platform: PlatformSettings) -> list[tuple[str, str]]:
    """(pod annotation, the Namespace annotation holding the plan's cap), egress then ingress."""
    caps = (names.ANNOTATION_EGRESS_BANDWIDTH, names.ANNOTATION_INGRESS_BANDWIDTH)
    return [(pod, platform.label(cap)) for pod, cap in zip(BANDWIDTH_ANNOTATIONS, caps, strict=True)]


def _tenant_pods(platform: PlatformSettings, operations: list[str]) -> dict:
    return {
        "resourceRules": [{**_pod_create_rule(), "operations": operations}],
        "namespaceSelector": _tenant_namespaces(platform),
    }


def pod_bandwidth_policy(platform: PlatformSettings) -> list[dict]:
    """A pod may not ask for more bandwidth than the team's plan gives each pod.

    The bandwidth CNI plugin and Cilium's Bandwidth Manager shape a pod's traffic by its
    ``kubernetes.io/egress-bandwidth`` and ``kubernetes.io/ingress-bandwidth`` annotations,
    which the pod's author writes. The plan's caps are on the Namespace (tenants cannot edit
    it); a value above them, or one that is not a quantity, is refused, whoever creates the
    pod (a Deployment's pods come from the ReplicaSet controller with the tenant's template).
    Annotations can change on a running pod, so updates are checked as well.
    """
    annotations = "namespaceObject.metadata.annotations"
    validations = []
    for pod_key, cap_key in _bandwidth_caps(platform):
        pod, cap = _cel(pod_key), _cel(cap_key)
        has_cap = f"has({annotations}) && {cap} in {annotations}"
        asked = f"object.metadata.annotations[{pod}]"
        validations.append(
            {
                "expression": (
                    f"!({has_cap}) || !has(object.metadata.annotations) || !({pod} in object.metadata.annotations) "
                    f"|| (isQuantity({asked}) && quantity({asked}).compareTo(quantity({annotations}[{cap}])) <= 0)"
                ),
                "messageExpression": (
                    f"'{pod_key} may be at most ' + {annotations}[{cap}] + ' (the plan of your team), not ' + {asked}"
                ),
                "reason": "Forbidden",
            }
        )
    spec = {
        "failurePolicy": "Fail",
        "matchConstraints": _tenant_pods(platform, ["CREATE", "UPDATE"]),
        "validations": validations,
    }
    return _validating(platform, platform.scoped(names.POLICY_POD_BANDWIDTH_LIMITS), spec)


def pod_bandwidth_defaults_objects(platform: PlatformSettings) -> list[dict]:
    """Pods that do not say their bandwidth get the plan's caps.

    Where the cluster serves MutatingAdmissionPolicy, a new pod without
    ``kubernetes.io/egress-bandwidth`` or ``kubernetes.io/ingress-bandwidth`` gets the
    Namespace's cap written in, so shaping applies without the tenant knowing about it; a
    lower value the pod states is kept. Elsewhere only the validating policy holds (a pod
    that omits the annotations is not shaped).
    """
    annotations = "namespaceObject.metadata.annotations"
    mutations = []
    for pod_key, cap_key in _bandwidth_caps(platform):
        pod, cap = _cel(pod_key), _cel(cap_key)
        missing = f"!has(object.metadata.annotations) || !({pod} in object.metadata.annotations)"
        expression = (
            f"has({annotations}) && {cap} in {annotations} && ({missing}) ? "
            f"Object{{metadata: Object.metadata{{annotations: {{{pod}: {annotations}[{cap}]}}}}}} : Object{{}}"
        )
        mutations.append(
            {"patchType": "ApplyConfiguration", "applyConfiguration": {"expression": expression}}
        )
    spec = {
        "failurePolicy": "Fail",
        "reinvocationPolicy": "IfNeeded",
        "matchConstraints": _tenant_pods(platform, ["CREATE"]),
        "mutations": mutations,
    }
    return _mutating(platform, platform.scoped(names.POLICY_POD_BANDWIDTH_DEFAULTS), spec)

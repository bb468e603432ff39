"""Users and RBAC evaluation over the stored Roles, ClusterRoles and their bindings."""

from dataclasses import dataclass
from typing import Any

from kubeemu.registry import RBAC, resource_of
from kubeemu.selectors import from_label_selector_object
from kubeemu.store import Store


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ("system:authenticated",)
    is_admin: bool = False


ADMIN = User("kubernetes-admin", ("system:masters", "system:authenticated"), is_admin=True)


@dataclass(frozen=True)
class Request:
    """The attributes RBAC decides on, as the API server derives them from a request."""

    verb: str
    group: str
    resource: str
    subresource: str = ""
    name: str = ""
    namespace: str = ""


def service_account_user(namespace: str, name: str) -> User:
    groups = ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated")
    return User(f"system:serviceaccount:{namespace}:{name}", groups)


def _rule_allows(rule: dict[str, Any], request: Request) -> bool:
    verbs, groups = rule.get("verbs") or [], rule.get("apiGroups") or []
    if "*" not in verbs and request.verb not in verbs:
        return False
    if "*" not in groups and request.group not in groups:
        return False
    resources = rule.get("resources") or []
    if request.subresource:
        wanted = f"{request.resource}/{request.subresource}"
        if not {"*", wanted, f"*/{request.subresource}"} & set(resources):
            return False
    elif "*" not in resources and request.resource not in resources:
        return False
    names = rule.get("resourceNames") or []
    return not names or request.name in names


def _subject_matches(subject: dict[str, Any], user: User) -> bool:
    kind = subject.get("kind")
    if kind == "ServiceAccount":
        return user.name == f"system:serviceaccount:{subject.get('namespace', '')}:{subject.get('name')}"
    if kind == "User":
        return user.name == subject.get("name")
    return kind == "Group" and subject.get("name") in user.groups


def _cluster_role_rules(store: Store, name: str) -> list[dict[str, Any]]:
    cluster_roles = resource_of(RBAC, "clusterroles")
    role = store.get(cluster_roles, "", name)
    if role is None:
        return []
    rules = list(role.get("rules") or [])
    selectors = (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []
    predicates = [from_label_selector_object(s) for s in selectors]
    for other in store.items(cluster_roles):
        labels = other["metadata"].get("labels") or {}
        if other is not role and any(p(labels) for p in predicates):
            rules += other.get("rules") or []
    return rules


def _binding_rules(store: Store, binding: dict[str, Any]) -> list[dict[str, Any]]:
    ref = binding.get("roleRef") or {}
    if ref.get("kind") == "ClusterRole":
        return _cluster_role_rules(store, ref.get("name", ""))
    role = store.get(
        resource_of(RBAC, "roles"), binding["metadata"].get("namespace", ""), ref.get("name", "")
    )
    return list((role or {}).get("rules") or [])


def authorize(store: Store, user: User, request: Request) -> bool:
    if user.is_admin:
        return True
    bindings = list(store.items(resource_of(RBAC, "clusterrolebindings")))
    if request.namespace:
        bindings += store.items(resource_of(RBAC, "rolebindings"), request.namespace)
    for binding in bindings:
        if not any(_subject_matches(s, user) for s in binding.get("subjects") or []):
            continue
        if any(_rule_allows(rule, request) for rule in _binding_rules(store, binding)):
            return True
    return False


def denial(user: User, request: Request) -> str:
    resource = f"{request.resource}/{request.subresource}" if request.subresource else request.resource
    scope = f'in the namespace "{request.namespace}"' if request.namespace else "at the cluster scope"
    return (
        f'User "{user.name}" cannot {request.verb} resource "{resource}" '
        f'in API group "{request.group}" {scope}'
    )


ROLE_KINDS = {"roles": "Role", "clusterroles": "ClusterRole"}
BINDING_ROLE_RESOURCE = {"Role": "roles", "ClusterRole": "clusterroles"}


def _rule_requests(rule: dict[str, Any], namespace: str) -> list[Request]:
    """Every (verb, group, resource, name) a rule grants, as requests the grantor must be allowed."""
    requests = []
    for group in rule.get("apiGroups") or []:
        for resource in rule.get("resources") or []:
            base, _, subresource = resource.partition("/")
            for verb in rule.get("verbs") or []:
                for name in rule.get("resourceNames") or [""]:
                    requests.append(Request(verb, group, base, subresource, name, namespace))
    return requests


def not_held(store: Store, user: User, rules: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """The rules ``user`` does not hold itself (in ``namespace``, or cluster-wide for "")."""
    missing = []
    for rule in rules:
        grants_urls = bool(rule.get("nonResourceURLs"))
        if grants_urls or not all(authorize(store, user, r) for r in _rule_requests(rule, namespace)):
            missing.append(rule)
    return missing


def escalation(store: Store, user: User, resource_plural: str, obj: dict[str, Any]) -> str:
    """Why writing this Role, ClusterRole or binding would escalate ``user``'s rights, or "".

    As kube-apiserver does: a user may write a role only with rules it already holds (or
    with ``escalate`` on it), and bind a role only if it holds all of the role's rules (or
    has ``bind`` on it) in the binding's namespace.
    """
    if user.is_admin:
        return ""
    meta = obj.get("metadata") or {}
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    if resource_plural in ROLE_KINDS:
        if authorize(store, user, Request("escalate", RBAC, resource_plural, "", name, namespace)):
            return ""
        missing = not_held(store, user, list(obj.get("rules") or []), namespace)
    elif resource_plural in ("rolebindings", "clusterrolebindings"):
        ref = obj.get("roleRef") or {}
        ref_resource = BINDING_ROLE_RESOURCE.get(ref.get("kind", ""), "")
        bind = Request("bind", RBAC, ref_resource, "", ref.get("name", ""), namespace)
        if ref_resource and authorize(store, user, bind):
            return ""
        role_namespace = namespace if ref_resource == "roles" else ""
        if (
            not ref_resource
            or store.get(resource_of(RBAC, ref_resource), role_namespace, ref.get("name", "")) is None
        ):
            return f'{ref_resource or "roles"}.{RBAC} "{ref.get("name", "")}" not found'
        missing = not_held(store, user, _binding_rules(store, obj), namespace)
    else:
        return ""
    if not missing:
        return ""
    groups = ",".join(f'"{group}"' for group in user.groups)
    return (
        f'user "{user.name}" (groups=[{groups}]) is attempting to grant RBAC permissions '
        f"not currently held:\n{missing}"
    )

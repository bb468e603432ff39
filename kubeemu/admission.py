"""Built-in admission the console relies on: Pod Security Admission, object-count quotas and
DenyServiceExternalIPs."""

from typing import Any

from kubeemu.errors import forbidden
from kubeemu.registry import ResourceType, resource_of
from kubeemu.store import Store

ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION_LABEL = "pod-security.kubernetes.io/enforce-version"
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    kinds = ("initContainers", "containers", "ephemeralContainers")
    return [c for kind in kinds for c in spec.get(kind) or []]


def _context(container: dict[str, Any]) -> dict[str, Any]:
    return container.get("securityContext") or {}


def _quoted(names: list[str]) -> str:
    noun = "container" if len(names) == 1 else "containers"
    return f"{noun} " + ", ".join(f'"{n}"' for n in names)


def _baseline(spec: dict[str, Any], restricted: bool) -> list[str]:
    problems = []
    hosts = [f"{flag}=true" for flag in ("hostNetwork", "hostPID", "hostIPC") if spec.get(flag)]
    if hosts:
        problems.append(f"host namespaces ({', '.join(hosts)})")
    containers = _containers(spec)
    privileged = [c["name"] for c in containers if _context(c).get("privileged")]
    if privileged:
        problems.append(f"privileged ({_quoted(privileged)} must not set securityContext.privileged=true)")
    if not restricted:
        added = [
            f'container "{c["name"]}" must not include "{cap}" in securityContext.capabilities.add'
            for c in containers
            for cap in (_context(c).get("capabilities") or {}).get("add") or []
            if cap not in BASELINE_CAPABILITIES
        ]
        if added:
            problems.append(f"non-default capabilities ({'; '.join(added)})")
        host_paths = [v["name"] for v in spec.get("volumes") or [] if "hostPath" in v]
        if host_paths:
            problems.append("hostPath volumes (" + ", ".join(f'volume "{n}"' for n in host_paths) + ")")
    ports = [
        f"{_quoted([c['name']])} uses hostPort {p['hostPort']}"
        for c in containers
        for p in c.get("ports") or []
        if p.get("hostPort")
    ]
    if ports:
        problems.append(f"hostPort ({'; '.join(ports)})")
    return problems


def _restricted(spec: dict[str, Any]) -> list[str]:
    problems = []
    pod_context = spec.get("securityContext") or {}
    containers = _containers(spec)
    bad_volumes = [
        f'volume "{v["name"]}" uses restricted volume type "{t}"'
        for v in spec.get("volumes") or []
        for t in v
        if t != "name" and t not in RESTRICTED_VOLUME_TYPES
    ]
    if bad_volumes:
        problems.append(f"restricted volume types ({'; '.join(bad_volumes)})")
    escalating = [c["name"] for c in containers if _context(c).get("allowPrivilegeEscalation") is not False]
    if escalating:
        must = "must set securityContext.allowPrivilegeEscalation=false"
        problems.append(f"allowPrivilegeEscalation != false ({_quoted(escalating)} {must})")
    capability_problems = []
    for c in containers:
        caps = _context(c).get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            capability_problems.append(
                f'container "{c["name"]}" must set securityContext.capabilities.drop=["ALL"]'
            )
        for cap in caps.get("add") or []:
            if cap != "NET_BIND_SERVICE":
                capability_problems.append(
                    f'container "{c["name"]}" must not include "{cap}" in securityContext.capabilities.add'
                )
    if capability_problems:
        problems.append(f"unrestricted capabilities ({'; '.join(capability_problems)})")
    pod_non_root = pod_context.get("runAsNonRoot")
    root_allowed = [
        c["name"] for c in containers if _context(c).get("runAsNonRoot", pod_non_root) is not True
    ]
    if root_allowed:
        names = ", ".join(f'"{n}"' for n in root_allowed)
        noun = "container" if len(root_allowed) == 1 else "containers"
        problems.append(
            f"runAsNonRoot != true (pod or {noun} {names} must set securityContext.runAsNonRoot=true)"
        )
    root_users = (["pod"] if pod_context.get("runAsUser") == 0 else []) + [
        f'container "{c["name"]}"' for c in containers if _context(c).get("runAsUser") == 0
    ]
    if root_users:
        problems.append(f"runAsUser=0 ({' and '.join(root_users)} must not set runAsUser=0)")
    pod_seccomp = (pod_context.get("seccompProfile") or {}).get("type")
    unconfined = [
        c["name"]
        for c in containers
        if (_context(c).get("seccompProfile") or {}).get("type", pod_seccomp)
        not in ("RuntimeDefault", "Localhost")
    ]
    if unconfined:
        names = ", ".join(f'"{n}"' for n in unconfined)
        noun = "container" if len(unconfined) == 1 else "containers"
        must = 'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'
        problems.append(f"seccompProfile (pod or {noun} {names} {must})")
    return problems


def check_pod_security(store: Store, resource: ResourceType, pod: dict[str, Any]) -> None:
    """Enforce the namespace's ``pod-security.kubernetes.io/enforce`` level on pod creation."""
    namespace = store.get(resource_of("", "namespaces"), "", pod["metadata"]["namespace"])
    labels = (namespace or {}).get("metadata", {}).get("labels") or {}
    level = labels.get(ENFORCE_LABEL, "privileged")
    if level not in ("baseline", "restricted"):
        return
    spec = pod.get("spec") or {}
    problems = _baseline(spec, restricted=level == "restricted")
    if level == "restricted":
        problems += _restricted(spec)
    if problems:
        version = labels.get(ENFORCE_VERSION_LABEL, "latest")
        why = f'violates PodSecurity "{level}:{version}": {", ".join(problems)}'
        raise forbidden(resource, pod["metadata"]["name"], why)


def _usage(resource: ResourceType, obj: dict[str, Any] | None) -> dict[str, int]:
    if obj is None:
        return {}
    suffix = f".{resource.group}" if resource.group else ""
    usage = {f"count/{resource.plural}{suffix}": 1}
    if resource.group == "" and resource.plural in (
        "pods",
        "services",
        "persistentvolumeclaims",
        "configmaps",
        "secrets",
    ):
        usage[resource.plural] = 1
    if resource.group == "" and resource.plural == "services":
        spec = obj.get("spec") or {}
        if spec.get("type") == "LoadBalancer":
            usage["services.loadbalancers"] = 1
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            usage["services.nodeports"] = len(spec.get("ports") or [])
    return usage


def _parse_count(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def check_quota(
    store: Store, resource: ResourceType, new: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Reject object-count growth beyond any ResourceQuota ``spec.hard`` in the namespace."""
    namespace = new["metadata"]["namespace"]
    new_usage, old_usage = _usage(resource, new), _usage(resource, old)
    delta = {k: v - old_usage.get(k, 0) for k, v in new_usage.items() if v - old_usage.get(k, 0) > 0}
    if not delta:
        return
    used: dict[str, int] = {}
    for existing in store.items(resource, namespace):
        for key, amount in _usage(resource, existing).items():
            used[key] = used.get(key, 0) + amount
    for quota in store.items(resource_of("", "resourcequotas"), namespace):
        hard = (quota.get("spec") or {}).get("hard") or {}
        for key, amount in delta.items():
            limit = _parse_count(hard[key]) if key in hard else None
            if limit is not None and used.get(key, 0) + amount > limit:
                why = (
                    f"exceeded quota: {quota['metadata']['name']}, requested: {key}={amount}, "
                    f"used: {key}={used.get(key, 0)}, limited: {key}={hard[key]}"
                )
                raise forbidden(resource, new["metadata"]["name"], why)


def check_external_ips(resource: ResourceType, new: dict[str, Any], old: dict[str, Any] | None) -> None:
    """DenyServiceExternalIPs: no Service may gain ``externalIPs`` (they would capture any
    address's traffic on every node); ones it already had may stay."""
    if resource.kind != "Service":
        return
    wanted = set((new.get("spec") or {}).get("externalIPs") or [])
    had = set(((old or {}).get("spec") or {}).get("externalIPs") or [])
    if wanted - had:
        raise forbidden(
            resource, new["metadata"].get("name", ""), "Use of external IPs is denied by admission control"
        )

"""Discovery documents: /version, /api, /apis and the per-group-version resource lists."""

from typing import Any

from kubeemu.registry import ResourceType

_SUBRESOURCE_KINDS = {
    "status": (None, None, None, ("get", "patch", "update")),
    "scale": ("Scale", "autoscaling", "v1", ("get", "patch", "update")),
    "token": ("TokenRequest", "authentication.k8s.io", "v1", ("create",)),
    "log": ("Pod", "", "v1", ("get",)),
}


def version(git_version: str) -> dict[str, Any]:
    major, minor = git_version.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "kubeemu",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _group_versions(served: list[ResourceType], group: str) -> list[str]:
    versions = sorted({r.version for r in served if r.group == group})
    return sorted(versions, key=lambda v: (not v.startswith("v1") or "beta" in v or "alpha" in v, v))


def api_group(served: list[ResourceType], group: str) -> dict[str, Any] | None:
    versions = _group_versions(served, group)
    if not versions:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def api_group_list(served: list[ResourceType]) -> dict[str, Any]:
    groups = sorted({r.group for r in served if r.group})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [api_group(served, g) for g in groups]}


def _entry(resource: ResourceType) -> dict[str, Any]:
    entry = {
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    return entry


def _subresource_entry(resource: ResourceType, subresource: str) -> dict[str, Any]:
    kind, group, version_, verbs = _SUBRESOURCE_KINDS[subresource]
    entry = {
        "name": f"{resource.plural}/{subresource}",
        "singularName": "",
        "namespaced": resource.namespaced,
        "kind": kind or resource.kind,
        "verbs": list(verbs),
    }
    if group:
        entry.update(group=group, version=version_)
    return entry


def resource_list(served: list[ResourceType], group: str, version_: str) -> dict[str, Any] | None:
    resources = [r for r in served if (r.group, r.version) == (group, version_)]
    if not resources:
        return None
    entries = []
    for resource in resources:
        entries.append(_entry(resource))
        entries += [_subresource_entry(resource, s) for s in resource.subresources]
    group_version = f"{group}/{version_}" if group else version_
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": entries,
    }

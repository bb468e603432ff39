"""Metadata helpers, selectors and the desired-state hash shared by every builder."""

import hashlib
import json
from collections.abc import Iterable, Mapping

from clusters.kube.manifests import names
from clusters.kube.spec import PlatformSettings


def managed_labels(platform: PlatformSettings, component: str, **extra: str) -> dict[str, str]:
    """Labels every console object carries, so the provisioner can list and prune exactly
    what it made (and only this console instance made) and the protection policy can
    recognise it."""
    labels = {
        names.MANAGED_BY_LABEL: platform.managed_by,
        platform.label(names.LABEL_COMPONENT): component,
        platform.label(names.LABEL_INSTANCE): platform.instance_id,
    }
    labels.update({platform.label(key): value for key, value in extra.items()})
    return dict(sorted(labels.items()))


def tenant_labels(platform: PlatformSettings, namespace: str) -> dict[str, str]:
    return managed_labels(platform, names.COMPONENT_TENANT, **{names.LABEL_OWNER_NAMESPACE: namespace})


def pod_security_labels() -> dict[str, str]:
    """Pod Security Admission at ``restricted`` for every mode: ``enforce`` rejects
    privileged, host-namespace, hostPath, root and capability-adding pods (MTB CPI-3..6,
    HI-1, HI-3..5); ``audit`` and ``warn`` make the same verdict visible on workloads whose
    pod templates would be rejected. ``latest`` follows the cluster's own version."""
    labels = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"{names.POD_SECURITY_PREFIX}{mode}"] = names.POD_SECURITY_LEVEL
        labels[f"{names.POD_SECURITY_PREFIX}{mode}-version"] = names.POD_SECURITY_VERSION
    return labels


def obj(
    api_version: str, kind: str, name: str, labels: Mapping[str, str], namespace: str | None = None, **body
):
    metadata: dict = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = dict(labels)
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def tenant_selector(platform: PlatformSettings, namespace: str) -> str:
    """Label selector for every namespaced object the console made for one tenant namespace."""
    return ",".join(f"{key}={value}" for key, value in tenant_labels(platform, namespace).items())


def bootstrap_selector(platform: PlatformSettings) -> str:
    """Label selector for the once-per-cluster objects (ClusterRoles, admission policies)."""
    labels = managed_labels(platform, names.COMPONENT_BOOTSTRAP)
    return ",".join(f"{key}={value}" for key, value in labels.items())


def desired_hash(objects: Iterable[Mapping]) -> str:
    """SHA-256 of the canonical JSON of ``objects``: equal desired states hash equally, so
    the provisioner can skip namespaces whose applied hash already matches."""
    canonical = json.dumps(list(objects), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()

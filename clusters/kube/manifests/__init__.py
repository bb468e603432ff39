"""Pure functions that build every Kubernetes object the console applies, as plain dicts.

Nothing here talks to a cluster or imports the ``kubernetes`` package: the builders take
frozen specs (``clusters.kube.spec``) and return objects in a deterministic order, ready
for server-side apply by ``clusters.kube.gateway``. Every object carries
``app.kubernetes.io/managed-by`` plus a component label (and, inside tenant namespaces,
the owner-namespace label) so the provisioner can list and prune exactly what it made.
"""

from clusters.kube.manifests.admission import (
    always_pull_images_objects,
    mutating_runtime_policy_objects,
    pod_bandwidth_defaults_objects,
)
from clusters.kube.manifests.bootstrap import bootstrap_objects
from clusters.kube.manifests.common import bootstrap_selector, desired_hash, tenant_selector
from clusters.kube.manifests.rbac import rules_allow
from clusters.kube.manifests.tenant import tenant_namespace_objects, user_service_account

__all__ = [
    "always_pull_images_objects",
    "bootstrap_objects",
    "bootstrap_selector",
    "desired_hash",
    "mutating_runtime_policy_objects",
    "pod_bandwidth_defaults_objects",
    "rules_allow",
    "tenant_namespace_objects",
    "tenant_selector",
    "user_service_account",
]

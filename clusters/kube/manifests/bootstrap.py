"""The once-per-cluster objects every tenant namespace relies on."""

from clusters.kube.manifests import names
from clusters.kube.manifests.admission import (
    pod_bandwidth_policy,
    protect_managed_objects_policy,
    runtime_class_policy,
    tenant_gateway_route_policies,
    tenant_ingress_policy,
    tenant_network_policy_policy,
    tenant_role_binding_policy,
    tenant_role_policy,
)
from clusters.kube.manifests.common import managed_labels, obj, pod_security_labels
from clusters.kube.manifests.rbac import cluster_roles
from clusters.kube.spec import PlatformSettings


def system_namespace(platform: PlatformSettings) -> dict:
    """Holds one ServiceAccount per user and nothing that runs, so ``restricted`` costs nothing."""
    labels = {**managed_labels(platform, names.COMPONENT_BOOTSTRAP), **pod_security_labels()}
    return obj("v1", "Namespace", platform.system_namespace, dict(sorted(labels.items())))


def bootstrap_objects(platform: PlatformSettings) -> list[dict]:
    """System namespace, tenant ClusterRoles and validating admission policies, in apply order.

    Everything here is GA in Kubernetes 1.30+. The mutating policies live apart
    (``mutating_runtime_policy_objects``, ``always_pull_images_objects``) because
    MutatingAdmissionPolicy needs 1.34+ with the beta API enabled.
    """
    return [
        system_namespace(platform),
        *cluster_roles(platform),
        *protect_managed_objects_policy(platform),
        *runtime_class_policy(platform),
        *tenant_network_policy_policy(platform),
        *tenant_role_binding_policy(platform),
        *tenant_role_policy(platform),
        *tenant_ingress_policy(platform),
        *tenant_gateway_route_policies(platform),
        *pod_bandwidth_policy(platform),
    ]

"""The cluster as the console finds it: pre-existing objects, and the console's own identity.

``prepare`` applies, as the cluster's administrator, what a real cluster already holds
(``localcluster.world``) and the console's identity manifest
(``deploy/rbac/console-clusterrole.yaml``), then writes a kubeconfig with a token of the
console's ServiceAccount: the console talks to the local cluster as that identity only.
"""

from pathlib import Path
from typing import Any

import yaml

from clusters.kube.gateway import KubeGateway
from localcluster.launcher import LocalCluster, kubeconfig_document
from localcluster.world import FIELD_MANAGER, preexisting_objects

CONSOLE_MANIFEST = Path(__file__).resolve().parents[1] / "deploy" / "rbac" / "console-clusterrole.yaml"
CONSOLE_NAMESPACE, CONSOLE_SERVICE_ACCOUNT = "tenantry-system", "tenantry-console"
CONSOLE_TOKEN_SECONDS = 48 * 3600


def console_manifest() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(CONSOLE_MANIFEST.read_text()) if doc]


def apply_all(gateway: KubeGateway, objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        gateway.apply(obj, field_manager=FIELD_MANAGER)


def prepare(cluster: LocalCluster) -> Path:
    """Pre-populate the cluster and return the path of the console's kubeconfig."""
    admin = KubeGateway.from_kubeconfig(str(cluster.admin_kubeconfig))
    try:
        apply_all(admin, preexisting_objects())
        apply_all(admin, console_manifest())
        token, _expires = admin.create_token(
            CONSOLE_NAMESPACE, CONSOLE_SERVICE_ACCOUNT, CONSOLE_TOKEN_SECONDS
        )
    finally:
        admin.close()
    document = kubeconfig_document(
        cluster.url, cluster.ca_cert, name="tenantry-console", user={"token": token}
    )
    return cluster.write_kubeconfig("console.kubeconfig", document)

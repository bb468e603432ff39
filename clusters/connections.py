"""The default cluster, and a gateway to talk to a cluster.

Gateways are built once per process and cluster configuration and then reused: building
one parses a kubeconfig and opens a connection pool.
"""

import os
import threading

import yaml
from django.conf import settings
from django.db import IntegrityError, transaction

from clusters.crypto import decrypt
from clusters.kube.errors import PermanentKubeError
from clusters.kube.gateway import KubeGateway
from clusters.models import Cluster

DEFAULT_CLUSTER_NAME = "default"

_gateways: dict[tuple, tuple[KubeGateway, int | None]] = {}
_lock = threading.Lock()


class ClusterNotConfigured(PermanentKubeError):
    """No credentials anywhere: neither on the cluster row nor in the environment."""


def stored_default_cluster() -> Cluster | None:
    """The default cluster row for reads (``create_default_cluster`` made it after migrating)."""
    return Cluster.objects.filter(is_default=True).first()


def default_cluster() -> Cluster:
    """The default cluster row for the workers and services, created if it is missing
    (credentials from the environment). Two processes racing to make it get the same row."""
    cluster = stored_default_cluster()
    if cluster is not None:
        return cluster
    try:
        with transaction.atomic():
            cluster, _ = Cluster.objects.get_or_create(
                name=DEFAULT_CLUSTER_NAME, defaults={"is_default": True}
            )
            if not cluster.is_default:  # staff added one by that name without making any default
                Cluster.objects.filter(pk=cluster.pk).update(is_default=True)
                cluster.is_default = True
    except IntegrityError:  # another process made it between the read and the insert
        cluster = Cluster.objects.get(is_default=True)
    return cluster


def create_default_cluster(*, using: str, apps=None, **kwargs) -> None:
    """After ``migrate`` (and a test's flush): a default cluster exists, credentials from the
    environment, so pages read it without writing. Connected in ``ClustersConfig.ready``."""
    model = apps.get_model("clusters", "Cluster") if apps is not None else Cluster
    if not model.objects.using(using).filter(is_default=True).exists():
        model.objects.using(using).get_or_create(name=DEFAULT_CLUSTER_NAME, defaults={"is_default": True})


def _build(cluster: Cluster) -> KubeGateway:
    if cluster.kubeconfig_encrypted:
        config = yaml.safe_load(decrypt(cluster.kubeconfig_encrypted))
        return KubeGateway.from_kubeconfig_dict(config, context=cluster.context or None)
    if cluster.kubeconfig_path:
        return KubeGateway.from_kubeconfig(cluster.kubeconfig_path, context=cluster.context or None)
    if settings.KUBECONFIG:
        return KubeGateway.from_kubeconfig(
            settings.KUBECONFIG.split(os.pathsep)[0], context=cluster.context or None
        )
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return KubeGateway.in_cluster()
    raise ClusterNotConfigured(
        f"Cluster '{cluster.name}' has no credentials: set KUBECONFIG or add a kubeconfig on the clusters page."
    )


def _file_version(path: str) -> int | None:
    """When a kubeconfig file last changed, so a rotated token (a mounted Secret being
    updated) gives a new gateway without anyone touching the cluster's record."""
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def gateway_for_cluster(cluster: Cluster) -> KubeGateway:
    path = cluster.kubeconfig_path or (
        "" if cluster.kubeconfig_encrypted else settings.KUBECONFIG.split(os.pathsep)[0]
    )
    key = (
        cluster.pk,
        cluster.kubeconfig_path,
        cluster.kubeconfig_encrypted,
        cluster.context,
        settings.KUBECONFIG,
    )
    version = _file_version(path)
    with _lock:
        cached = _gateways.get(key)
        if cached is not None and cached[1] != version:
            cached = None  # the old gateway may still be serving a call; it is not closed under it
        if cached is None:
            cached = _gateways[key] = (_build(cluster), version)
        return cached[0]


def forget_gateways() -> None:
    """Drop cached gateways (after credentials change, and between tests)."""
    with _lock:
        for gateway, _ in _gateways.values():
            gateway.close()
        _gateways.clear()

"""Reading a cluster as the person looking at the page, never as the console.

Pages that show what runs in a namespace (workloads, pods, logs) talk to the API server with a
short-lived token of the viewer's own ServiceAccount (the one their kubeconfigs use, bound by
their RoleBindings), so Kubernetes RBAC decides what they see: a viewer reads pods but gets the
API server's 403 for Secrets. The token comes from the TokenRequest API, is kept in this
process's memory until a minute before it expires, and is never stored or shown.
"""

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

from clusters.kube.errors import KubeError
from clusters.kube.gateway import KubeGateway
from clusters.kube.spec import platform_settings_from_django
from clusters.kubeconfigs import user_service_account_ensure
from clusters.models import Cluster
from clusters.services import cluster_gateway
from tenants.models import Namespace

TOKEN_SECONDS = 600  # the shortest lifetime the TokenRequest API grants
REFRESH_MARGIN = 60.0

_viewer_gateways: dict[tuple[int, int], tuple[KubeGateway, float]] = {}
_lock = threading.Lock()
T = TypeVar("T")


def _issue(*, user, cluster: Cluster) -> KubeGateway:
    platform = platform_settings_from_django(settings)
    admin = cluster_gateway(cluster)
    user_service_account_ensure(cluster=cluster, gateway=admin, user=user, platform=platform)
    token, _ = admin.create_token(
        platform.system_namespace, platform.user_service_account(user.pk), TOKEN_SECONDS
    )
    return admin.with_token(token)


def viewer_gateway(*, user, namespace: Namespace) -> KubeGateway:
    """A gateway that acts as ``user`` on the namespace's cluster (cached per process)."""
    cluster = namespace.cluster
    key = (cluster.pk, user.pk)
    with _lock:
        cached = _viewer_gateways.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
    gateway = _issue(user=user, cluster=cluster)
    with _lock:
        _viewer_gateways[key] = (gateway, time.monotonic() + TOKEN_SECONDS - REFRESH_MARGIN)
    return gateway


def forget_viewer_gateways(*, user=None) -> None:
    """Drop cached viewer tokens: one user's (after they revoked their tokens), or everyone's."""
    with _lock:
        for key in [k for k in _viewer_gateways if user is None or k[1] == user.pk]:
            _viewer_gateways.pop(key)[0].close()


def as_viewer(*, user, namespace: Namespace, read: Callable[[KubeGateway], T]) -> T:
    """Run ``read`` with the viewer's gateway; a refused (revoked) token is replaced once."""
    try:
        return read(viewer_gateway(user=user, namespace=namespace))
    except KubeError as error:
        if error.code != 401:
            raise
    forget_viewer_gateways(user=user)
    return read(viewer_gateway(user=user, namespace=namespace))

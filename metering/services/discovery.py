"""Discovery: which RuntimeClasses and StorageClasses each cluster has, and its node capacity."""

import logging
from datetime import datetime

from django.db import transaction

from clusters.kube.errors import KubeError
from core.claims import new_owner
from metering import kube
from metering.models import ClusterRuntime, ClusterState, RuntimeClassProfile
from metering.quantities import BYTES, COUNT, CPU, parse
from metering.services.collector import cluster_claimed, cluster_states_ensure
from metering.services.runtime import namespace_runtimes_refresh

logger = logging.getLogger(__name__)


def cluster_discover(*, state: ClusterState, now: datetime, gateway=None) -> bool:
    """Refresh one cluster's record; on failure keep what was known and store the error.

    Returns True when the set of RuntimeClasses changed.
    """
    try:
        gateway = gateway or kube.gateway_for(state.cluster)
        runtime_classes = kube.items(gateway.list("node.k8s.io/v1", "RuntimeClass"))
        storage_classes = kube.items(gateway.list("storage.k8s.io/v1", "StorageClass"))
        nodes = kube.items(gateway.list("v1", "Node"))
    except KubeError as exc:  # unreachable or refused: discovery is retried next period
        logger.warning("metering: discovery on %s failed: %s", state, exc)
        state.discovery_error = str(exc)[:2000]
        state.save(update_fields=["discovery_error"])
        return False
    with transaction.atomic():  # what the cluster said, written whole
        before = set(state.runtimes.values_list("name", flat=True))
        found = {rc["metadata"]["name"]: rc.get("handler", "") for rc in runtime_classes}
        state.runtimes.exclude(name__in=found).delete()
        for name, handler in found.items():
            ClusterRuntime.objects.update_or_create(
                state=state, name=name, defaults={"handler": handler, "seen_at": now}
            )
        cpu = memory = gpus = 0
        for node in nodes:
            allocatable = (node.get("status") or {}).get("allocatable") or {}
            cpu += parse(allocatable.get("cpu", "0"), CPU)
            memory += parse(allocatable.get("memory", "0"), BYTES)
            gpus += parse(allocatable.get("nvidia.com/gpu", "0"), COUNT)
        state.storage_classes = sorted(sc["metadata"]["name"] for sc in storage_classes)
        state.allocatable_cpu_millicores = cpu
        state.allocatable_memory_bytes = memory
        state.allocatable_gpus = gpus
        state.node_count = len(nodes)
        first_time = state.discovered_at is None
        state.discovered_at = now
        state.discovery_error = ""
        state.save(update_fields=DISCOVERED_FIELDS)
    return first_time or before != set(found)


DISCOVERED_FIELDS = [
    "storage_classes",
    "allocatable_cpu_millicores",
    "allocatable_memory_bytes",
    "allocatable_gpus",
    "node_count",
    "discovered_at",
    "discovery_error",
]


def clusters_discover(*, now: datetime) -> int:
    """Discover every cluster, each under its state row's lease; re-select runtimes on change."""
    changed = 0
    owner = new_owner()
    for state in cluster_states_ensure():
        with cluster_claimed(ClusterState.objects.filter(pk=state.pk), owner=owner) as claimed:
            if claimed is not None and cluster_discover(state=claimed, now=now):
                changed += 1
    if changed:
        namespace_runtimes_refresh()
    return changed


def unknown_runtime_classes() -> list[ClusterRuntime]:
    """RuntimeClasses present on some cluster that the catalog does not describe."""
    catalog = RuntimeClassProfile.objects.values("name")
    return list(ClusterRuntime.objects.exclude(name__in=catalog).select_related("state__cluster"))

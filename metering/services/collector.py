"""Usage collection: one list call per resource kind per cluster, grouped by namespace in memory.

The API calls per cycle do not grow with the number of namespaces. Each window is written at
most once (unique per namespace, metric and window); a cluster or endpoint that cannot be
read yields gap samples, never zeros.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from clusters.kube.errors import KubeError
from metering import kube, prometheus
from metering.models import ClusterState, Metric, NamespaceRuntime, RuntimeClassProfile, UsageSample
from metering.quantities import parse_decimal
from metering.selectors import cluster_states
from tenants.models import Namespace, NamespaceStatus

logger = logging.getLogger(__name__)

QUOTA_USED_METRICS = {
    "requests.cpu": Metric.CPU_REQUEST,
    "limits.cpu": Metric.CPU_LIMIT,
    "requests.memory": Metric.MEMORY_REQUEST,
    "limits.memory": Metric.MEMORY_LIMIT,
    "pods": Metric.PODS,
}
NETWORK_METRICS = (
    Metric.NET_INGRESS_INTERNAL,
    Metric.NET_INGRESS_EXTERNAL,
    Metric.NET_EGRESS_INTERNAL,
    Metric.NET_EGRESS_EXTERNAL,
)
GPU_RESOURCE = "nvidia.com/gpu"
SIX_PLACES = Decimal("0.000001")
MEASURED_STATES = [
    NamespaceStatus.PROVISIONING,
    NamespaceStatus.READY,
    NamespaceStatus.ERROR,
    NamespaceStatus.TERMINATING,
]


@dataclass
class CollectResult:
    cluster: str
    window_start: datetime
    api_calls: int = 0
    prometheus_queries: int = 0
    rows_offered: int = 0
    gaps: int = 0
    errors: list[str] = field(default_factory=list)


def align_window(now: datetime, interval: int) -> tuple[datetime, datetime]:
    """The last complete window before ``now``: [start, start + interval)."""
    epoch = int(now.timestamp())
    end_ts = epoch - epoch % interval
    end = datetime.fromtimestamp(end_ts, tz=now.tzinfo)
    return end - timedelta(seconds=interval), end


def cluster_states_ensure() -> list[ClusterState]:
    """Every cluster's state row, making the missing ones (the tasks call this, pages never do).

    Rows are keyed by cluster alone, so changing the default cluster moves nothing and two
    workers making the same row at once both end up with it.
    """
    states = []
    for state in cluster_states():
        if state.pk is None:
            state, _ = ClusterState.objects.get_or_create(cluster=state.cluster)
        states.append(state)
    return states


def namespaces_on(state: ClusterState):
    """Namespaces living on the state's cluster."""
    return Namespace.objects.filter(cluster_id=state.cluster_id)


def usage_collect(*, now: datetime) -> list[CollectResult]:
    """Collect the last complete window on every cluster not yet collected for it.

    Each cluster is claimed by locking its state row with ``skip_locked``, so two workers
    never measure the same cluster and window.
    """
    window_start, window_end = align_window(now, settings.METERING_INTERVAL_SECONDS)
    results = []
    for state in cluster_states_ensure():
        with transaction.atomic():
            claimed = (
                ClusterState.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("cluster")
                .filter(pk=state.pk)
                .filter(Q(last_window_start__isnull=True) | Q(last_window_start__lt=window_start))
                .first()
            )
            if claimed is None:
                continue
            lost = usage_record_lost_windows(state=claimed, until=window_start)
            result = usage_collect_window(state=claimed, window_start=window_start, window_end=window_end)
            result.gaps += lost
            claimed.last_window_start = window_start
            claimed.last_collected_at = now
            claimed.last_collect_error = "; ".join(result.errors)
            claimed.save(update_fields=["last_window_start", "last_collected_at", "last_collect_error"])
            results.append(result)
    return results


def usage_record_lost_windows(*, state: ClusterState, until: datetime) -> int:
    """Gap samples for the windows between the cluster's last measured one and ``until`` that
    nobody measured (workers down, a failing cycle), so lost minutes read as unmeasured, never
    as zero. At most ``METERING_GAP_BACKFILL_MINUTES`` back; returns the rows offered."""
    interval = timedelta(seconds=settings.METERING_INTERVAL_SECONDS)
    if state.last_window_start is None:
        return 0
    first = max(
        state.last_window_start + interval,
        until - timedelta(minutes=settings.METERING_GAP_BACKFILL_MINUTES),
    )
    windows = []
    start = first
    while start < until:
        windows.append(start)
        start += interval
    namespace_ids = list(namespaces_on(state).filter(status__in=MEASURED_STATES).values_list("pk", flat=True))
    if not windows or not namespace_ids:
        return 0
    metrics = [m for m in _SOURCES if settings.PROMETHEUS_URL or m not in NETWORK_METRICS]
    rows = [
        UsageSample(
            namespace_id=namespace_id,
            metric=metric,
            window_start=window,
            window_end=window + interval,
            quantity=None,
            is_gap=True,
            source=_SOURCES[metric],
        )
        for window in windows
        for namespace_id in namespace_ids
        for metric in metrics
    ]
    UsageSample.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def _quantity(value) -> Decimal:
    return parse_decimal(value).quantize(SIX_PLACES)


def usage_collect_window(
    *, state: ClusterState, window_start: datetime, window_end: datetime, gateway=None
) -> CollectResult:
    """Measure one cluster for one window and write the samples (idempotent per window)."""
    result = CollectResult(cluster=str(state), window_start=window_start)
    namespaces = dict(namespaces_on(state).filter(status__in=MEASURED_STATES).values_list("name", "pk"))
    if not namespaces:
        return result
    try:
        gateway = gateway or kube.gateway_for(state.cluster)
    except KubeError as exc:  # no credentials or bad kubeconfig: record gaps like any outage
        logger.warning("metering: no gateway for %s: %s", state, exc)
        result.errors.append(f"gateway: {exc}")
        gateway = None

    def fetch(what: str, call):
        if gateway is None:
            return None
        result.api_calls += 1
        try:
            return kube.items(call())
        except KubeError as exc:  # every failed read becomes gaps for its metrics
            logger.warning("metering: listing %s on %s failed: %s", what, state, exc)
            result.errors.append(f"{what}: {exc}")
            return None

    quotas = fetch("resourcequotas", lambda: gateway.list("v1", "ResourceQuota"))
    pod_metrics = fetch("pod metrics", lambda: gateway.list_pod_metrics())
    pvcs = fetch("persistentvolumeclaims", lambda: gateway.list("v1", "PersistentVolumeClaim"))
    services = fetch("services", lambda: gateway.list("v1", "Service"))
    pods = fetch("pods", lambda: gateway.list("v1", "Pod"))

    values: dict[str, dict[str, Decimal | None]] = defaultdict(dict)
    present: set[str] = set()
    for listing in (quotas, pvcs, services, pods, pod_metrics):
        for obj in listing or []:
            present.add(obj.get("metadata", {}).get("namespace", ""))

    def gauge(metric: str, listing, per_namespace: dict[str, Decimal]) -> None:
        for name in namespaces:
            if listing is None or name not in present:
                values[name][metric] = None
            else:
                values[name][metric] = per_namespace.get(name, Decimal(0))

    used: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for quota in quotas or []:
        ns = quota["metadata"].get("namespace", "")
        for key, metric in QUOTA_USED_METRICS.items():
            raw = (quota.get("status") or {}).get("used", {}).get(key)
            if raw is not None:
                used[metric][ns] = max(used[metric].get(ns, Decimal(0)), _quantity(raw))
    quota_namespaces = {q["metadata"].get("namespace", "") for q in quotas or []}
    for metric in QUOTA_USED_METRICS.values():
        for name in namespaces:
            values[name][metric] = used[metric].get(name, Decimal(0)) if name in quota_namespaces else None

    cpu: dict[str, Decimal] = defaultdict(Decimal)
    memory: dict[str, Decimal] = defaultdict(Decimal)
    for pod in pod_metrics or []:
        ns = pod["metadata"].get("namespace", "")
        for container in pod.get("containers") or []:
            usage = container.get("usage") or {}
            cpu[ns] += _quantity(usage.get("cpu", "0"))
            memory[ns] += _quantity(usage.get("memory", "0"))
    gauge(Metric.CPU_USAGE, pod_metrics, cpu)
    gauge(Metric.MEMORY_USAGE, pod_metrics, memory)

    storage: dict[str, Decimal] = defaultdict(Decimal)
    # Requested bytes per namespace and StorageClass ("" for claims naming none), so billing
    # can price each class; only classes a namespace has claims in get a sample.
    storage_by_class: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for pvc in pvcs or []:
        spec = pvc.get("spec") or {}
        requested = (spec.get("resources") or {}).get("requests", {}).get("storage")
        if requested:
            ns = pvc["metadata"].get("namespace", "")
            storage[ns] += _quantity(requested)
            storage_by_class[ns][spec.get("storageClassName") or ""] += _quantity(requested)
    gauge(Metric.STORAGE_REQUEST, pvcs, storage)

    balancers: dict[str, Decimal] = defaultdict(Decimal)
    for service in services or []:
        if (service.get("spec") or {}).get("type") == "LoadBalancer":
            balancers[service["metadata"].get("namespace", "")] += 1
    gauge(Metric.LOAD_BALANCERS, services, balancers)

    multipliers = dict(RuntimeClassProfile.objects.values_list("name", "price_multiplier"))
    gpus: dict[str, Decimal] = defaultdict(Decimal)
    pod_runtime: dict[str, str] = {}
    for pod in pods or []:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        ns = pod["metadata"].get("namespace", "")
        spec = pod.get("spec") or {}
        for container in spec.get("containers") or []:
            resources = container.get("resources") or {}
            amount = (resources.get("limits") or {}).get(GPU_RESOURCE) or (
                resources.get("requests") or {}
            ).get(GPU_RESOURCE)
            if amount:
                gpus[ns] += _quantity(amount)
        runtime = spec.get("runtimeClassName") or ""
        if runtime and multipliers.get(runtime, Decimal(0)) >= multipliers.get(
            pod_runtime.get(ns, ""), Decimal(-1)
        ):
            pod_runtime[ns] = runtime
    gauge(Metric.GPU_REQUEST, pods, gpus)

    seconds = int((window_end - window_start).total_seconds())
    network = prometheus.network_bytes(window_end=window_end, window_seconds=seconds)
    if network is not None:  # None: no Prometheus configured, so network is not metered at all
        result.prometheus_queries = len(network)
        for network_metric, per_namespace in network.items():
            if per_namespace is None:
                result.errors.append(f"prometheus {network_metric}: query failed")
            for name in namespaces:
                values[name][network_metric] = None if per_namespace is None else per_namespace.get(name)

    default_runtime = dict(
        NamespaceRuntime.objects.filter(namespace_id__in=namespaces.values()).values_list(
            "namespace_id", "chosen"
        )
    )
    rows = []
    for name, namespace_id in namespaces.items():
        runtime = pod_runtime.get(name) or default_runtime.get(namespace_id, "")
        for measured, quantity in values[name].items():
            source = _SOURCES[measured]
            is_gap = quantity is None
            result.gaps += is_gap
            rows.append(
                UsageSample(
                    namespace_id=namespace_id,
                    metric=measured,
                    window_start=window_start,
                    window_end=window_end,
                    quantity=None if is_gap else quantity,
                    is_gap=is_gap,
                    source=source,
                    runtime_class=runtime,
                )
            )
        for storage_class, quantity in storage_by_class.get(name, {}).items():
            rows.append(
                UsageSample(
                    namespace_id=namespace_id,
                    metric=Metric.STORAGE_CLASS_REQUEST,
                    storage_class=storage_class,
                    window_start=window_start,
                    window_end=window_end,
                    quantity=quantity,
                    source=_SOURCES[Metric.STORAGE_REQUEST],
                    runtime_class=runtime,
                )
            )
    UsageSample.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    result.rows_offered = len(rows)
    return result


_SOURCES: dict[str, str] = {
    **dict.fromkeys(QUOTA_USED_METRICS.values(), "resourcequota"),
    Metric.CPU_USAGE: "metrics-api",
    Metric.MEMORY_USAGE: "metrics-api",
    Metric.STORAGE_REQUEST: "pvc",
    Metric.LOAD_BALANCERS: "services",
    Metric.GPU_REQUEST: "pods",
    **dict.fromkeys(NETWORK_METRICS, "prometheus"),
}

"""Usage collection: one list per resource kind per cluster, read page by page (``limit`` and
``continue``, as real API servers serve them) and folded into per-namespace quantities as the
pages arrive, so memory holds one page of objects, not the cluster's.

The API calls per cycle are the kinds times their pages (``METERING_LIST_PAGE_SIZE`` objects
each), never one per namespace. ``usage_collect_window`` is the I/O; the folds, the per-
namespace values and the samples are pure functions above it. Each window is written at
most once (unique per namespace, metric and window); a cluster or endpoint that cannot be
read yields gap samples, never zeros.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import TypeVar

from django.conf import settings
from django.db.models import Q, QuerySet

from clusters.kube.errors import KubeError
from core.claims import Lease, new_owner
from metering import kube, prometheus
from metering.models import ClusterState, Metric, NamespaceRuntime, RuntimeClassProfile, UsageSample
from metering.quantities import parse_decimal
from metering.selectors import cluster_states
from tenants.models import Namespace, NamespaceStatus

logger = logging.getLogger(__name__)

T = TypeVar("T")

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
WRITE_BATCH = 2000
# A cluster's state row is leased while a worker measures or discovers it; a lease outlives
# the slowest cycle, and a dead worker's runs out before the next few windows are lost.
CLAIM = Lease("lease_owner", "lease_until")
CLAIM_LEASE = timedelta(minutes=10)
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

    Each cluster is claimed by the lease on its state row (no lock is held while the cluster
    answers), so two workers never measure the same cluster at once; a worker that dies
    mid-window leaves its lease to run out, and the samples it wrote are ignored when the
    window is measured again (one row per namespace, metric and window).
    """
    window_start, window_end = align_window(now, settings.METERING_INTERVAL_SECONDS)
    owner = new_owner()
    results = []
    for state in cluster_states_ensure():
        due = ClusterState.objects.filter(pk=state.pk).filter(
            Q(last_window_start__isnull=True) | Q(last_window_start__lt=window_start)
        )
        with cluster_claimed(due, owner=owner) as claimed:
            if claimed is None:
                continue
            lost = usage_record_lost_windows(state=claimed, until=window_start)
            result = usage_collect_window(state=claimed, window_start=window_start, window_end=window_end)
            result.gaps += lost
            CLAIM.held(ClusterState.objects.filter(pk=claimed.pk), owner=owner).update(
                last_window_start=window_start,
                last_collected_at=now,
                last_collect_error="; ".join(result.errors),
            )
            results.append(result)
    return results


@contextmanager
def cluster_claimed(due: QuerySet[ClusterState], *, owner: str) -> Iterator[ClusterState | None]:
    """The state row of ``due`` (one cluster's), leased to ``owner`` for the block and given
    back after it; None when another worker holds it or the cluster is not due."""
    if not CLAIM.claim(due, owner=owner, duration=CLAIM_LEASE):
        yield None
        return
    mine = CLAIM.held(ClusterState.objects.select_related("cluster"), owner=owner)
    claimed = mine.get(pk__in=due.values("pk"))
    try:
        yield claimed
    finally:
        CLAIM.release(mine.filter(pk=claimed.pk), owner=owner)


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


# Pure steps: each folds one kind's listing (any iterable of objects, e.g. streamed pages)
# into per-namespace quantities and the set of namespaces the listing mentioned.


def _namespace(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace", "")


def quota_usage(quotas: Iterable[dict]) -> tuple[dict[str, dict[str, Decimal]], set[str]]:
    """``status.used`` of the ResourceQuotas by metric and namespace (the largest of a
    namespace's quotas), and the namespaces that have a quota."""
    used: dict[str, dict[str, Decimal]] = defaultdict(dict)
    seen: set[str] = set()
    for quota in quotas:
        ns = _namespace(quota)
        seen.add(ns)
        for key, metric in QUOTA_USED_METRICS.items():
            raw = (quota.get("status") or {}).get("used", {}).get(key)
            if raw is not None:
                used[metric][ns] = max(used[metric].get(ns, Decimal(0)), _quantity(raw))
    return used, seen


def pod_metrics_usage(pod_metrics: Iterable[dict]) -> tuple[dict[str, Decimal], dict[str, Decimal], set[str]]:
    """CPU and memory in use per namespace, from the metrics API's PodMetrics."""
    cpu: dict[str, Decimal] = defaultdict(Decimal)
    memory: dict[str, Decimal] = defaultdict(Decimal)
    seen: set[str] = set()
    for pod in pod_metrics:
        ns = _namespace(pod)
        seen.add(ns)
        for container in pod.get("containers") or []:
            usage = container.get("usage") or {}
            cpu[ns] += _quantity(usage.get("cpu", "0"))
            memory[ns] += _quantity(usage.get("memory", "0"))
    return cpu, memory, seen


def storage_requests(
    pvcs: Iterable[dict],
) -> tuple[dict[str, Decimal], dict[str, dict[str, Decimal]], set[str]]:
    """Requested bytes per namespace, and per namespace and StorageClass ("" for claims naming
    none), so billing can price each class; only classes a namespace has claims in appear."""
    storage: dict[str, Decimal] = defaultdict(Decimal)
    by_class: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    seen: set[str] = set()
    for pvc in pvcs:
        ns = _namespace(pvc)
        seen.add(ns)
        spec = pvc.get("spec") or {}
        requested = (spec.get("resources") or {}).get("requests", {}).get("storage")
        if requested:
            storage[ns] += _quantity(requested)
            by_class[ns][spec.get("storageClassName") or ""] += _quantity(requested)
    return storage, by_class, seen


def load_balancers(services: Iterable[dict]) -> tuple[dict[str, Decimal], set[str]]:
    """Services of type LoadBalancer per namespace."""
    balancers: dict[str, Decimal] = defaultdict(Decimal)
    seen: set[str] = set()
    for service in services:
        ns = _namespace(service)
        seen.add(ns)
        if (service.get("spec") or {}).get("type") == "LoadBalancer":
            balancers[ns] += 1
    return balancers, seen


def pod_gpus_and_runtimes(
    pods: Iterable[dict], multipliers: Mapping[str, Decimal]
) -> tuple[dict[str, Decimal], dict[str, str], set[str]]:
    """GPUs of running pods per namespace, and each namespace's most expensive runtime class
    among them (by ``multipliers``)."""
    gpus: dict[str, Decimal] = defaultdict(Decimal)
    runtimes: dict[str, str] = {}
    seen: set[str] = set()
    for pod in pods:
        ns = _namespace(pod)
        seen.add(ns)
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
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
            runtimes.get(ns, ""), Decimal(-1)
        ):
            runtimes[ns] = runtime
    return gpus, runtimes, seen


@dataclass
class Readings:
    """What the window's listings told; a kind whose list failed is None (its metrics are gaps)."""

    quotas: tuple[dict[str, dict[str, Decimal]], set[str]] | None = None
    pod_metrics: tuple[dict[str, Decimal], dict[str, Decimal], set[str]] | None = None
    pvcs: tuple[dict[str, Decimal], dict[str, dict[str, Decimal]], set[str]] | None = None
    services: tuple[dict[str, Decimal], set[str]] | None = None
    pods: tuple[dict[str, Decimal], dict[str, str], set[str]] | None = None
    network: dict[str, dict[str, Decimal] | None] | None = None  # None: Prometheus not configured

    @property
    def present(self) -> set[str]:
        """Namespaces any listing mentioned: one none mentioned may not exist on the cluster yet."""
        listed = (self.quotas, self.pod_metrics, self.pvcs, self.services, self.pods)
        return set().union(*(reading[-1] for reading in listed if reading is not None))


def window_values(
    names: Iterable[str], readings: Readings
) -> Iterator[tuple[str, dict[str, Decimal | None]]]:
    """(namespace, its quantity per metric), one namespace at a time; None for a gap (a failed listing, a namespace no
    listing mentioned, a failed Prometheus query); a metric nothing reported for is zero."""
    present = readings.present
    gauges: list[tuple[str, dict[str, Decimal] | None]] = []
    if readings.pod_metrics is not None:
        gauges += [
            (Metric.CPU_USAGE, readings.pod_metrics[0]),
            (Metric.MEMORY_USAGE, readings.pod_metrics[1]),
        ]
    else:
        gauges += [(Metric.CPU_USAGE, None), (Metric.MEMORY_USAGE, None)]
    gauges.append((Metric.STORAGE_REQUEST, readings.pvcs[0] if readings.pvcs is not None else None))
    gauges.append((Metric.LOAD_BALANCERS, readings.services[0] if readings.services is not None else None))
    gauges.append((Metric.GPU_REQUEST, readings.pods[0] if readings.pods is not None else None))
    used, with_quota = readings.quotas if readings.quotas is not None else ({}, set())
    for name in names:
        row: dict[str, Decimal | None] = {
            metric: used.get(metric, {}).get(name, Decimal(0)) if name in with_quota else None
            for metric in QUOTA_USED_METRICS.values()
        }
        for metric, per_namespace in gauges:
            row[metric] = (
                None if per_namespace is None or name not in present else per_namespace.get(name, Decimal(0))
            )
        for metric, per_namespace in (readings.network or {}).items():
            row[metric] = None if per_namespace is None else per_namespace.get(name)
        yield name, row


def window_samples(
    *,
    namespaces: Mapping[str, int],
    readings: Readings,
    default_runtime: Mapping[int, str],
    window_start: datetime,
    window_end: datetime,
) -> Iterator[UsageSample]:
    """The window's samples (unsaved), namespace by namespace: every metric, gaps included,
    and its storage per StorageClass; each carries the namespace's runtime class."""
    by_class = readings.pvcs[1] if readings.pvcs is not None else {}
    pod_runtime = readings.pods[1] if readings.pods is not None else {}
    for name, values in window_values(namespaces, readings):
        namespace_id = namespaces[name]
        runtime = pod_runtime.get(name) or default_runtime.get(namespace_id, "")
        for measured, quantity in values.items():
            yield UsageSample(
                namespace_id=namespace_id,
                metric=measured,
                window_start=window_start,
                window_end=window_end,
                quantity=quantity,
                is_gap=quantity is None,
                source=_SOURCES[measured],
                runtime_class=runtime,
            )
        for storage_class, quantity in by_class.get(name, {}).items():
            yield UsageSample(
                namespace_id=namespace_id,
                metric=Metric.STORAGE_CLASS_REQUEST,
                storage_class=storage_class,
                window_start=window_start,
                window_end=window_end,
                quantity=quantity,
                source=_SOURCES[Metric.STORAGE_REQUEST],
                runtime_class=runtime,
            )


# I/O: list the cluster page by page, ask Prometheus, write the samples.


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

    def streamed(pages: Iterator[list[dict]]) -> Iterator[dict]:
        for page in pages:
            result.api_calls += 1
            yield from page

    def read(what: str, api_version: str, kind: str, fold: Callable[[Iterable[dict]], T]) -> T | None:
        """``fold`` over every page of a cluster-wide list; None (and an error) if any page fails."""
        if gateway is None:
            return None
        try:
            return fold(
                streamed(gateway.list_pages(api_version, kind, limit=settings.METERING_LIST_PAGE_SIZE))
            )
        except KubeError as exc:  # every failed read becomes gaps for its metrics
            logger.warning("metering: listing %s on %s failed: %s", what, state, exc)
            result.errors.append(f"{what}: {exc}")
            return None

    multipliers = dict(RuntimeClassProfile.objects.values_list("name", "price_multiplier"))
    readings = Readings(
        quotas=read("resourcequotas", "v1", "ResourceQuota", quota_usage),
        pod_metrics=read("pod metrics", "metrics.k8s.io/v1beta1", "PodMetrics", pod_metrics_usage),
        pvcs=read("persistentvolumeclaims", "v1", "PersistentVolumeClaim", storage_requests),
        services=read("services", "v1", "Service", load_balancers),
        pods=read("pods", "v1", "Pod", lambda pods: pod_gpus_and_runtimes(pods, multipliers)),
    )
    seconds = int((window_end - window_start).total_seconds())
    readings.network = prometheus.network_bytes(window_end=window_end, window_seconds=seconds)
    if readings.network is not None:  # None: no Prometheus configured, so network is not metered at all
        result.prometheus_queries = len(readings.network)
        for network_metric, per_namespace in readings.network.items():
            if per_namespace is None:
                result.errors.append(f"prometheus {network_metric}: query failed")

    default_runtime = dict(
        NamespaceRuntime.objects.filter(namespace_id__in=namespaces.values()).values_list(
            "namespace_id", "chosen"
        )
    )
    samples = window_samples(
        namespaces=namespaces,
        readings=readings,
        default_runtime=default_runtime,
        window_start=window_start,
        window_end=window_end,
    )
    while rows := list(islice(samples, WRITE_BATCH)):  # written in batches: memory holds one
        UsageSample.objects.bulk_create(rows, ignore_conflicts=True)
        result.rows_offered += len(rows)
        result.gaps += sum(row.is_gap for row in rows)
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

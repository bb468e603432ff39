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
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from clusters.kube.errors import KubeError
from core.claims import Lease, new_owner
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
WRITE_BATCH = 2000
# Namespaces whose samples are worked out and written together: with one page per kind, this
# bounds the collector's memory whatever the cluster's size.
NAMESPACE_BATCH = 500
# How many times a list whose continue token expired (410) is started again in one window.
RELISTS = 3
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


QuotaReading = tuple[dict[str, dict[str, Decimal]], set[str]]
PodMetricsReading = tuple[dict[str, Decimal], dict[str, Decimal], set[str]]
StorageReading = tuple[dict[str, Decimal], dict[str, dict[str, Decimal]], set[str]]
ServicesReading = tuple[dict[str, Decimal], set[str]]
PodsReading = tuple[dict[str, Decimal], dict[str, str], set[str]]


def quota_usage(quotas: Iterable[dict], into: QuotaReading | None = None) -> QuotaReading:
    """``status.used`` of the ResourceQuotas by metric and namespace (the largest of a
    namespace's quotas), and the namespaces that have a quota; added to ``into`` if given
    (every fold below does the same, so a listing can be folded a namespace at a time)."""
    used, seen = into if into is not None else (defaultdict(dict), set())
    for quota in quotas:
        ns = _namespace(quota)
        seen.add(ns)
        for key, metric in QUOTA_USED_METRICS.items():
            raw = (quota.get("status") or {}).get("used", {}).get(key)
            if raw is not None:
                used[metric][ns] = max(used[metric].get(ns, Decimal(0)), _quantity(raw))
    return used, seen


def pod_metrics_usage(
    pod_metrics: Iterable[dict], into: PodMetricsReading | None = None
) -> PodMetricsReading:
    """CPU and memory in use per namespace, from the metrics API's PodMetrics."""
    cpu, memory, seen = into if into is not None else (defaultdict(Decimal), defaultdict(Decimal), set())
    for pod in pod_metrics:
        ns = _namespace(pod)
        seen.add(ns)
        for container in pod.get("containers") or []:
            usage = container.get("usage") or {}
            cpu[ns] += _quantity(usage.get("cpu", "0"))
            memory[ns] += _quantity(usage.get("memory", "0"))
    return cpu, memory, seen


def storage_requests(pvcs: Iterable[dict], into: StorageReading | None = None) -> StorageReading:
    """Requested bytes per namespace, and per namespace and StorageClass ("" for claims naming
    none), so billing can price each class; only classes a namespace has claims in appear."""
    storage, by_class, seen = (
        into if into is not None else (defaultdict(Decimal), defaultdict(lambda: defaultdict(Decimal)), set())
    )
    for pvc in pvcs:
        ns = _namespace(pvc)
        seen.add(ns)
        spec = pvc.get("spec") or {}
        requested = (spec.get("resources") or {}).get("requests", {}).get("storage")
        if requested:
            storage[ns] += _quantity(requested)
            by_class[ns][spec.get("storageClassName") or ""] += _quantity(requested)
    return storage, by_class, seen


def load_balancers(services: Iterable[dict], into: ServicesReading | None = None) -> ServicesReading:
    """Services of type LoadBalancer per namespace."""
    balancers, seen = into if into is not None else (defaultdict(Decimal), set())
    for service in services:
        ns = _namespace(service)
        seen.add(ns)
        if (service.get("spec") or {}).get("type") == "LoadBalancer":
            balancers[ns] += 1
    return balancers, seen


def pod_gpus_and_runtimes(
    pods: Iterable[dict], multipliers: Mapping[str, Decimal], into: PodsReading | None = None
) -> PodsReading:
    """GPUs of running pods per namespace, and each namespace's most expensive runtime class
    among them (by ``multipliers``)."""
    gpus, runtimes, seen = into if into is not None else (defaultdict(Decimal), {}, set())
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

    quotas: QuotaReading | None = None
    pod_metrics: PodMetricsReading | None = None
    pvcs: StorageReading | None = None
    services: ServicesReading | None = None
    pods: PodsReading | None = None
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


# Lists in key order: a namespace's objects are all read once a list has moved past it.


def key_order(namespace: str) -> str:
    """Where a namespace's objects sit in a cluster-wide list: kube-apiserver lists in etcd key
    order (``/registry/<resource>/<namespace>/<name>``), by the bytes of ``<namespace>/``, so
    ``a-b`` comes before ``a`` ('-' is below '/') and each namespace's objects are contiguous."""
    return namespace + "/"


def object_key(obj: dict) -> tuple[str, str]:
    return key_order(_namespace(obj)), (obj.get("metadata") or {}).get("name", "")


class ListingOutOfOrder(Exception):
    """A server's pages were not in key order: the namespaces already measured may lack objects."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def listed_objects(
    gateway, api_version: str, kind: str, *, limit: int, on_page: Callable[[], None], whole: bool = False
) -> Iterator[dict]:
    """Every object of a cluster-wide list in key order, read a page (``limit``, ``continue``)
    at a time, so memory holds one page.

    kube-apiserver's pages follow etcd key order (a continue token resumes after the last key
    read); a server that does not page (metrics-server) answers in one page, sorted here. A
    continue token the server no longer honours (410 Expired: etcd compacted its revision)
    starts the list again, skipping the keys already read (at most ``RELISTS`` times). Pages
    out of key order raise ``ListingOutOfOrder``; ``whole`` reads every page first and sorts
    them all (memory: the whole list), for such a server.
    """
    token, last, relists, skipping = "", ("", ""), 0, False
    held: list[dict] = []
    while True:
        try:
            items, token = gateway.list_page(api_version, kind, None, limit=limit, continue_token=token)
        except KubeError as exc:
            if exc.code != 410 or not token or relists >= RELISTS:
                raise
            logger.info("metering: %s continue token expired, listing again: %s", kind, exc)
            token, relists, skipping = "", relists + 1, True
            continue
        on_page()
        if whole:
            held += items
            if token:
                continue
            items = held
        items.sort(key=object_key)
        for item in items:
            key = object_key(item)
            if key <= last:
                if skipping:
                    continue
                raise ListingOutOfOrder(kind, f"{kind}: {key} after {last}")
            skipping, last = False, key
            yield item
        if not token:
            return


@dataclass(eq=False)
class _Stream:
    """One kind's listing as it streams, folded a namespace at a time into ``reading``."""

    what: str
    field: str  # of Readings
    fold: Callable[[Iterable[dict], Any], Any]
    objects: Iterator[dict]
    next: dict | None = None
    reading: Any = None
    failed: bool = False

    def advance(self) -> None:
        self.next = next(self.objects, None)

    def take(self, namespace: str) -> Iterator[dict]:
        """The namespace's objects, advancing past them (a page that fails raises out of here)."""
        while self.next is not None and _namespace(self.next) == namespace:
            yield self.next
            self.advance()

    def value(self) -> Any:
        if self.failed:
            return None
        return self.reading if self.reading is not None else self.fold((), None)


def usage_collect_window(
    *, state: ClusterState, window_start: datetime, window_end: datetime, gateway=None
) -> CollectResult:
    """Measure one cluster for one window and write the samples (idempotent per window)."""
    result = CollectResult(cluster=str(state), window_start=window_start)
    measured = namespaces_on(state).filter(status__in=MEASURED_STATES)
    if not measured.exists():
        return result
    try:
        gateway = gateway or kube.gateway_for(state.cluster)
    except KubeError as exc:  # no credentials or bad kubeconfig: record gaps like any outage
        logger.warning("metering: no gateway for %s: %s", state, exc)
        result.errors.append(f"gateway: {exc}")
        gateway = None
    seconds = int((window_end - window_start).total_seconds())
    network = prometheus.network_bytes(window_end=window_end, window_seconds=seconds)
    if network is not None:  # None: no Prometheus configured, so network is not metered at all
        result.prometheus_queries = len(network)
        for network_metric, per_namespace in network.items():
            if per_namespace is None:
                result.errors.append(f"prometheus {network_metric}: query failed")
    write = _SampleWriter(measured, result, network, window_start, window_end)
    whole: set[str] = set()
    while True:
        try:
            _merge_listings(gateway, state, result, write, whole=whole)
            break
        except ListingOutOfOrder as exc:  # not kube-apiserver's way: measure again, that kind read whole
            logger.warning("metering: %s on %s; listing it whole", exc, state)
            whole.add(exc.kind)
            UsageSample.objects.filter(namespace__in=measured, window_start=window_start).delete()
            result.rows_offered = result.gaps = 0
            result.errors.clear()
    # Namespaces no listing mentioned (not on the cluster yet, or the listings failed): gaps.
    after = 0
    written = UsageSample.objects.filter(namespace_id=OuterRef("pk"), window_start=window_start)
    while batch := list(
        measured.filter(pk__gt=after)
        .exclude(Exists(written))
        .order_by("pk")
        .values_list("name", "pk")[:NAMESPACE_BATCH]
    ):
        after = batch[-1][1]
        write(dict(batch), Readings())
    return result


def _merge_listings(gateway, state: ClusterState, result: CollectResult, write, *, whole: set[str]) -> None:
    """List every kind at once, a page at a time each, and write the samples of each batch of
    namespaces every list has moved past. A kind whose page fails is a gap from the namespace
    it was reading on (those before it were read whole)."""
    if gateway is None:
        return
    multipliers = dict(RuntimeClassProfile.objects.values_list("name", "price_multiplier"))

    def count_page() -> None:
        result.api_calls += 1

    def stream(what, field, api_version, kind, fold) -> _Stream:
        objects = listed_objects(
            gateway,
            api_version,
            kind,
            limit=settings.METERING_LIST_PAGE_SIZE,
            on_page=count_page,
            whole=kind in whole,
        )
        return _Stream(what, field, fold, objects)

    streams = [
        stream("resourcequotas", "quotas", "v1", "ResourceQuota", quota_usage),
        stream("pod metrics", "pod_metrics", "metrics.k8s.io/v1beta1", "PodMetrics", pod_metrics_usage),
        stream("persistentvolumeclaims", "pvcs", "v1", "PersistentVolumeClaim", storage_requests),
        stream("services", "services", "v1", "Service", load_balancers),
        stream(
            "pods", "pods", "v1", "Pod", lambda pods, into: pod_gpus_and_runtimes(pods, multipliers, into)
        ),
    ]

    def failed(s: _Stream, exc: KubeError) -> None:  # every failed read becomes gaps for its metrics
        logger.warning("metering: listing %s on %s failed: %s", s.what, state, exc)
        result.errors.append(f"{s.what}: {exc}")
        s.failed, s.reading, s.next = True, None, None

    def readings() -> Readings:
        return Readings(**{s.field: s.value() for s in streams})

    for s in streams:
        try:
            s.advance()
        except KubeError as exc:
            failed(s, exc)
    batch: list[str] = []
    while heads := [s for s in streams if s.next is not None]:
        namespace = min((_namespace(s.next) for s in heads if s.next is not None), key=key_order)
        broke = []
        for s in heads:
            if s.next is not None and _namespace(s.next) == namespace:
                try:
                    s.reading = s.fold(s.take(namespace), s.reading)
                except KubeError as exc:
                    broke.append((s, exc))
        if broke:  # the namespaces before this one were read whole by every list
            write.named(batch, readings())
            batch = []
            for s, error in broke:
                failed(s, error)
        batch.append(namespace)
        if len(batch) >= NAMESPACE_BATCH:
            write.named(batch, readings())
            batch = []
            for s in streams:
                s.reading = None
    write.named(batch, readings())


class _SampleWriter:
    """Writes the samples of a batch of namespaces (those of the cluster the console measures;
    the others are ignored) in batches of ``WRITE_BATCH`` rows."""

    def __init__(
        self, measured, result: CollectResult, network, window_start: datetime, window_end: datetime
    ):
        self.measured, self.result, self.network = measured, result, network
        self.window_start, self.window_end = window_start, window_end

    def named(self, names: list[str], readings: Readings) -> None:
        if names:
            self(dict(self.measured.filter(name__in=names).values_list("name", "pk")), readings)

    def __call__(self, namespaces: dict[str, int], readings: Readings) -> None:
        if not namespaces:
            return
        readings.network = self.network
        default_runtime = dict(
            NamespaceRuntime.objects.filter(namespace_id__in=namespaces.values()).values_list(
                "namespace_id", "chosen"
            )
        )
        samples = window_samples(
            namespaces=namespaces,
            readings=readings,
            default_runtime=default_runtime,
            window_start=self.window_start,
            window_end=self.window_end,
        )
        while rows := list(islice(samples, WRITE_BATCH)):  # memory holds one batch of rows
            samples_insert(rows)
            self.result.rows_offered += len(rows)
            self.result.gaps += sum(row.is_gap for row in rows)


_SAMPLE_COLUMNS = (
    "namespace_id",
    "metric",
    "storage_class",
    "window_start",
    "window_end",
    "quantity",
    "source",
    "is_gap",
    "runtime_class",
    "collected_at",
)


def samples_insert(rows: list[UsageSample]) -> None:
    """``bulk_create(rows, ignore_conflicts=True)`` in one ``executemany``: the ORM prepares
    every field of every row one by one (two thirds of a cycle's time); here the window's
    datetimes, the same for every row, are adapted once. The values and the rows kept on a
    conflict are the same."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(UsageSample._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in _SAMPLE_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_SAMPLE_COLUMNS))
    first = rows[0]
    window_start = ops.adapt_datetimefield_value(first.window_start)
    window_end = ops.adapt_datetimefield_value(first.window_end)
    collected_at = ops.adapt_datetimefield_value(timezone.now())
    params = [
        (
            row.namespace_id,
            row.metric,
            row.storage_class,
            window_start
            if row.window_start == first.window_start
            else ops.adapt_datetimefield_value(row.window_start),
            window_end
            if row.window_end == first.window_end
            else ops.adapt_datetimefield_value(row.window_end),
            row.quantity,
            row.source,
            row.is_gap,
            row.runtime_class,
            collected_at,
        )
        for row in rows
    ]
    with transaction.atomic(), connection.cursor() as cursor:  # one transaction, as bulk_create
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING",  # noqa: S608 (model names only)
            params,
        )


_SOURCES: dict[str, str] = {
    **dict.fromkeys(QUOTA_USED_METRICS.values(), "resourcequota"),
    Metric.CPU_USAGE: "metrics-api",
    Metric.MEMORY_USAGE: "metrics-api",
    Metric.STORAGE_REQUEST: "pvc",
    Metric.LOAD_BALANCERS: "services",
    Metric.GPU_REQUEST: "pods",
    **dict.fromkeys(NETWORK_METRICS, "prometheus"),
}

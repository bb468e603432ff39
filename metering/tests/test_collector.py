from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clusters.connections import gateway_for_cluster
from metering.models import ClusterState, Metric, UsageSample
from metering.services.collector import (
    Readings,
    align_window,
    load_balancers,
    pod_gpus_and_runtimes,
    quota_usage,
    storage_requests,
    usage_collect,
    window_values,
)
from metering.services.discovery import clusters_discover

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC)


def seed_namespace(emulator, name, *, cpu="250m", memory="256Mi", storage="5Gi", lb=True, gpu="1"):
    gateway = gateway_for_cluster(_default())
    gateway.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    gateway.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "tenant-quota", "namespace": name},
            "spec": {"hard": {"requests.cpu": "4", "pods": "10"}},
        }
    )
    emulator.set_quota_used(name, "tenant-quota", {"requests.cpu": "1500m", "limits.cpu": "3", "pods": "3"})
    emulator.set_pod_metrics(
        name, "web-1", {"app": {"cpu": cpu, "memory": memory}, "sidecar": {"cpu": "50m", "memory": "0"}}
    )
    gateway.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}},
        }
    )
    if lb:
        gateway.apply(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "edge", "namespace": name},
                "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
            }
        )
    gateway.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "trainer", "namespace": name},
            "spec": {
                "runtimeClassName": "kata-clh",
                "containers": [
                    {"name": "t", "image": "busybox", "resources": {"limits": {"nvidia.com/gpu": gpu}}}
                ],
            },
        }
    )


def _default():
    from clusters.connections import default_cluster

    return default_cluster()


def samples(namespace):
    return {s.metric: s for s in UsageSample.objects.filter(namespace=namespace)}


def test_windows_are_aligned_to_the_interval():
    assert align_window(NOW, 60) == (
        datetime(2026, 11, 27, 9, 59, tzinfo=UTC),
        datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
    )


def test_one_cycle_measures_every_metric_from_one_list_per_kind(world, emulated_cluster):
    for ns in (world.namespace, world.other_namespace):
        ns.status = "ready"
        ns.save()
        seed_namespace(emulated_cluster, ns.name)
    emulated_cluster.reset_counters()
    [result] = usage_collect(now=NOW)
    assert result.api_calls == 5
    assert emulated_cluster.counts()["reads"] == 5
    got = samples(world.namespace)
    assert got[Metric.CPU_REQUEST].quantity == Decimal("1.5")
    assert got[Metric.CPU_LIMIT].quantity == Decimal("3")
    assert got[Metric.PODS].quantity == 3
    assert got[Metric.MEMORY_REQUEST].quantity == 0  # quota reports nothing used: a real zero
    assert got[Metric.CPU_USAGE].quantity == Decimal("0.3")
    assert got[Metric.MEMORY_USAGE].quantity == 256 * 2**20
    assert got[Metric.STORAGE_REQUEST].quantity == 5 * 2**30
    assert got[Metric.LOAD_BALANCERS].quantity == 1
    assert got[Metric.GPU_REQUEST].quantity == 1
    assert got[Metric.CPU_USAGE].runtime_class == "kata-clh"
    assert got[Metric.CPU_USAGE].window_start == datetime(2026, 11, 27, 9, 59, tzinfo=UTC)
    assert Metric.NET_EGRESS_EXTERNAL not in got  # no Prometheus configured: network not metered
    assert not any(s.is_gap for s in got.values())


def test_api_calls_do_not_grow_with_namespaces(world, emulated_cluster):
    from tests.factories import NamespaceFactory

    for i in range(12):
        ns = NamespaceFactory(team=world.team, name=f"many-{i}", status="ready")
        seed_namespace(emulated_cluster, ns.name, lb=False)
    emulated_cluster.reset_counters()
    [result] = usage_collect(now=NOW)
    assert emulated_cluster.counts()["reads"] == 5
    assert result.rows_offered == 12 * (10 + 1)  # ten metrics, and storage for the one StorageClass


def test_pvc_storage_is_recorded_per_storage_class(world, emulated_cluster):
    world.namespace.status = "ready"
    world.namespace.save()
    seed_namespace(emulated_cluster, world.namespace.name, storage="5Gi")  # a claim naming no class
    gateway = gateway_for_cluster(_default())
    for name, storage_class, size in (("fast", "fast-ssd", "10Gi"), ("bulk", "bulk-hdd", "100Gi"),
                                      ("bulk2", "bulk-hdd", "50Gi")):  # fmt: skip
        gateway.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": name, "namespace": world.namespace.name},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": storage_class,
                    "resources": {"requests": {"storage": size}},
                },
            }
        )
    usage_collect(now=NOW)
    by_class = {
        s.storage_class: s.quantity
        for s in UsageSample.objects.filter(namespace=world.namespace, metric=Metric.STORAGE_CLASS_REQUEST)
    }
    gib = 2**30
    assert by_class == {"": 5 * gib, "fast-ssd": 10 * gib, "bulk-hdd": 150 * gib}
    total = UsageSample.objects.get(namespace=world.namespace, metric=Metric.STORAGE_REQUEST)
    assert total.quantity == 165 * gib and total.storage_class == ""


def test_rerunning_a_window_changes_nothing(world, emulated_cluster):
    world.namespace.status = "ready"
    world.namespace.save()
    seed_namespace(emulated_cluster, world.namespace.name)
    usage_collect(now=NOW)
    before = list(UsageSample.objects.order_by("id").values_list("id", "metric", "quantity", "collected_at"))
    assert usage_collect(now=NOW + timedelta(seconds=20)) == []  # same window: already claimed
    ClusterState.objects.update(last_window_start=None)  # even forced, the window is written once
    emulated_cluster.set_quota_used(world.namespace.name, "tenant-quota", {"requests.cpu": "4"})
    usage_collect(now=NOW)
    after = list(UsageSample.objects.order_by("id").values_list("id", "metric", "quantity", "collected_at"))
    assert after == before
    usage_collect(now=NOW + timedelta(seconds=60))
    assert UsageSample.objects.filter(metric=Metric.CPU_REQUEST).count() == 2


def test_an_unreachable_cluster_records_gaps_not_zeros(world, emulated_cluster):
    world.namespace.status = "ready"
    world.namespace.save()
    seed_namespace(emulated_cluster, world.namespace.name)
    emulated_cluster.drop_next(5)
    [result] = usage_collect(now=NOW)
    got = samples(world.namespace)
    assert len(got) == 10
    assert all(s.is_gap and s.quantity is None for s in got.values())
    assert result.gaps == 10
    assert "resourcequotas" in ClusterState.objects.get(cluster__is_default=True).last_collect_error


def test_one_failing_list_only_gaps_its_own_metrics(world, emulated_cluster):
    world.namespace.status = "ready"
    world.namespace.save()
    seed_namespace(emulated_cluster, world.namespace.name)
    emulated_cluster.fail_next(1, 503, path="metrics.k8s.io")
    usage_collect(now=NOW)
    got = samples(world.namespace)
    assert got[Metric.CPU_USAGE].is_gap and got[Metric.MEMORY_USAGE].is_gap
    assert got[Metric.CPU_REQUEST].quantity == Decimal("1.5")


def test_namespaces_missing_from_the_cluster_are_gaps(world, emulated_cluster):
    world.namespace.status = "ready"
    world.namespace.save()
    usage_collect(now=NOW)
    assert all(s.is_gap for s in samples(world.namespace).values())


def test_network_bytes_come_from_prometheus_by_direction_and_class(world, emulated_cluster, prometheus):
    world.namespace.status = "ready"
    world.namespace.save()
    seed_namespace(emulated_cluster, world.namespace.name)
    prometheus.answers = {
        'direction="egress",class="external"': {"acme-dev": "1048576.4"},
        'direction="egress",class="internal"': {"acme-dev": "2048"},
        'direction="ingress",class="external"': {"acme-dev": "10"},
        'direction="ingress",class="internal"': {"other": "5"},
    }
    usage_collect(now=NOW)
    got = samples(world.namespace)
    assert got[Metric.NET_EGRESS_EXTERNAL].quantity == 1048576
    assert got[Metric.NET_EGRESS_INTERNAL].quantity == 2048
    assert got[Metric.NET_INGRESS_EXTERNAL].quantity == 10
    assert got[Metric.NET_INGRESS_INTERNAL].is_gap  # no series for the namespace: unmeasured
    assert len(prometheus.queries) == 4
    assert all("[60s]" in q["query"][0] for q in prometheus.queries)
    assert prometheus.queries[0]["time"] == [f"{datetime(2026, 11, 27, 10, 0, tzinfo=UTC).timestamp():.3f}"]


def test_prometheus_down_gaps_only_network(world, emulated_cluster, prometheus):
    world.namespace.status = "ready"
    world.namespace.save()
    seed_namespace(emulated_cluster, world.namespace.name)
    prometheus.fail = True
    usage_collect(now=NOW)
    got = samples(world.namespace)
    assert got[Metric.NET_EGRESS_EXTERNAL].is_gap
    assert not got[Metric.CPU_REQUEST].is_gap


LISTED_KINDS = [
    ("v1", "ResourceQuota"),
    ("metrics.k8s.io/v1beta1", "PodMetrics"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Service"),
    ("v1", "Pod"),
]


def _measured(window_start):
    return {
        (s.namespace_id, s.metric, s.storage_class): (s.quantity, s.is_gap, s.runtime_class)
        for s in UsageSample.objects.filter(window_start=window_start)
    }


def test_lists_are_read_page_by_page_and_give_the_same_samples(world, emulated_cluster, settings):
    from tests.factories import NamespaceFactory

    for i in range(5):
        ns = NamespaceFactory(team=world.team, name=f"paged-{i}", status="ready")
        seed_namespace(emulated_cluster, ns.name)
    gateway = gateway_for_cluster(_default())
    pages = sum(max(1, -(-len(gateway.list(version, kind)) // 2)) for version, kind in LISTED_KINDS)
    settings.METERING_LIST_PAGE_SIZE = 2
    emulated_cluster.reset_counters()
    [result] = usage_collect(now=NOW)
    assert result.api_calls == emulated_cluster.counts()["reads"] == pages >= 3 * len(LISTED_KINDS)
    settings.METERING_LIST_PAGE_SIZE = 500
    [whole] = usage_collect(now=NOW + timedelta(seconds=60))
    assert whole.api_calls == len(LISTED_KINDS)
    paged = _measured(align_window(NOW, 60)[0])
    assert paged == _measured(align_window(NOW + timedelta(seconds=60), 60)[0])
    assert len(paged) == 5 * 11 and not any(gap for _, gap, _ in paged.values())


def test_a_page_that_fails_gaps_its_whole_kind(world, emulated_cluster, settings, monkeypatch):
    from clusters.kube.errors import TransientKubeError
    from clusters.kube.gateway import KubeGateway
    from tests.factories import NamespaceFactory

    for i in range(3):
        ns = NamespaceFactory(team=world.team, name=f"paged-{i}", status="ready")
        seed_namespace(emulated_cluster, ns.name)
    settings.METERING_LIST_PAGE_SIZE = 1
    real_page = KubeGateway.list_page

    def second_quota_page_fails(self, api_version, kind, namespace, **kwargs):
        if kind == "ResourceQuota" and kwargs.get("continue_token"):
            raise TransientKubeError("the API server went away")
        return real_page(self, api_version, kind, namespace, **kwargs)

    monkeypatch.setattr(KubeGateway, "list_page", second_quota_page_fails)
    [result] = usage_collect(now=NOW)
    assert any(error.startswith("resourcequotas") for error in result.errors)
    gaps = {s.metric for s in UsageSample.objects.filter(is_gap=True)}
    assert gaps == {
        Metric.CPU_REQUEST,
        Metric.CPU_LIMIT,
        Metric.MEMORY_REQUEST,
        Metric.MEMORY_LIMIT,
        Metric.PODS,
    }


def test_window_values_are_a_pure_fold_of_the_listings():
    used, with_quota = quota_usage(
        [{"metadata": {"namespace": "a"}, "status": {"used": {"requests.cpu": "500m", "pods": "2"}}}]
    )
    readings = Readings(
        quotas=(used, with_quota),
        pod_metrics=None,  # the metrics API failed
        pvcs=storage_requests([]),
        services=load_balancers([{"metadata": {"namespace": "b"}, "spec": {"type": "LoadBalancer"}}]),
        pods=pod_gpus_and_runtimes([], {}),
    )
    values = dict(window_values(["a", "b", "c"], readings))
    assert values["a"][Metric.CPU_REQUEST] == Decimal("0.5") and values["a"][Metric.MEMORY_REQUEST] == 0
    assert values["b"][Metric.CPU_REQUEST] is None  # no quota in b
    assert values["a"][Metric.CPU_USAGE] is None and values["b"][Metric.MEMORY_USAGE] is None
    assert values["b"][Metric.LOAD_BALANCERS] == 1 and values["a"][Metric.LOAD_BALANCERS] == 0
    assert all(value is None for value in values["c"].values())  # no listing mentions c


def test_a_cluster_another_worker_holds_is_left_to_it_until_its_lease_runs_out(
    world, emulated_cluster, settings
):
    """Workers claim a cluster by the lease on its state row (core.claims), never by a lock held
    while the cluster answers: a live lease skips the cluster, a dead worker's lease runs out."""
    world.namespace.status = "ready"
    world.namespace.save()
    seed_namespace(emulated_cluster, world.namespace.name)
    usage_collect(now=NOW - timedelta(minutes=1))  # makes the state row
    ClusterState.objects.update(
        lease_owner="another-worker", lease_until=timezone.now() + timedelta(minutes=5)
    )
    collected = UsageSample.objects.count()
    assert usage_collect(now=NOW) == []
    assert clusters_discover(now=NOW) == 0
    assert UsageSample.objects.count() == collected
    assert ClusterState.objects.get().discovered_at is None

    ClusterState.objects.update(lease_until=timezone.now() - timedelta(seconds=1))  # that worker died
    assert len(usage_collect(now=NOW)) == 1
    state = ClusterState.objects.get()
    assert state.last_window_start == align_window(NOW, settings.METERING_INTERVAL_SECONDS)[0]
    assert (state.lease_owner, state.lease_until) == ("", None)  # given back after the window
    assert UsageSample.objects.count() > collected
    clusters_discover(now=NOW)
    state.refresh_from_db()
    assert state.discovered_at is not None and (state.lease_owner, state.lease_until) == ("", None)


def _seed_many(world, emulated_cluster):
    """Namespaces whose keys sort unlike their names ('lot-a-b' before 'lot-a'), some with
    several pods (a namespace across pages), one the console does not own (ignored) and one
    the cluster does not have (gaps)."""
    from tests.factories import NamespaceFactory

    gateway = gateway_for_cluster(_default())
    names = ["lot-a", "lot-a-b", "lot-a0", "lot-b", *(f"lot-{i}" for i in range(14))]
    for i, name in enumerate(names):
        NamespaceFactory(team=world.team, name=name, status="ready")
        seed_namespace(emulated_cluster, name, cpu=f"{100 + i}m", storage=f"{i + 1}Gi", lb=i % 3 == 0)
        for extra in range(i % 4):
            gateway.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"extra-{extra}", "namespace": name},
                    "spec": {
                        "runtimeClassName": "gvisor",
                        "containers": [
                            {
                                "name": "x",
                                "image": "busybox",
                                "resources": {"limits": {"nvidia.com/gpu": "2"}},
                            }
                        ],
                    },
                }
            )
    seed_namespace(emulated_cluster, "lot-foreign")
    NamespaceFactory(team=world.team, name="lot-elsewhere", status="ready")
    return [*names, "lot-elsewhere"]


def test_many_namespaces_in_small_pages_and_small_batches_give_the_same_samples(
    world, emulated_cluster, settings, monkeypatch
):
    from metering.services import collector

    names = _seed_many(world, emulated_cluster)
    written: list[tuple[int, int]] = []
    real_samples = collector.window_samples

    def spied(**kwargs):
        written.append((len(kwargs["namespaces"]), len(kwargs["readings"].present)))
        return real_samples(**kwargs)

    monkeypatch.setattr(collector, "window_samples", spied)
    monkeypatch.setattr(collector, "NAMESPACE_BATCH", 2)
    settings.METERING_LIST_PAGE_SIZE = 3
    gateway = gateway_for_cluster(_default())
    pages = sum(max(1, -(-len(gateway.list(version, kind)) // 3)) for version, kind in LISTED_KINDS)
    [small] = usage_collect(now=NOW)
    assert small.api_calls == pages > 5 * len(LISTED_KINDS) and not small.errors
    # Memory holds a batch: no write saw the readings of more than two namespaces.
    assert written and max(present for _, present in written) <= 2
    assert max(count for count, _ in written) <= 2
    monkeypatch.setattr(collector, "NAMESPACE_BATCH", 500)
    settings.METERING_LIST_PAGE_SIZE = 500
    [whole] = usage_collect(now=NOW + timedelta(seconds=60))
    assert whole.api_calls == len(LISTED_KINDS)
    paged = _measured(align_window(NOW, 60)[0])
    assert paged == _measured(align_window(NOW + timedelta(seconds=60), 60)[0])
    measured = set(UsageSample.objects.values_list("namespace__name", flat=True))
    assert measured == set(names)  # lot-foreign ignored
    elsewhere = UsageSample.objects.filter(namespace__name="lot-elsewhere")
    assert elsewhere.exists() and all(s.is_gap for s in elsewhere)
    gpus = UsageSample.objects.get(
        namespace__name="lot-a0", metric=Metric.GPU_REQUEST, window_start=align_window(NOW, 60)[0]
    )
    assert gpus.quantity == 1 + 2 * 2 and gpus.runtime_class == "kata-clh"  # two extra pods of 2 GPUs


def test_an_expired_continue_token_lists_again_from_the_start(world, emulated_cluster, settings, monkeypatch):
    from clusters.kube.errors import PermanentKubeError
    from clusters.kube.gateway import KubeGateway

    _seed_many(world, emulated_cluster)
    [whole] = usage_collect(now=NOW)
    settings.METERING_LIST_PAGE_SIZE = 4
    real_page = KubeGateway.list_page
    expired: list[str] = []

    def compacted_once(self, api_version, kind, namespace, **kwargs):
        if kind == "Pod" and kwargs.get("continue_token") and len(expired) < 2:
            expired.append(kwargs["continue_token"])  # etcd compacted the list's revision
            raise PermanentKubeError("The provided continue parameter is too old", code=410, reason="Expired")
        return real_page(self, api_version, kind, namespace, **kwargs)

    monkeypatch.setattr(KubeGateway, "list_page", compacted_once)
    [relisted] = usage_collect(now=NOW + timedelta(seconds=60))
    assert len(expired) == 2 and not relisted.errors
    assert _measured(align_window(NOW, 60)[0]) == _measured(align_window(NOW + timedelta(seconds=60), 60)[0])
    assert not whole.errors


def test_pages_out_of_key_order_measure_the_window_again_with_that_kind_read_whole(
    world, emulated_cluster, settings, monkeypatch
):
    from clusters.kube.gateway import KubeGateway

    _seed_many(world, emulated_cluster)
    [ordered] = usage_collect(now=NOW)
    settings.METERING_LIST_PAGE_SIZE = 3
    real_page = KubeGateway.list_page

    def reversed_pages(self, api_version, kind, namespace, *, limit, continue_token="", **kwargs):
        if kind != "PodMetrics":
            return real_page(self, api_version, kind, namespace, limit=limit, continue_token=continue_token)
        items, _ = real_page(self, api_version, kind, namespace, limit=0)
        offset = int(continue_token or 0)
        following = str(offset + limit) if offset + limit < len(items) else ""
        return items[::-1][offset : offset + limit], following

    monkeypatch.setattr(KubeGateway, "list_page", reversed_pages)
    [again] = usage_collect(now=NOW + timedelta(seconds=60))
    assert not again.errors and not ordered.errors
    assert _measured(align_window(NOW, 60)[0]) == _measured(align_window(NOW + timedelta(seconds=60), 60)[0])

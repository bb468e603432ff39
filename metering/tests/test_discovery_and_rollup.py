from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from clusters.connections import default_cluster, gateway_for_cluster
from metering.models import ClusterState, Metric, NamespaceRuntime, UsageHourly, UsageSample
from metering.runtime_selection import namespace_runtime
from metering.services.discovery import clusters_discover, unknown_runtime_classes
from metering.services.rollup import usage_prune, usage_rollup

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def runtime_class(name, handler):
    return {
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": {"name": name},
        "handler": handler,
    }


def test_discovery_records_runtimes_storage_and_capacity(
    world, emulated_cluster, provisioned, django_capture_on_commit_callbacks
):
    gateway = gateway_for_cluster(default_cluster())
    for name, handler in [("gvisor", "runsc"), ("kata-fc", "kata-fc"), ("youki", "youki")]:
        gateway.apply(runtime_class(name, handler))
    gateway.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast"},
            "provisioner": "x",
        }
    )
    emulated_cluster.add_node("n1", {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "2"})
    emulated_cluster.add_node("n2", {"cpu": "7500m", "memory": "16Gi"})
    world.namespace.status = "ready"
    world.namespace.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert clusters_discover(now=NOW) == 1
    state = ClusterState.objects.get(cluster__is_default=True)
    assert state.allocatable_cpu_millicores == 15500
    assert state.allocatable_memory_bytes == 48 * 2**30
    assert state.allocatable_gpus == 2
    assert state.storage_classes == ["fast"]
    assert [r.name for r in unknown_runtime_classes()] == ["youki"]
    # Trusted team: runc is the nodes' default handler and needs no RuntimeClass.
    selection = namespace_runtime(world.namespace)
    assert selection.chosen == "runc" and selection.chosen_needs_no_runtime_class
    assert NamespaceRuntime.objects.get(namespace=world.namespace).chosen == "runc"
    # Every other entry still needs its RuntimeClass on the cluster.
    assert selection.reasons["kata-qemu"] == "not installed on cluster default"
    assert namespace_runtime(world.namespace, min_isolation="microvm").chosen == "kata-fc"
    assert world.namespace.pk in provisioned
    provisioned.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert clusters_discover(now=NOW + timedelta(minutes=10)) == 0
    assert provisioned == []


def test_discovery_failure_keeps_what_was_known(world, emulated_cluster):
    gateway_for_cluster(default_cluster()).apply(runtime_class("gvisor", "runsc"))
    clusters_discover(now=NOW)
    emulated_cluster.drop_next(3)
    clusters_discover(now=NOW + timedelta(minutes=10))
    state = ClusterState.objects.get(cluster__is_default=True)
    assert state.discovery_error
    assert list(state.runtimes.values_list("name", flat=True)) == ["gvisor"]


def sample(namespace, metric, minute, quantity, *, hour=9, storage_class=""):
    start = datetime(2026, 11, 27, hour, minute, tzinfo=UTC)
    return UsageSample.objects.create(
        namespace=namespace,
        metric=metric,
        storage_class=storage_class,
        window_start=start,
        window_end=start + timedelta(minutes=1),
        quantity=quantity,
        is_gap=quantity is None,
        source="test",
        runtime_class="gvisor",
    )


def test_rollup_means_gauges_sums_counters_and_reports_coverage(world):
    for minute in range(30):
        sample(world.namespace, Metric.CPU_USAGE, minute, Decimal("0.5") if minute % 2 else Decimal("1.5"))
        sample(world.namespace, Metric.NET_EGRESS_EXTERNAL, minute, 100)
    for minute in range(30, 45):
        sample(world.namespace, Metric.CPU_USAGE, minute, None)
    assert usage_rollup(now=NOW) == 2
    cpu = UsageHourly.objects.get(metric=Metric.CPU_USAGE)
    assert cpu.quantity == Decimal("1")
    assert cpu.coverage == Decimal("0.5")
    assert cpu.samples == 30
    assert cpu.runtime_class == "gvisor"
    assert UsageHourly.objects.get(metric=Metric.NET_EGRESS_EXTERNAL).quantity == 3000
    sample(world.namespace, Metric.CPU_USAGE, 50, Decimal("1"))
    usage_rollup(now=NOW)  # re-running replaces, never duplicates
    assert UsageHourly.objects.filter(metric=Metric.CPU_USAGE).count() == 1
    assert UsageHourly.objects.get(metric=Metric.CPU_USAGE).samples == 31


def test_rollup_keeps_storage_classes_apart(world):
    for minute in range(60):
        sample(world.namespace, Metric.STORAGE_CLASS_REQUEST, minute, 10, storage_class="fast-ssd")
        if minute < 30:
            sample(world.namespace, Metric.STORAGE_CLASS_REQUEST, minute, 100, storage_class="bulk-hdd")
    assert usage_rollup(now=NOW) == 2
    rows = {r.storage_class: (r.quantity, r.coverage) for r in UsageHourly.objects.all()}
    assert rows == {"fast-ssd": (10, 1), "bulk-hdd": (100, Decimal("0.5"))}
    usage_rollup(now=NOW)
    assert UsageHourly.objects.count() == 2


def test_hours_with_only_gaps_get_no_rollup_row(world):
    sample(world.namespace, Metric.CPU_USAGE, 5, None)
    assert usage_rollup(now=NOW) == 0


def test_raw_samples_are_pruned_after_retention(world, settings):
    settings.METERING_RAW_RETENTION_DAYS = 1
    sample(world.namespace, Metric.CPU_USAGE, 5, 1, hour=1)
    sample(world.namespace, Metric.CPU_USAGE, 5, 1, hour=9)
    assert usage_prune(now=datetime(2026, 11, 28, 5, 0, tzinfo=UTC), batch_size=1) == 1
    assert UsageSample.objects.count() == 1


def test_rollup_stamps_updated_at_only_on_rows_it_changes(world):
    for minute in range(10):
        sample(world.namespace, Metric.CPU_USAGE, minute, Decimal("1"))
        sample(world.namespace, Metric.MEMORY_USAGE, minute, 2**30)
    with time_machine.travel(NOW, tick=False):
        usage_rollup(now=NOW)
    later = NOW + timedelta(hours=1)
    sample(world.namespace, Metric.CPU_USAGE, 10, Decimal("4"))  # a late sample for 09:00
    with time_machine.travel(later, tick=False):
        assert usage_rollup(now=NOW) == 2
    stamps = dict(UsageHourly.objects.values_list("metric", "updated_at"))
    assert stamps == {Metric.CPU_USAGE: later, Metric.MEMORY_USAGE: NOW}
    assert UsageHourly.objects.get(metric=Metric.CPU_USAGE).samples == 11


def test_rollup_writes_hour_by_hour_in_namespace_order(world):
    """The rows are inserted in (hour, namespace, metric, storage class) order, so a
    namespace-hour's rows lie together, as billing reads them; samples recorded in any order."""
    for hour in (9, 8):
        for namespace in (world.other_namespace, world.namespace):
            for metric in (Metric.MEMORY_USAGE, Metric.CPU_USAGE):
                sample(namespace, metric, 0, Decimal("1"), hour=hour)
            sample(namespace, Metric.STORAGE_CLASS_REQUEST, 0, 10, hour=hour, storage_class="b")
            sample(namespace, Metric.STORAGE_CLASS_REQUEST, 0, 10, hour=hour, storage_class="a")
    assert usage_rollup(now=NOW) == 16
    written = list(
        UsageHourly.objects.order_by("pk").values_list("hour", "namespace_id", "metric", "storage_class")
    )
    assert written == sorted(written)

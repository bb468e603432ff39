"""Runtime catalog and usage samples: what the workers measure and billing rates."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from tenants.models import Isolation


class RuntimeClassProfile(models.Model):
    """One entry of the runtime catalog, backed by a Kubernetes RuntimeClass of the same name."""

    name = models.CharField(max_length=63, unique=True)
    handler = models.CharField(max_length=63)
    isolation = models.CharField(max_length=10, choices=Isolation.choices)
    supports_gpu = models.BooleanField(default=False)
    gpu_note = models.CharField(max_length=100, blank=True)
    overhead_cpu = models.CharField(max_length=20, blank=True, help_text="Pod overhead, e.g. 250m")
    overhead_memory = models.CharField(max_length=20, blank=True, help_text="Pod overhead, e.g. 160Mi")
    node_selector = models.JSONField(default=dict, blank=True)
    price_multiplier = models.DecimalField(
        max_digits=8, decimal_places=4, default=Decimal("1"), validators=[MinValueValidator(Decimal("0"))]
    )
    enabled = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["price_multiplier", "name"]

    def __str__(self) -> str:
        return self.name


class Metric(models.TextChoices):
    """What a sample measures. Gauges are averaged over an hour, counters summed."""

    CPU_REQUEST = "cpu_request", "CPU requested (cores)"
    CPU_LIMIT = "cpu_limit", "CPU limit (cores)"
    CPU_USAGE = "cpu_usage", "CPU used (cores)"
    MEMORY_REQUEST = "memory_request", "Memory requested (bytes)"
    MEMORY_LIMIT = "memory_limit", "Memory limit (bytes)"
    MEMORY_USAGE = "memory_usage", "Memory used (bytes)"
    STORAGE_REQUEST = "storage_request", "PVC storage requested (bytes)"
    GPU_REQUEST = "gpu_request", "GPUs allocated"
    LOAD_BALANCERS = "load_balancers", "Load balancers"
    PODS = "pods", "Pods"
    NET_INGRESS_INTERNAL = "net_ingress_internal", "Network in, internal (bytes)"
    NET_INGRESS_EXTERNAL = "net_ingress_external", "Network in, external (bytes)"
    NET_EGRESS_INTERNAL = "net_egress_internal", "Network out, internal (bytes)"
    NET_EGRESS_EXTERNAL = "net_egress_external", "Network out, external (bytes)"


COUNTER_METRICS = frozenset(
    {
        Metric.NET_INGRESS_INTERNAL,
        Metric.NET_INGRESS_EXTERNAL,
        Metric.NET_EGRESS_INTERNAL,
        Metric.NET_EGRESS_EXTERNAL,
    }
)


class UsageSample(models.Model):
    """One measurement of one metric for one namespace over [window_start, window_end).

    ``is_gap`` marks a window the collector could not measure (cluster unreachable, metrics
    missing); its quantity is null, never zero.
    """

    namespace = models.ForeignKey("tenants.Namespace", on_delete=models.CASCADE, related_name="usage_samples")
    metric = models.CharField(max_length=30, choices=Metric.choices)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    quantity = models.DecimalField(max_digits=30, decimal_places=6, null=True, blank=True)
    source = models.CharField(max_length=20)
    is_gap = models.BooleanField(default=False)
    runtime_class = models.CharField(max_length=63, blank=True)
    collected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "metric", "window_start"], name="uniq_sample_window"
            ),
            models.CheckConstraint(
                condition=models.Q(is_gap=True, quantity__isnull=True)
                | models.Q(is_gap=False, quantity__isnull=False),
                name="sample_gap_has_no_quantity",
            ),
        ]
        indexes = [models.Index(fields=["namespace", "metric", "window_start"])]


class UsageHourly(models.Model):
    """Samples rolled up per UTC hour: the unit billing rates and long charts read.

    ``quantity`` is the time-weighted mean for gauges and the sum for counters over the
    measured part of the hour; ``coverage`` is measured seconds / 3600.
    """

    namespace = models.ForeignKey("tenants.Namespace", on_delete=models.CASCADE, related_name="usage_hourly")
    metric = models.CharField(max_length=30, choices=Metric.choices)
    hour = models.DateTimeField()
    quantity = models.DecimalField(max_digits=30, decimal_places=6)
    coverage = models.DecimalField(max_digits=5, decimal_places=4)
    samples = models.PositiveIntegerField()
    runtime_class = models.CharField(max_length=63, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["namespace", "metric", "hour"], name="uniq_hourly")]
        indexes = [models.Index(fields=["hour", "namespace"])]

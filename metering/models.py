"""Runtime catalog and usage samples: what the workers measure and billing rates."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from core import limits
from metering.amounts import amounts_of


class Isolation(models.TextChoices):
    """Runtime isolation levels, weakest first (their order matters for comparisons)."""

    CONTAINER = "container", _("Container (runc)")
    SANDBOX = "sandbox", _("Sandbox (gVisor)")
    MICROVM = "microvm", _("MicroVM (Kata)")

    @classmethod
    def rank(cls, value: str) -> int:
        """The level's place, weakest first (``ValueError`` for no level): a dict built once,
        as ``values`` builds the choices with their labels on every call (11 ranks a runtime
        selection)."""
        try:
            return _ISOLATION_RANKS[value]
        except KeyError:
            raise ValueError(f"{value!r} is not an isolation level") from None


_ISOLATION_RANKS = {level.value: rank for rank, level in enumerate(Isolation)}


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

    CPU_REQUEST = "cpu_request", _("CPU requested (cores)")
    CPU_LIMIT = "cpu_limit", _("CPU limit (cores)")
    CPU_USAGE = "cpu_usage", _("CPU used (cores)")
    MEMORY_REQUEST = "memory_request", _("Memory requested (bytes)")
    MEMORY_LIMIT = "memory_limit", _("Memory limit (bytes)")
    MEMORY_USAGE = "memory_usage", _("Memory used (bytes)")
    STORAGE_REQUEST = "storage_request", _("PVC storage requested (bytes)")
    STORAGE_CLASS_REQUEST = "storage_class_request", _("PVC storage requested in one StorageClass (bytes)")
    GPU_REQUEST = "gpu_request", _("GPUs allocated")
    LOAD_BALANCERS = "load_balancers", _("Load balancers")
    PODS = "pods", _("Pods")
    NET_INGRESS_INTERNAL = "net_ingress_internal", _("Network in, internal (bytes)")
    NET_INGRESS_EXTERNAL = "net_ingress_external", _("Network in, external (bytes)")
    NET_EGRESS_INTERNAL = "net_egress_internal", _("Network out, internal (bytes)")
    NET_EGRESS_EXTERNAL = "net_egress_external", _("Network out, external (bytes)")


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
    missing); its quantity is null, never zero. ``storage_class`` is set on
    ``storage_class_request`` samples only (empty: PVCs that name no StorageClass).
    """

    namespace = models.ForeignKey("tenants.Namespace", on_delete=models.CASCADE, related_name="usage_samples")
    metric = models.CharField(max_length=30, choices=Metric.choices)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    quantity = models.DecimalField(max_digits=30, decimal_places=6, null=True, blank=True)
    source = models.CharField(max_length=20)
    is_gap = models.BooleanField(default=False)
    runtime_class = models.CharField(max_length=63, blank=True)
    storage_class = models.CharField(max_length=253, blank=True, default="", db_default="")
    collected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "metric", "storage_class", "window_start"], name="uniq_sample_window"
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
    measured part of the hour; ``coverage`` is measured seconds / 3600. ``updated_at`` is when
    the row last changed (the rollup sets it only when a value changes), so billing can find
    days whose usage changed after they were billed. ``storage_class`` as on ``UsageSample``.
    """

    namespace = models.ForeignKey(
        "tenants.Namespace", on_delete=models.CASCADE, related_name="usage_hourly", db_index=False
    )
    metric = models.CharField(max_length=30, choices=Metric.choices)
    hour = models.DateTimeField()
    quantity = models.DecimalField(max_digits=30, decimal_places=6)
    coverage = models.DecimalField(max_digits=5, decimal_places=4)
    samples = models.PositiveIntegerField()
    runtime_class = models.CharField(max_length=63, blank=True)
    storage_class = models.CharField(max_length=253, blank=True, default="", db_default="")
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "metric", "storage_class", "hour"], name="uniq_hourly"
            )
        ]
        indexes = [
            models.Index(fields=["hour", "namespace"]),
            # Billing reads a day of a namespace's rows; also serves the foreign key.
            models.Index(fields=["namespace", "hour"], name="usagehourly_namespace_hour"),
        ]


class UsageQuarterHour(models.Model):
    """A namespace's measured samples of one metric over a quarter hour [window_start,
    window_end), summed and counted (``total`` / ``measured`` is the gauge's mean; ``total`` the
    counter's sum): what the usage page's 24-hour chart reads instead of up to 15 samples a
    metric and step. Written by the hourly rollup for the hours it computes, across
    StorageClasses; a quarter without a measured sample has no row. Kept two days."""

    namespace = models.ForeignKey(
        "tenants.Namespace", on_delete=models.CASCADE, related_name="usage_quarters", db_index=False
    )
    metric = models.CharField(max_length=30, choices=Metric.choices)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    total = models.DecimalField(max_digits=30, decimal_places=6)
    measured = models.PositiveIntegerField()
    # Which quarter hour since 1970 it is (window_start's seconds // 900), and its value in base
    # units (the gauge's mean, the counter's sum): what the chart reads, from the index below.
    quarter = models.BigIntegerField()
    value = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "metric", "window_start"], name="uniq_usage_quarter"
            ),
        ]
        indexes = [
            # The chart's quarters of a namespace, read from the index alone.
            models.Index(fields=["namespace", "metric", "quarter", "value"], name="usagequarter_chart"),
            # Where a namespace's quarters end (the page reads raw samples from there on).
            models.Index(fields=["namespace", "window_end"], name="usagequarter_namespace_end"),
            models.Index(fields=["window_start"], name="usagequarter_window_start"),  # pruning
        ]


class ClusterState(models.Model):
    """What the workers last learned about one cluster: exactly one row per cluster.

    The row belongs to its cluster whatever the default is, so moving the default flag never
    moves a row. A worker collecting or discovering a cluster holds this row's lease
    (``core.claims``), so two workers never measure the same cluster at once.
    """

    cluster = models.OneToOneField(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="metering_state"
    )
    last_window_start = models.DateTimeField(null=True, blank=True)
    last_collected_at = models.DateTimeField(null=True, blank=True)
    last_collect_error = models.TextField(blank=True)
    discovered_at = models.DateTimeField(null=True, blank=True)
    discovery_error = models.TextField(blank=True)
    storage_classes = models.JSONField(default=list, blank=True)
    allocatable_cpu_millicores = models.BigIntegerField(null=True, blank=True)
    allocatable_memory_bytes = models.BigIntegerField(null=True, blank=True)
    allocatable_gpus = models.IntegerField(null=True, blank=True)
    node_count = models.IntegerField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.cluster.name


class ClusterRuntime(models.Model):
    """A RuntimeClass found on a cluster by discovery; catalog entries match it by name."""

    state = models.ForeignKey(ClusterState, on_delete=models.CASCADE, related_name="runtimes")
    name = models.CharField(max_length=63)
    handler = models.CharField(max_length=63, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["state", "name"], name="uniq_cluster_runtime")]

    def __str__(self) -> str:
        return f"{self.name} on {self.state}"


class QuotaFields(models.Model):
    """Resource amounts in base units: millicores, bytes, counts.

    ``storage_classes`` maps a StorageClass name to bytes; for a team its keys are the
    storage classes the team may use at all (every other class gets a zero quota).
    """

    cpu_millicores = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    memory_bytes = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    storage_bytes = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    storage_classes = models.JSONField(default=dict, blank=True)
    gpus = models.IntegerField(default=0, validators=[MinValueValidator(0)])
    pods = models.IntegerField(default=0, validators=[MinValueValidator(0)])
    pvcs = models.IntegerField(default=0, validators=[MinValueValidator(0)])
    load_balancers = models.IntegerField(default=0, validators=[MinValueValidator(0)])

    class Meta:
        abstract = True
        # The same bounds as the forms, the API and the services (core.limits).
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": 0, f"{name}__lte": maximum}),
                name=f"%(app_label)s_%(class)s_{name}_bounds",
            )
            for name, maximum in (
                ("cpu_millicores", limits.MAX_CPU_MILLICORES),
                ("memory_bytes", limits.MAX_BYTES),
                ("storage_bytes", limits.MAX_BYTES),
                ("gpus", limits.MAX_GPUS),
                ("pods", limits.MAX_PODS),
                ("pvcs", limits.MAX_PVCS),
                ("load_balancers", limits.MAX_LOAD_BALANCERS),
            )
        ]

    @property
    def amounts(self) -> dict:
        return amounts_of(self)


class TeamQuota(QuotaFields):
    """A team's aggregate limit; the sum of its namespaces' allocations never exceeds it.

    Services lock this row (``select_for_update``) around every allocation change.
    """

    team = models.OneToOneField("tenants.Team", on_delete=models.CASCADE, related_name="quota")
    max_namespaces = models.IntegerField(
        default=1, validators=[MinValueValidator(0), MaxValueValidator(limits.MAX_NAMESPACES_PER_TEAM)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(QuotaFields.Meta):
        constraints = [
            *QuotaFields.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(max_namespaces__gte=0, max_namespaces__lte=limits.MAX_NAMESPACES_PER_TEAM),
                name="teamquota_max_namespaces_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"quota of {self.team}"


class NamespaceQuota(QuotaFields):
    """One namespace's share of its team quota; becomes the namespace's ResourceQuota ``hard``."""

    namespace = models.OneToOneField("tenants.Namespace", on_delete=models.CASCADE, related_name="quota")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"allocation of {self.namespace}"


class QuotaRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class QuotaRequest(QuotaFields):
    """A member asks for more of some resources for one namespace; amounts are increments.

    Within the team's remaining quota a team owner or manager approves; beyond it only staff
    can, and approval then raises the team quota by the shortfall.
    """

    team = models.ForeignKey("tenants.Team", on_delete=models.CASCADE, related_name="quota_requests")
    namespace = models.ForeignKey(
        "tenants.Namespace", on_delete=models.CASCADE, related_name="quota_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="quota_requests"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=QuotaRequestStatus.choices, default=QuotaRequestStatus.PENDING
    )
    needs_staff = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    team_quota_raised = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(QuotaFields.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "status"]), models.Index(fields=["status", "needs_staff"])]
        constraints = [
            *QuotaFields.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(LessThanOrEqual(Length("reason"), limits.MAX_REASON_LENGTH))
                & models.Q(LessThanOrEqual(Length("decision_note"), limits.MAX_REASON_LENGTH)),
                name="quotarequest_text_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"quota request #{self.pk} for {self.namespace}"


class NamespaceRuntime(models.Model):
    """The runtime selection last handed to the provisioner for a namespace.

    Kept so catalog edits and discovery re-apply only the namespaces whose outcome changed.
    """

    namespace = models.OneToOneField("tenants.Namespace", on_delete=models.CASCADE, related_name="runtime")
    chosen = models.CharField(max_length=63, blank=True)
    allowed = models.JSONField(default=list, blank=True)
    refusal = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.namespace}: {self.chosen or 'none'}"


class NamespaceRuntimePolicy(models.Model):
    """What a namespace's admins ask of its runtime: at least this isolation, and GPUs.

    One row per ``tenants.Namespace`` (made with it). Runtime selection reads it; the stored
    outcome of that selection is ``NamespaceRuntime``.
    """

    namespace = models.OneToOneField(
        "tenants.Namespace", on_delete=models.CASCADE, primary_key=True, related_name="runtime_policy"
    )
    min_isolation = models.CharField(max_length=10, choices=Isolation.choices, blank=True)
    needs_gpu = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"runtime policy of namespace {self.namespace_id}"

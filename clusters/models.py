"""Clusters the console provisions tenant namespaces on."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from domains.models import DOMAIN_NAME

APPS_DOMAIN = DOMAIN_NAME

# The longest token lifetime staff may allow on a cluster: 30 days.
MAX_TOKEN_HOURS_LIMIT = 720


class Cluster(models.Model):
    """A Kubernetes API endpoint and its credentials.

    Credentials come from a kubeconfig file path, or pasted kubeconfig content stored
    encrypted (``FIELD_ENCRYPTION_KEY``). A cluster with neither uses the environment
    (``KUBECONFIG`` or the in-cluster config): that is how the default cluster works with no
    setup, created on first use.
    """

    name = models.CharField(max_length=63, unique=True)
    api_url = models.URLField(blank=True)
    kubeconfig_path = models.CharField(max_length=500, blank=True)
    kubeconfig_encrypted = models.TextField(blank=True)
    context = models.CharField(max_length=100, blank=True)
    is_default = models.BooleanField(default=False)
    # Staff "disable" a cluster: it takes no new namespaces; those already there stay, and are
    # still reconciled, metered and reachable. The default cluster is always enabled.
    enabled = models.BooleanField(default=True)
    # Placement defaults: teams with no placement of their own may use the clusters that list
    # their trust level or plan (e.g. public teams on a sandbox cluster, a "gpu" plan where
    # GPUs are); a team no cluster lists uses the default cluster.
    placement_trust_levels = models.JSONField(default=list, blank=True)
    placement_plans = models.JSONField(default=list, blank=True)
    reachable = models.BooleanField(null=True)
    # The last check was answered 401: the API server is there but refuses the credentials.
    credentials_rejected = models.BooleanField(default=False)
    server_version = models.CharField(max_length=40, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    bootstrap_hash = models.CharField(max_length=64, blank=True)
    bootstrap_versions = models.JSONField(default=dict, blank=True)
    # The last full read of the bootstrap objects (the periodic check or staff's re-check), and
    # what stopped it: unreachable, or an object under a bootstrap name that is not the console's.
    bootstrap_checked_at = models.DateTimeField(null=True, blank=True)
    bootstrap_error = models.TextField(blank=True)
    max_token_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TOKEN_HOURS_LIMIT)],
        help_text="The longest kubeconfig token lifetime on this cluster; empty: the console's maximum.",
    )
    # Teams own <team>.<apps domain> for routes on this cluster; empty: TENANTRY_APPS_DOMAIN.
    apps_domain = models.CharField(max_length=200, blank=True, validators=[APPS_DOMAIN])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_cluster"
            ),
            models.CheckConstraint(
                condition=models.Q(is_default=False) | models.Q(enabled=True), name="default_cluster_enabled"
            ),
            models.CheckConstraint(
                condition=models.Q(max_token_hours__isnull=True)
                | models.Q(max_token_hours__gte=1, max_token_hours__lte=MAX_TOKEN_HOURS_LIMIT),
                name="max_token_hours_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sets_default_runtime_class(self) -> bool:
        """Whether the bootstrap installed the mutating policy that fills in ``runtimeClassName``
        (only where the cluster serves MutatingAdmissionPolicy); otherwise pods must name it."""
        return any(key.startswith("MutatingAdmissionPolicy/") for key in self.bootstrap_versions)


class SuspendedWorkload(models.Model):
    """What suspending a namespace changed in the tenant's own workloads, so that resuming it
    restores exactly that: a Deployment's or StatefulSet's replicas, or whether a CronJob was
    already suspended. Written before each change on the cluster, deleted after it is undone."""

    namespace = models.ForeignKey("tenants.Namespace", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    name = models.CharField(max_length=253)
    replicas = models.IntegerField(null=True, blank=True)
    was_suspended = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["namespace", "kind", "name"], name="uniq_suspended_workload")
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


class TeamPlacement(models.Model):
    """Staff's choice of the clusters one team may use, replacing the defaults per trust level
    and plan. ``default`` is where the team's namespaces go when the form names no cluster."""

    team = models.OneToOneField("tenants.Team", on_delete=models.CASCADE, related_name="placement")
    clusters = models.ManyToManyField(Cluster, related_name="team_placements")
    default = models.ForeignKey(Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"placement of {self.team}"


class NamespaceProvisioning(models.Model):
    """Where the provisioner stands with one namespace on its cluster: what it last applied,
    how that went, the namespace's UID there, and the lease of the worker applying it now.

    One row per ``tenants.Namespace`` (made with the namespace); the record's lifecycle
    (``status``) stays on the namespace, since every floor reads it.
    """

    namespace = models.OneToOneField(
        "tenants.Namespace", on_delete=models.CASCADE, primary_key=True, related_name="provisioning"
    )
    last_error = models.TextField(blank=True)
    conditions = models.JSONField(default=list, blank=True)
    desired_hash = models.CharField(max_length=64, blank=True)
    applied_hash = models.CharField(max_length=64, blank=True)
    # resourceVersion of every applied object, keyed "Kind/name": drift shows as a difference.
    applied_versions = models.JSONField(default=dict, blank=True)
    # Each applied object, keyed "Kind/namespace/name": the hash of the desired state last
    # applied and the object's UID. A change of desired state writes only the objects whose
    # hash differs, and prunes by UID what is no longer desired.
    applied_objects = models.JSONField(default=dict, blank=True)
    # The UID of the Kubernetes namespace the console created: deletion is conditional on it.
    cluster_uid = models.CharField(max_length=36, blank=True)
    last_reconciled_at = models.DateTimeField(null=True, blank=True)
    # A short lease so two workers never provision the same namespace at once (``core.claims``).
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"provisioning of namespace {self.namespace_id}"

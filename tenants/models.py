"""The tenancy model: teams, their members, namespaces, invitations, audit trail, API tokens."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core import limits
from core.choices import ChoiceDisplayMixin

DNS1123_LABEL = RegexValidator(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    _(
        "Use lowercase letters, digits and '-', starting and ending with a letter or digit "
        "(a Kubernetes DNS-1123 label)."
    ),
)


class TrustLevel(models.TextChoices):
    PUBLIC = "public", _("Public (untrusted)")
    TRUSTED = "trusted", _("Trusted")


class BillingMode(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid balance")
    INVOICED = "invoiced", _("Invoiced monthly")


class TeamRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    MEMBER = "member", _("Member")
    BILLING = "billing", _("Billing")


class NamespaceRole(models.TextChoices):
    ADMIN = "admin", _("Admin")
    DEVELOPER = "developer", _("Developer")
    VIEWER = "viewer", _("Viewer")


class Team(ChoiceDisplayMixin, models.Model):
    """A tenant: a department, or one person's personal team."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True, validators=[DNS1123_LABEL])
    plan = models.CharField(max_length=30, default="starter")
    trust_level = models.CharField(max_length=10, choices=TrustLevel.choices, default=TrustLevel.PUBLIC)
    billing_mode = models.CharField(max_length=10, choices=BillingMode.choices, default=BillingMode.PREPAID)
    currency = models.CharField(max_length=3, default="USD")
    time_zone = models.CharField(max_length=64, default="UTC")
    is_personal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrustRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"


class TrustLevelRequest(models.Model):
    """An owner's request to change the team's trust level; staff decide (one pending per team)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="trust_requests")
    requested_level = models.CharField(max_length=10, choices=TrustLevel.choices)
    reason = models.CharField(max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=TrustRequestStatus.choices, default=TrustRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(status="pending"),
                name="one_pending_trust_request_per_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} → {self.requested_level} ({self.status})"


class TeamMembership(ChoiceDisplayMixin, models.Model):
    """A user's role in a team. A team always keeps at least one owner (enforced by services)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="uniq_team_member")]
        ordering = ["team", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.role}"


class NamespaceStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROVISIONING = "provisioning", _("Provisioning")
    READY = "ready", _("Ready")
    ERROR = "error", _("Error")
    TERMINATING = "terminating", _("Terminating")
    DELETED = "deleted", _("Deleted")


class NamespaceQuerySet(models.QuerySet):
    def live(self) -> "NamespaceQuerySet":
        # The status written into the SQL as the partial index ``uniq_live_namespace_name``
        # writes it, not sent as a parameter: SQLite prepares a statement anew on every run when
        # a bound value decides whether a partial index applies (0.1 ms for the namespace lookup
        # of every namespace page). The word is the code's own constant.
        return self.exclude(status=RawSQL(f"'{NamespaceStatus.DELETED.value}'", ()))  # noqa: S611


class Namespace(ChoiceDisplayMixin, models.Model):
    """A Kubernetes namespace owned by a team, and where it is in its life (``status``).

    ``cluster`` is chosen when the namespace is created (among the clusters its team may use)
    and never changes: moving a namespace between clusters is not supported.
    How its provisioning went is the clusters app's (``clusters.NamespaceProvisioning``).
    Names are unique across the console among live namespaces (stricter than per cluster).
    A namespace gone from the cluster stays as a ``deleted`` record so its usage and
    charges keep their history; its name can then be reused.
    """

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="namespaces")
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.PROTECT)
    name = models.CharField(max_length=63, validators=[DNS1123_LABEL])
    display_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=15, choices=NamespaceStatus.choices, default=NamespaceStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = NamespaceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        # By status, then cluster: a cluster's namespaces in one status are counted from the
        # index alone (the staff cluster list's live namespaces: all of them less the deleted).
        indexes = [models.Index(fields=["status", "cluster"], name="tenants_ns_status_cluster")]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=~models.Q(status="deleted"), name="uniq_live_namespace_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.display_name or self.name


class NamespaceMembership(ChoiceDisplayMixin, models.Model):
    """A user's role in one namespace, mapped to a RoleBinding on the cluster."""

    namespace = models.ForeignKey(Namespace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="namespace_memberships"
    )
    role = models.CharField(max_length=10, choices=NamespaceRole.choices, default=NamespaceRole.DEVELOPER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["namespace", "user"], name="uniq_namespace_member")]
        ordering = ["namespace", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.namespace} as {self.role}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


class Invitation(ChoiceDisplayMixin, models.Model):
    """An emailed, single-use invitation to a team (and optionally a namespace).

    Only the SHA-256 of the token is stored; the token itself exists in the email alone.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    namespace = models.ForeignKey(Namespace, on_delete=models.CASCADE, null=True, blank=True)
    email = models.EmailField()
    team_role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    namespace_role = models.CharField(max_length=10, choices=NamespaceRole.choices, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The language of the email and of the pages the link opens, chosen by the inviter.
    language = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "team",
                condition=models.Q(status="pending"),
                name="uniq_pending_invitation_per_email",
            )
        ]
        indexes = [models.Index(fields=["team", "created_at"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.team}"


class AuditEvent(models.Model):
    """Who did what to which object, when and from where. Append-only: nothing updates rows."""

    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_repr = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=254, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"]), models.Index(fields=["team", "action"])]

    def __str__(self) -> str:
        return f"{self.actor_repr} {self.action} {self.target_repr}"


class ApiToken(models.Model):
    """A personal access token for the REST API; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A day of slack over the limit: created_at is stamped a moment after the check.
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(
                    expires_at__lte=models.F("created_at") + timedelta(days=limits.MAX_API_TOKEN_DAYS + 1)
                ),
                name="api_token_expiry_bounds",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AccountPreferences(models.Model):
    """A person's choices for the console: the language of pages and emails (empty: follow the
    browser) and the time zone dates are shown in (empty: UTC)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    language = models.CharField(max_length=16, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.language or '-'} {self.time_zone or '-'}"


class TwoFactorGrace(models.Model):
    """When a staff account was first seen without two-factor authentication: it may use the
    console for ``TENANTRY_STAFF_TWO_FACTOR_GRACE_HOURS`` from then, and must set it up after."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor_grace"
    )
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user}: since {self.started_at:%Y-%m-%d %H:%M}"

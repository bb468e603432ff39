"""Billing facts: price book versions, daily charge lines, monthly statements, the prepaid
ledger, per-team billing state, band notices and bill-run records.

Money columns are ``DecimalField``; amounts always travel with their ISO 4217 currency.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import limits
from core.constraints import ForeignKeyConstraint

PRICE_FIELDS = (
    "cpu_core_hour",
    "memory_gib_hour",
    "storage_gib_hour",
    "gpu_hour",
    "egress_gib",
    "load_balancer_hour",
)


class BillingMetric(models.TextChoices):
    """What a charge line bills. Each maps to one unit price of the price book."""

    CPU = "cpu", _("CPU (core-hours)")
    MEMORY = "memory", _("Memory (GiB-hours)")
    STORAGE = "storage", _("Storage (GiB-hours)")
    GPU = "gpu", _("GPU (GPU-hours)")
    EGRESS = "egress", _("External egress (GiB)")
    LOAD_BALANCER = "load_balancer", _("Load balancers (hours)")


# The unit of a line's quantity, shown beside it on every page and export.
UNIT_FOR_METRIC = {
    BillingMetric.CPU: "core-h",
    BillingMetric.MEMORY: "GiB-h",
    BillingMetric.STORAGE: "GiB-h",
    BillingMetric.GPU: "GPU-h",
    BillingMetric.EGRESS: "GiB",
    BillingMetric.LOAD_BALANCER: "h",
}

PRICE_FIELD_FOR_METRIC = {
    BillingMetric.CPU: "cpu_core_hour",
    BillingMetric.MEMORY: "memory_gib_hour",
    BillingMetric.STORAGE: "storage_gib_hour",
    BillingMetric.GPU: "gpu_hour",
    BillingMetric.EGRESS: "egress_gib",
    BillingMetric.LOAD_BALANCER: "load_balancer_hour",
}


def _price_field(help_text: str) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=6, help_text=help_text)


class PriceBook(models.Model):
    """One version of the unit prices for one currency.

    ``effective_from`` is a calendar day: the version prices usage from 00:00 of that day in
    each team's billing time zone (until the next version's day), so a team's billing day
    never mixes two versions. A version whose day has begun anywhere on Earth, or that priced
    any charge, is read-only (enforced by ``pricebook_update``).
    """

    version = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    effective_from = models.DateField(help_text="Takes effect at 00:00 of this day in each team's time zone")
    cpu_core_hour = _price_field("per CPU core-hour")
    memory_gib_hour = _price_field("per GiB-hour of memory")
    storage_gib_hour = _price_field("per GiB-hour of requested PVC storage")
    gpu_hour = _price_field("per GPU-hour")
    egress_gib = _price_field("per GiB of external egress")
    load_balancer_hour = _price_field("per load-balancer hour")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "version"], name="uniq_pricebook_version"),
            models.UniqueConstraint(fields=["currency", "effective_from"], name="uniq_pricebook_effective"),
            *(
                models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}), name=f"pricebook_{name}_nonneg")
                for name in PRICE_FIELDS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} v{self.version}"

    def unit_price(self, metric: str) -> Decimal:
        return getattr(self, PRICE_FIELD_FOR_METRIC[BillingMetric(metric)])


class PriceBookRuntime(models.Model):
    """A version's price multiplier for one runtime class: versioned with the unit prices, so
    editing the runtime catalog never re-prices a day (a runtime a version does not list
    counts as 1)."""

    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="runtimes")
    runtime_class = models.CharField(max_length=63)
    multiplier = models.DecimalField(max_digits=8, decimal_places=4)

    class Meta:
        ordering = ["runtime_class"]
        constraints = [
            models.UniqueConstraint(fields=["price_book", "runtime_class"], name="uniq_pricebook_runtime"),
            models.CheckConstraint(
                condition=Q(multiplier__gte=0), name="pricebook_runtime_multiplier_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_book} {self.runtime_class} x{self.multiplier}"


class PriceBookStorageClass(models.Model):
    """A version's storage price for one StorageClass, per GiB-hour requested; classes a
    version does not list use its ``storage_gib_hour``."""

    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="storage_classes")
    storage_class = models.CharField(max_length=253)
    storage_gib_hour = _price_field("per GiB-hour of requested PVC storage in this class")

    class Meta:
        ordering = ["storage_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_book", "storage_class"], name="uniq_pricebook_storage_class"
            ),
            models.CheckConstraint(
                condition=Q(storage_gib_hour__gte=0), name="pricebook_storage_class_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_book} {self.storage_class} {self.storage_gib_hour}"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (month open)")
    FINALIZED = "finalized", _("Finalized")
    PAID = "paid", _("Paid")


class Statement(models.Model):
    """A team's month, [period_start, period_end) in the team's time zone, stored in UTC.

    Draft while the month is open; finalized (immutable) after the grace period. The total
    is always the sum of its lines; ``total`` is the snapshot taken at finalization.
    """

    team = models.ForeignKey("tenants.Team", on_delete=models.PROTECT, related_name="statements")
    month = models.DateField(help_text="First day of the month, in the team's time zone")
    currency = models.CharField(max_length=3)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=StatementStatus.choices, default=StatementStatus.DRAFT)
    total = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "team__name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "month"], name="uniq_statement_month"),
            # What a line's (statement, team) key references (``charge_statement_of_its_team``).
            models.UniqueConstraint(fields=["id", "team"], name="uniq_statement_team"),
        ]
        indexes = [models.Index(fields=["month", "status"])]

    def __str__(self) -> str:
        return f"{self.team} {self.month:%Y-%m}"

    @property
    def is_open(self) -> bool:
        return self.status == StatementStatus.DRAFT


class QuantityRule(models.Model):
    """A billable-quantity rule as lines were rated with it, stored once and referenced by
    every line rated with it (``Charge.rule``): content-addressed by the SHA-256 of its
    text, never changed or deleted, so a line keeps the exact rule that computed it."""

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the text, hex")
    text = models.TextField()

    def __str__(self) -> str:
        return f"rule {self.digest[:12]}"


class RatingBasis(models.Model):
    """A price version and a quantity rule lines were rated with together: one row per pair,
    which each such line references as one key (``charge_rated_on_its_basis``: the line's
    (price_book, rule) to the basis's), so the database checks one key a line at commit
    where it checked two, the version's and the rule's; each exists by the basis's own keys.
    Written by billing before it rates with the pair (``Rates.for_currency``), never changed
    or deleted."""

    # The price book is served by the unique (price_book, rule) index; rules are never deleted.
    price_book = models.ForeignKey(PriceBook, on_delete=models.PROTECT, related_name="+", db_index=False)
    rule = models.ForeignKey(QuantityRule, on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["price_book", "rule"], name="uniq_rating_basis")]

    def __str__(self) -> str:
        return f"{self.price_book} with {self.rule}"


class ChargeKind(models.TextChoices):
    USAGE = "usage", _("Usage")
    ADJUSTMENT = "adjustment", _("Adjustment (late data after finalization)")


class Charge(models.Model):
    """One line: a (team, namespace, metric, local day, price version, runtime class, storage
    class) and what it cost.

    ``key`` is deterministic from those (plus the adjustment sequence) and unique, so a line is
    charged exactly once. ``multiplier`` is the runtime class's multiplier in the price version
    (null on lines billed before multipliers were versioned); billable_quantity =
    round_half_even(quantity x multiplier, 1e-6). ``window_start``/``window_end`` is the team's local day in
    UTC (the sample window rated), ``rule`` the quantity rule it was rated with (its text is
    ``quantity_rule``), ``coverage`` the
    namespace-day sample coverage; with ``billable_quantity`` and ``unit_price`` finance can
    reproduce ``amount`` = round_half_even(billable_quantity x unit_price, minor unit).
    """

    # Unique by the constraint below: ``unique=True`` would add a second (pattern) index that
    # nothing reads. The team and statement are served by the indexes that start with them.
    key = models.CharField(max_length=600)
    kind = models.CharField(max_length=10, choices=ChargeKind.choices, default=ChargeKind.USAGE)
    # The team and statement are one key in the database, (statement, team) to the statement's
    # (id, team) (``charge_statement_of_its_team``): the statement exists and is the team's, its
    # team exists by the statement's own key; one check a line at commit where there were two.
    team = models.ForeignKey(
        "tenants.Team", on_delete=models.PROTECT, related_name="charges", db_index=False, db_constraint=False
    )
    namespace = models.ForeignKey("tenants.Namespace", on_delete=models.PROTECT, related_name="charges")
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="lines", db_index=False, db_constraint=False
    )
    metric = models.CharField(max_length=15, choices=BillingMetric.choices)
    day = models.DateField(help_text="The team's local day the usage happened")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    # The price version and the rule are one key in the database, (price_book, rule) to a
    # ``RatingBasis`` (``charge_rated_on_its_basis``); the price book keeps its index (whether a
    # version priced any line is asked by its id).
    price_book = models.ForeignKey(
        PriceBook, on_delete=models.PROTECT, related_name="charges", db_constraint=False
    )
    quantity = models.DecimalField(max_digits=24, decimal_places=6, help_text="Before runtime multipliers")
    billable_quantity = models.DecimalField(
        max_digits=24, decimal_places=6, help_text="After runtime price multipliers"
    )
    unit_price = models.DecimalField(max_digits=18, decimal_places=6)
    runtime_class = models.CharField(max_length=63, blank=True, default="")
    multiplier = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    storage_class = models.CharField(max_length=253, blank=True, default="")
    amount = models.DecimalField(max_digits=18, decimal_places=3)
    currency = models.CharField(max_length=3)
    coverage = models.DecimalField(max_digits=5, decimal_places=4)
    provisional = models.BooleanField(default=False)
    # One row per rule text, not 1.2 KB per line; no index: rules are never deleted.
    rule = models.ForeignKey(
        QuantityRule, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    hours = models.PositiveSmallIntegerField(help_text="Hours with usage rows in the window")
    revision = models.PositiveIntegerField(default=1)
    adjusts = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "namespace_id", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="uniq_charge_key"),
            models.UniqueConstraint(
                fields=["team", "namespace", "metric", "day", "price_book", "runtime_class", "storage_class"],
                condition=Q(kind="usage"),
                name="uniq_usage_charge_line",
            ),
            models.CheckConstraint(
                condition=Q(kind="usage", adjusts__isnull=True) | Q(kind="adjustment", adjusts__isnull=False),
                name="charge_adjustment_points_to_original",
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="charge_unit_price_nonneg"),
            ForeignKeyConstraint(
                fields=["statement", "team"],
                to="billing.Statement",
                to_fields=["id", "team"],
                name="charge_statement_of_its_team",
            ),
            ForeignKeyConstraint(
                fields=["price_book", "rule"],
                to="billing.RatingBasis",
                to_fields=["price_book", "rule"],
                name="charge_rated_on_its_basis",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "day"]),
            models.Index(fields=["statement", "namespace", "metric"]),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def quantity_rule(self) -> str:
        """The text of the rule the line's quantity was computed with."""
        return self.rule.text

    @property
    def unit(self) -> str:
        return UNIT_FOR_METRIC[BillingMetric(self.metric)]


class LedgerKind(models.TextChoices):
    TOPUP = "topup", _("Top-up")
    CREDIT = "credit", _("Credit")
    PAYMENT = "payment", _("Payment")
    CHARGE = "charge", _("Charge")


class LedgerEntry(models.Model):
    """A movement of a prepaid team's balance: positive adds money, negative spends it.

    Charge entries carry the charge and a unique ``key`` (the charge key plus its revision),
    written in the same transaction as the charge. Others are recorded by finance or staff
    with a reason. Append-only.
    """

    # The team is served by the (team, -created_at) index; the key is unique by a constraint
    # (``unique=True`` would add a pattern index nothing reads).
    team = models.ForeignKey(
        "tenants.Team", on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField(max_digits=18, decimal_places=3)
    currency = models.CharField(max_length=3)
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger")
    key = models.CharField(max_length=620, null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="uniq_ledger_key"),
            models.CheckConstraint(
                condition=Q(kind="charge", charge__isnull=False, key__isnull=False)
                | (~Q(kind="charge") & Q(charge__isnull=True, amount__gt=0)),
                name="ledger_charge_entries_have_charge",
            ),
            models.CheckConstraint(
                condition=Q(kind="charge") | Q(amount__lte=limits.MAX_LEDGER_AMOUNT),
                name="ledger_manual_amount_bounds",
            ),
        ]
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"


class Band(models.TextChoices):
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")
    CRITICAL = "critical", _("Critical")
    DEBT = "debt", _("In debt")


class BillingAccount(models.Model):
    """Per-team billing state: the prepaid balance (sum of the ledger, kept in step in the same
    transactions), its band, the last billed local day, and suspension state."""

    team = models.OneToOneField("tenants.Team", on_delete=models.CASCADE, related_name="billing_account")
    balance = models.DecimalField(max_digits=18, decimal_places=3, default=Decimal("0"))
    band = models.CharField(max_length=10, choices=Band.choices, default=Band.NORMAL)
    band_changed_at = models.DateTimeField(null=True, blank=True)
    debt_since = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    last_billed_day = models.DateField(null=True, blank=True)
    # The bill run billing this team now, and until when (``core.claims``).
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=-limits.MAX_BALANCE, balance__lte=limits.MAX_BALANCE),
                name="billing_account_balance_bounds",
            )
        ]

    def __str__(self) -> str:
        return f"billing of {self.team}"


class BillingNotice(models.Model):
    """A balance band change, shown on the dashboard and emailed to the owners."""

    team = models.ForeignKey("tenants.Team", on_delete=models.CASCADE, related_name="billing_notices")
    band_from = models.CharField(max_length=10, choices=Band.choices)
    band_to = models.CharField(max_length=10, choices=Band.choices)
    balance = models.DecimalField(max_digits=18, decimal_places=3)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class BilledDay(models.Model):
    """A team's local day as last billed: the window rated and how fresh its usage was.

    Usage rows updated after ``usage_as_of`` may be missing from the bill (it is the time the
    usage was read, less a margin for rollups still committing). The hourly job sets
    ``usage_changed_at`` when it finds rows of the window updated after that; the day is then
    billed again (re-rated, or adjusted if its month is finalized), which clears it.
    """

    team = models.ForeignKey("tenants.Team", on_delete=models.CASCADE, related_name="billed_days")
    day = models.DateField(help_text="The team's local day")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    billed_at = models.DateTimeField()
    usage_as_of = models.DateTimeField()
    usage_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "day"], name="uniq_billed_day")]
        indexes = [
            models.Index(
                fields=["team"], condition=Q(usage_changed_at__isnull=False), name="billed_day_usage_changed"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.day}"


class BillRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    ABANDONED = "abandoned", "Abandoned (the worker stopped)"


class BillRun(models.Model):
    """One run of the billing job (beat or command): what it billed and what went wrong.

    The counts are saved as the run goes, and the run holds a lease (``lease_until``) that it
    renews while it works; a run whose lease expired without finishing is marked abandoned by
    the next run, keeping the counts of what it did finish.
    """

    trigger = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=BillRunStatus.choices, default=BillRunStatus.RUNNING)
    lease_until = models.DateTimeField(null=True, blank=True)
    day = models.DateField(null=True, blank=True, help_text="Set when the run billed one day")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    teams_billed = models.PositiveIntegerField(default=0)
    days_billed = models.PositiveIntegerField(default=0)
    lines_written = models.PositiveIntegerField(default=0)
    days_unchanged = models.PositiveIntegerField(
        default=0, help_text="Team-days that were already billed and did not change"
    )
    errors = models.JSONField(default=list, blank=True)
    usage_checked_until = models.DateTimeField(
        null=True, blank=True, help_text="Usage changes up to this instant were looked for (hourly job)"
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None
